import type { Database } from '../db/database.ts';
import type { SecretBox } from '../domain/secrets.ts';
import { AgentBindingService } from './agent-bindings.ts';
import { ChangeFeed } from './change-feed.ts';
import type { ServiceDeps } from './context.ts';
import { InventoryService } from './inventory/service.ts';
import { LocalInventory } from './inventory/local-inventory.ts';
import { PhoneNumberService } from './phone-numbers/service.ts';
import { WorkspaceService } from './workspaces.ts';

/** Every service of one process, sharing one store. Transports receive this and nothing lower. */
export interface Services {
  deps: ServiceDeps;
  feed: ChangeFeed;
  workspaces: WorkspaceService;
  phoneNumbers: PhoneNumberService;
  /** Buying numbers from the operator's stock (`switchboard inventory add`). */
  inventory: InventoryService;
  /** The operator's stock itself (CLI: add, list). */
  stock: LocalInventory;
  agentBindings: AgentBindingService;
}

export function createServices(database: Database, secrets: SecretBox, clock?: () => Date): Services {
  const deps: ServiceDeps = { database, secrets, ...(clock ? { clock } : {}) };
  const feed = new ChangeFeed();
  const phoneNumbers = new PhoneNumberService(deps, feed);
  const stock = new LocalInventory(deps);
  return {
    deps,
    feed,
    workspaces: new WorkspaceService(deps),
    phoneNumbers,
    inventory: new InventoryService(stock, phoneNumbers, feed),
    stock,
    agentBindings: new AgentBindingService(phoneNumbers),
  };
}
