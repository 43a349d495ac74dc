import type { ChangeFeed } from '../change-feed.ts';
import type { Actor, ServiceDeps } from '../context.ts';
import { Calls, type CallRecord, type CallStart } from './calls.ts';
import { DEFAULT_ROUTING_OPTIONS, RoutingContext, type RoutingOptions } from './context.ts';
import { Decisions } from './decisions.ts';
import { IndexLoader } from './index-loader.ts';
import { Pools, type NumberPool, type PoolInput } from './pools.ts';
import type { Decision, InboundInput, InboundKind, OutboundInput, Router } from './router.ts';
import { StateSync } from './state-sync.ts';
import { WorkspaceSettings, type WorkspaceRouting } from './workspace-settings.ts';
import { Trunks } from './trunks.ts';

export { DEFAULT_ROUTING_OPTIONS, type RoutingOptions } from './context.ts';
export { MAX_POOL_MEMBERS, type NumberPool, type PoolInput } from './pools.ts';
export type { CallRecord, CallStart } from './calls.ts';
export type { WorkspaceRouting } from './workspace-settings.ts';

/**
 * Routing decisions with their state kept in memory (see Router) and kept current: every
 * committed write in this process updates it before the write returns (ChangeFeed), and other
 * instances on the same PostgreSQL hear about it through LISTEN/NOTIFY and reload what changed.
 * The work lives in the parts below; this is the surface the transports call.
 */
export class RoutingService {
  private readonly context: RoutingContext;
  private readonly loader: IndexLoader;
  private readonly state: StateSync;
  private readonly settings: WorkspaceSettings;
  private readonly pools: Pools;
  private readonly calls: Calls;
  private readonly decisions: Decisions;
  private starting: Promise<void> | null = null;

  constructor(deps: ServiceDeps, feed: ChangeFeed, options: RoutingOptions = DEFAULT_ROUTING_OPTIONS) {
    this.context = new RoutingContext(deps, options);
    this.loader = new IndexLoader(this.context);
    this.state = new StateSync(this.context, this.loader, feed.remote);
    this.settings = new WorkspaceSettings(this.context, this.state);
    this.pools = new Pools(this.context, this.loader, this.state);
    this.calls = new Calls(this.context, this.loader, this.state);
    this.decisions = new Decisions(this.context, this.loader, this.pools, this.settings, this.calls, this.state, new Trunks(deps));
    feed.onNumbers((changes) => this.state.applyNumberChanges(changes));
  }

  get router(): Router {
    return this.context.router;
  }

  /**
   * Starts listening to other instances and loads the small state (workspace settings, pools,
   * leases); the number index then loads in the background (idempotent). Decisions are exact
   * meanwhile (see IndexLoader).
   */
  start(): Promise<void> {
    this.starting ??= this.startOnce();
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    await this.state.listen();
    await this.state.loadSmallState();
    this.loader.begin();
  }

  async stop(): Promise<void> {
    await this.loader.stop();
    await this.state.stop();
  }

  /** `ready` once every live number is in the index (reported by /healthz). */
  get indexState(): 'loading' | 'ready' {
    return this.loader.loading ? 'loading' : 'ready';
  }

  /** Numbers in the routing index. */
  get indexSize(): number {
    return this.context.router.index.size;
  }

  /** Resolves when the background load of the index has finished (or was stopped). */
  async indexLoaded(): Promise<void> {
    await this.start();
    await this.loader.loaded();
  }

  inbound(actor: Actor, input: InboundInput, kind: InboundKind): Promise<Decision> {
    return this.decisions.inbound(actor, input, kind);
  }

  outbound(actor: Actor, input: OutboundInput): Promise<Decision> {
    return this.decisions.outbound(actor, input);
  }

  workspaceRouting(actor: Actor): WorkspaceRouting {
    return this.settings.view(actor);
  }

  setOutage(actor: Actor, enabled: boolean): Promise<WorkspaceRouting> {
    return this.settings.setOutage(actor, enabled);
  }

  setWorkspaceLimits(actor: Actor, changes: { max_concurrent_calls?: number | null }): Promise<WorkspaceRouting> {
    return this.settings.setLimits(actor, changes);
  }

  rotateSigningSecret(actor: Actor): Promise<{ signing_secret: string }> {
    return this.settings.rotateSigningSecret(actor);
  }

  listPools(actor: Actor): Promise<NumberPool[]> {
    return this.pools.list(actor);
  }

  getPool(actor: Actor, id: string): Promise<NumberPool> {
    return this.pools.get(actor, id);
  }

  createPool(actor: Actor, input: PoolInput & { name: string }): Promise<NumberPool> {
    return this.pools.create(actor, input);
  }

  updatePool(actor: Actor, id: string, input: PoolInput): Promise<NumberPool> {
    return this.pools.update(actor, id, input);
  }

  /** Adds members (already-present ones are kept as they are). */
  addPoolMembers(actor: Actor, id: string, memberIds: string[]): Promise<NumberPool> {
    return this.pools.addMembers(actor, id, memberIds);
  }

  removePoolMember(actor: Actor, id: string, phoneNumberId: string): Promise<NumberPool> {
    return this.pools.removeMember(actor, id, phoneNumberId);
  }

  deletePool(actor: Actor, id: string): Promise<void> {
    return this.pools.delete(actor, id);
  }

  /** Records (or renews) a call's lease on its number; idempotent per call id. */
  startCall(actor: Actor, callId: string, input: CallStart): Promise<CallRecord> {
    return this.calls.start(actor, callId, input);
  }

  /** Frees the call's slot; idempotent. */
  endCall(actor: Actor, callId: string): Promise<CallRecord> {
    return this.calls.end(actor, callId);
  }
}
