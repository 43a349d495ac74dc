import { AgentBindingService } from './agent-bindings.ts';
import { CarrierService } from './carriers.ts';
import { ChangeFeed } from './change-feed.ts';
import type { ServiceDeps } from './context.ts';
import { IdempotencyStore } from './idempotency.ts';
import { InstallationService } from './installation.ts';
import { NumberCreators } from './phone-numbers/creators.ts';
import { InventoryService } from './inventory/service.ts';
import { LocalInventory } from './inventory/local-inventory.ts';
import { PhoneNumberService } from './phone-numbers/service.ts';
import { WorkspaceService } from './workspaces.ts';
import { DEFAULT_ROUTING_OPTIONS, RoutingService, type RoutingOptions } from './routing/service.ts';

/**
 * Every service of one process, sharing one store. Transports receive this and nothing lower:
 * the store, the secrets and the clock (ServiceDeps) stay with the services and the runtime.
 */
export interface Services {
  /** The store engine and the services' clock, for transports that report or stamp them. */
  installation: InstallationService;
  feed: ChangeFeed;
  workspaces: WorkspaceService;
  phoneNumbers: PhoneNumberService;
  /** Buying numbers from the operator's stock (`switchboard inventory add`). */
  inventory: InventoryService;
  /** The operator's stock itself (CLI: add, list). */
  stock: LocalInventory;
  agentBindings: AgentBindingService;
  /** In-memory routing decisions, pools, outage and call leases (start() loads the index). */
  routing: RoutingService;
  numberCreators: NumberCreators;
  carriers: CarrierService;
  idempotency: IdempotencyStore;
}

export function createServices(deps: ServiceDeps, routingOptions: RoutingOptions = DEFAULT_ROUTING_OPTIONS): Services {
  const feed = new ChangeFeed(deps.database.pool);
  const phoneNumbers = new PhoneNumberService(deps, feed);
  const stock = new LocalInventory(deps);
  return {
    installation: new InstallationService(deps),
    feed,
    workspaces: new WorkspaceService(deps, feed),
    phoneNumbers,
    inventory: new InventoryService(stock, phoneNumbers, feed),
    stock,
    agentBindings: new AgentBindingService(phoneNumbers),
    routing: new RoutingService(deps, feed, routingOptions),
    numberCreators: new NumberCreators(deps),
    carriers: new CarrierService(deps),
    idempotency: new IdempotencyStore(deps),
  };
}
