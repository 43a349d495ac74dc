import type { Database } from '../db/database.ts';
import type { SecretBox } from '../domain/secrets.ts';
import { CarrierService } from './carriers.ts';
import { ChangeFeed } from './change-feed.ts';
import type { ServiceDeps } from './context.ts';
import { IdempotencyStore } from './idempotency.ts';
import { NumberCreators } from './phone-numbers/creators.ts';
import { PhoneNumberService } from './phone-numbers/service.ts';
import { WorkspaceService } from './workspaces.ts';

/** Every service of one process, sharing one store. Transports receive this and nothing lower. */
export interface Services {
  deps: ServiceDeps;
  feed: ChangeFeed;
  workspaces: WorkspaceService;
  phoneNumbers: PhoneNumberService;
  numberCreators: NumberCreators;
  carriers: CarrierService;
  idempotency: IdempotencyStore;
}

export function createServices(database: Database, secrets: SecretBox, clock?: () => Date): Services {
  const deps: ServiceDeps = { database, secrets, ...(clock ? { clock } : {}) };
  const feed = new ChangeFeed();
  return {
    deps,
    feed,
    workspaces: new WorkspaceService(deps),
    phoneNumbers: new PhoneNumberService(deps, feed),
    numberCreators: new NumberCreators(deps),
    carriers: new CarrierService(deps),
    idempotency: new IdempotencyStore(deps),
  };
}
