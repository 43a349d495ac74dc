import type { Engine } from '../db/database.ts';
import { nowIso, type ServiceDeps } from './context.ts';

/**
 * What a transport may know about the installation itself (which store backs it, what time it
 * is) without being handed the store, the secrets or the clock.
 */
export class InstallationService {
  constructor(private readonly deps: ServiceDeps) {}

  /** The store engine, as /healthz reports it. */
  get storeEngine(): Engine {
    return this.deps.database.engine;
  }

  /** Now, by the clock the services stamp records with (a fixed one in tests). */
  now(): string {
    return nowIso(this.deps);
  }
}
