import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import type { ServiceDeps } from '../context.ts';
import { Router } from './router.ts';

export interface RoutingOptions {
  webhookTimeoutMs: number;
  allowPrivateWebhookTargets: boolean;
  callLeaseSeconds: number;
  /** Awaited between reading a batch of the background index load and adding it: tests hold the load there. */
  afterIndexBatchRead?: () => Promise<void>;
}

export const DEFAULT_ROUTING_OPTIONS: RoutingOptions = { webhookTimeoutMs: 2000, allowPrivateWebhookTargets: false, callLeaseSeconds: 600 };

/** What every part of the routing service shares: the store, the in-memory router, the options and the clock. */
export class RoutingContext {
  readonly router = new Router();

  constructor(
    readonly deps: ServiceDeps,
    readonly options: RoutingOptions,
  ) {}

  get db(): Kysely<Tables> {
    return this.deps.database.db;
  }

  nowMs(): number {
    return this.deps.clock ? this.deps.clock().getTime() : Date.now();
  }

  nowIso(): string {
    return new Date(this.nowMs()).toISOString();
  }
}

/** Refused in pool names and call ids (they end up in logs and carrier requests). */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
