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
import { ServiceTelemetry } from './telemetry.ts';
import { WorkspaceService } from './workspaces.ts';
import { CarrierReleases, type ReleaseOptions } from './inventory/releases.ts';
import { CarrierSync } from './inventory/sync.ts';
import type { CarrierProvider } from './inventory/provider.ts';
import { TwilioProvider, type TwilioSettings } from './inventory/twilio-provider.ts';
import { TelnyxProvider, type TelnyxSettings } from './inventory/telnyx-provider.ts';
import { DEFAULT_ROUTING_OPTIONS, RoutingService, type RoutingOptions } from './routing/service.ts';

/**
 * Every service of one process, sharing one store. Transports receive this and nothing lower:
 * the store, the secrets and the clock (ServiceDeps) stay with the services and the runtime.
 */
export interface Services {
  /** The store engine and the services' clock, for transports that report or stamp them. */
  installation: InstallationService;
  feed: ChangeFeed;
  /** Decisions, webhook calls and change-feed lag as events, for the metrics. */
  telemetry: ServiceTelemetry;
  workspaces: WorkspaceService;
  phoneNumbers: PhoneNumberService;
  /** Buying numbers from the operator's stock (`switchboard inventory add`) and the configured carriers. */
  inventory: InventoryService;
  /** Numbers bought at carriers and their release (retried until done). */
  releases: CarrierReleases;
  /** Importing the numbers a carrier account already owns. */
  carrierSync: CarrierSync;
  /** The operator's stock itself (CLI: add, list). */
  stock: LocalInventory;
  agentBindings: AgentBindingService;
  /** In-memory routing decisions, pools, outage and call leases (start() loads the index). */
  routing: RoutingService;
  numberCreators: NumberCreators;
  carriers: CarrierService;
  idempotency: IdempotencyStore;
}

/** The carriers an installation buys from (each only when configured), and how releases are retried. */
export interface CarrierOptions {
  twilio?: TwilioSettings | undefined;
  telnyx?: TelnyxSettings | undefined;
  /** `NUMBER_PROVIDER_DEFAULT`. */
  defaultProvider?: string | undefined;
  release: ReleaseOptions;
}

export const NO_CARRIERS: CarrierOptions = { release: { retryMs: 30_000, maxAttempts: 12 } };

export function createServices(
  given: ServiceDeps,
  routingOptions: RoutingOptions = DEFAULT_ROUTING_OPTIONS,
  carrierOptions: CarrierOptions = NO_CARRIERS,
  { bulkImportWorker = true }: { bulkImportWorker?: boolean } = {},
): Services {
  const telemetry = given.telemetry ?? new ServiceTelemetry();
  const deps: ServiceDeps = { ...given, telemetry };
  const feed = new ChangeFeed(deps.database.pool);
  const phoneNumbers = new PhoneNumberService(deps, feed, { bulkImportWorker });
  const stock = new LocalInventory(deps);
  const carriers = new Map<string, CarrierProvider>();
  if (carrierOptions.twilio) carriers.set('twilio', new TwilioProvider(carrierOptions.twilio));
  if (carrierOptions.telnyx) carriers.set('telnyx', new TelnyxProvider(carrierOptions.telnyx));
  const releases = new CarrierReleases(deps, carriers, carrierOptions.release);
  return {
    installation: new InstallationService(deps),
    feed,
    telemetry,
    workspaces: new WorkspaceService(deps, feed),
    phoneNumbers,
    inventory: new InventoryService({ stock, carriers, defaultProvider: carrierOptions.defaultProvider }, releases, phoneNumbers, feed),
    releases,
    carrierSync: new CarrierSync(deps, carriers, phoneNumbers),
    stock,
    agentBindings: new AgentBindingService(phoneNumbers),
    routing: new RoutingService(deps, feed, routingOptions),
    numberCreators: new NumberCreators(deps),
    carriers: new CarrierService(deps),
    idempotency: new IdempotencyStore(deps),
  };
}
