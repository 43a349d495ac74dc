import type { Database } from '../db/database.ts';
import type { SecretBox } from '../domain/secrets.ts';
import { AgentBindingService } from './agent-bindings.ts';
import { CarrierService } from './carriers.ts';
import { ChangeFeed } from './change-feed.ts';
import type { ServiceDeps } from './context.ts';
import { IdempotencyStore } from './idempotency.ts';
import { NumberCreators } from './phone-numbers/creators.ts';
import { InventoryService } from './inventory/service.ts';
import { LocalInventory } from './inventory/local-inventory.ts';
import { PhoneNumberService } from './phone-numbers/service.ts';
import { ServiceTelemetry } from './telemetry.ts';
import { WorkspaceService } from './workspaces.ts';
import { DEFAULT_ROUTING_OPTIONS, RoutingService, type RoutingOptions } from './routing/service.ts';

/** Every service of one process, sharing one store. Transports receive this and nothing lower. */
export interface Services {
  deps: ServiceDeps;
  feed: ChangeFeed;
  /** Decisions, webhook calls and change-feed lag as events, for the metrics. */
  telemetry: ServiceTelemetry;
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

export function createServices(
  database: Database,
  secrets: SecretBox,
  clock?: () => Date,
  routingOptions: RoutingOptions = DEFAULT_ROUTING_OPTIONS,
): Services {
  const telemetry = new ServiceTelemetry();
  const deps: ServiceDeps = { database, secrets, telemetry, ...(clock ? { clock } : {}) };
  const feed = new ChangeFeed();
  const phoneNumbers = new PhoneNumberService(deps, feed);
  const stock = new LocalInventory(deps);
  return {
    deps,
    feed,
    telemetry,
    workspaces: new WorkspaceService(deps),
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
