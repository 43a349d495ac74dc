import crypto from 'node:crypto';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { CallLeaseRow, NumberPoolRow, Tables, WorkspaceSettingsRow } from '../../db/tables.ts';
import { canonicalE164 } from '../../domain/phone.ts';
import { isId, newId } from '../../domain/ids.ts';
import type { ChangeFeed, NumberChange } from '../change-feed.ts';
import { requireScope, type Actor, type ServiceDeps } from '../context.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { AgentWeight, CallingHours } from '../phone-numbers/model.ts';
import { IssueCollector, validateCallingHours, validateMaxConcurrentCalls } from '../phone-numbers/validate.ts';
import { callingWindow } from './calling-hours.ts';
import type { Lease } from './leases.ts';
import { ROUTING_COLUMNS, routingRowOfValues, type RoutingRow } from './number-index.ts';
import {
  POOL_STRATEGIES,
  Router,
  type Decision,
  type InboundInput,
  type InboundKind,
  type OutboundInput,
  type PendingInbound,
  type PoolState,
  type PoolStrategy,
  type WorkspaceState,
} from './router.ts';
import { PgSync, type ChangeNotice } from './sync.ts';
import { postWebhook, signatureOf } from './webhook.ts';

export interface RoutingOptions {
  webhookTimeoutMs: number;
  allowPrivateWebhookTargets: boolean;
  callLeaseSeconds: number;
  /** Awaited between reading a batch of the background index load and adding it: tests hold the load there. */
  afterIndexBatchRead?: () => Promise<void>;
}

export const DEFAULT_ROUTING_OPTIONS: RoutingOptions = { webhookTimeoutMs: 2000, allowPrivateWebhookTargets: false, callLeaseSeconds: 600 };

export interface WorkspaceRouting {
  workspace_id: string;
  outage: boolean;
  max_concurrent_calls: number | null;
  signing_secret_set: boolean;
  active_calls: number;
}

export interface NumberPool {
  id: string;
  name: string;
  strategy: PoolStrategy;
  calling_hours: CallingHours | null;
  members: string[];
  created_at: string;
  updated_at: string;
}

export interface PoolInput {
  name?: string;
  strategy?: PoolStrategy;
  calling_hours?: CallingHours | null;
  members?: string[];
}

export interface CallStart {
  phone_number_id?: string | undefined;
  phone_number?: string | undefined;
  direction?: 'inbound' | 'outbound' | undefined;
  lease_seconds?: number | undefined;
}

export interface CallRecord {
  call_id: string;
  phone_number_id: string;
  direction: 'inbound' | 'outbound';
  started_at: string;
  lease_expires_at: string;
  ended_at: string | null;
}

export const MAX_POOL_MEMBERS = 10_000;

/** Rows per batch of the index load: large enough to be cheap, small enough not to stall requests. */
const LOAD_BATCH_SIZE = 5000;

type RoutingQuery = SelectQueryBuilder<Tables, 'phone_numbers', RoutingRow>;

interface IndexLoad {
  /** Numbers deleted during the load; a row read before the delete must not revive them. */
  removed: Set<string>;
  /** `${workspace}\0${agent}` whose bound numbers have all been fetched. */
  agentsFetched: Set<string>;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Routing decisions with their state kept in memory (see Router) and kept current: every
 * committed write in this process updates it before the write returns (ChangeFeed), and other
 * instances on the same PostgreSQL hear about it through LISTEN/NOTIFY and reload what changed.
 */
export class RoutingService {
  readonly router = new Router();
  private sync: PgSync | null = null;
  private starting: Promise<void> | null = null;
  /** Set while the index loads in the background; null once it holds every live number. */
  private loading: IndexLoad | null = null;
  private indexLoad: Promise<void> = Promise.resolve();
  private stopped = false;
  private reloads: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ServiceDeps,
    feed: ChangeFeed,
    private readonly options: RoutingOptions = DEFAULT_ROUTING_OPTIONS,
  ) {
    feed.onNumbers((changes) => this.applyNumberChanges(changes));
  }

  private get db(): Kysely<Tables> {
    return this.deps.database.db;
  }

  private nowMs(): number {
    return this.deps.clock ? this.deps.clock().getTime() : Date.now();
  }

  /**
   * Starts listening to other instances and loads the small state (workspace settings, pools,
   * leases); the number index then loads in the background (idempotent). Until it is complete,
   * every decision first fetches the numbers it needs from the store (see `admit…`), so answers
   * are the same as with a complete index; afterwards nothing is fetched.
   */
  start(): Promise<void> {
    this.starting ??= this.startOnce();
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    const pool = this.deps.database.pool;
    if (pool) {
      // Listen before loading, so nothing committed during the load goes unheard.
      this.sync = new PgSync(
        pool,
        (notice) => this.enqueue(() => this.reload(notice)),
        () => this.enqueue(() => this.reloadAll()),
        (lagSeconds) => this.deps.telemetry?.emit('changeNotice', { lagSeconds }),
      );
      await this.sync.start();
    }
    await this.reloadWorkspaces();
    await this.reloadPools();
    await this.reloadLeases();
    this.loading = { removed: new Set(), agentsFetched: new Set() };
    this.indexLoad = this.loadIndex(this.loading);
  }

  /** `ready` once every live number is in the index (reported by /healthz). */
  get indexState(): 'loading' | 'ready' {
    return this.loading === null ? 'ready' : 'loading';
  }

  /** Numbers in the routing index. */
  get indexSize(): number {
    return this.router.index.size;
  }

  /**
   * Whether changes made by other instances reach this one: `local` on SQLite (one process, the
   * in-process feed only), `live` while listening on PostgreSQL, `down` while reconnecting (a
   * reload of everything follows), `starting` before start().
   */
  get changeFeedState(): 'local' | 'live' | 'down' | 'starting' {
    if (!this.deps.database.pool) return 'local';
    if (!this.sync) return 'starting';
    return this.sync.live ? 'live' : 'down';
  }

  /** Resolves when the background load of the index has finished (or was stopped). */
  async indexLoaded(): Promise<void> {
    await this.start();
    await this.indexLoad;
  }

  /**
   * Every live number into the index, in keyset-paged batches of the routing columns only,
   * yielding to the event loop between batches (better-sqlite3 answers synchronously, so an
   * await alone would not let a request in).
   */
  private async loadIndex(loading: IndexLoad): Promise<void> {
    let after = '';
    while (!this.stopped) {
      let batch: Awaited<ReturnType<RoutingService['routingBatch']>>;
      try {
        batch = await this.routingBatch(after);
        await this.options.afterIndexBatchRead?.();
      } catch {
        // A store hiccup (PostgreSQL restart) delays readiness; decisions keep fetching meanwhile.
        if (!this.stopped) await sleep(1000);
        continue;
      }
      this.admit(loading, batch.live);
      if (batch.lastId === null) break;
      after = batch.lastId;
      await yieldToEventLoop();
    }
    if (this.loading === loading && !this.stopped) this.loading = null;
  }

  /** Live numbers' routing columns, narrowed by `where`; read as arrays (see Database.selectArrays). */
  private async liveRoutingRows(where: (query: RoutingQuery) => RoutingQuery): Promise<RoutingRow[]> {
    const query = where(this.db.selectFrom('phone_numbers').select(ROUTING_COLUMNS).where('deleted_at', 'is', null));
    return (await this.deps.database.selectArrays(query.compile())).map(routingRowOfValues);
  }

  /**
   * The next batch of the load in primary-key order, deleted rows included and skipped here
   * (`lastId` is null after the final batch). With `deleted_at IS NULL` in the query, PostgreSQL
   * with stale statistics (autovacuum off, or not run yet after a large import) chose the partial
   * live-number index and filtered every row of the table for each batch: 262 s instead of about
   * 30 s for 1,000,000 numbers (BENCHMARKS.md). A key range in key order has one cheap plan
   * whatever the statistics say.
   */
  private async routingBatch(after: string): Promise<{ live: RoutingRow[]; lastId: string | null }> {
    const query = this.db
      .selectFrom('phone_numbers')
      .select([...ROUTING_COLUMNS, 'deleted_at'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(LOAD_BATCH_SIZE);
    const values = await this.deps.database.selectArrays(query.compile());
    const deletedAt = ROUTING_COLUMNS.length;
    const live = values.filter((row) => row[deletedAt] === null).map(routingRowOfValues);
    return { live, lastId: values.length < LOAD_BATCH_SIZE ? null : (values.at(-1)![0] as string) };
  }

  /**
   * Rows read while the index loads go in unless the number was deleted since (a row read
   * before a delete must not revive it); the version check keeps a newer write. Once the load
   * has finished the index is complete and a late answer is dropped.
   */
  private admit(loading: IndexLoad, rows: RoutingRow[]): void {
    if (this.loading !== loading) return;
    for (const row of rows) if (!loading.removed.has(row.id)) this.router.index.upsertRow(row);
  }

  private forget(id: string): void {
    this.router.index.remove(id);
    this.loading?.removed.add(id);
  }

  /** While the index loads: the number called `e164`, from the store unless already held. */
  private async admitByNumber(number: string): Promise<void> {
    const loading = this.loading;
    if (loading === null) return;
    const e164 = canonicalE164(number);
    if (e164 === null || this.router.index.byNumber(e164)) return;
    this.admit(loading, await this.liveRoutingRows((query) => query.where('e164', '=', e164)));
  }

  /** While the index loads: these numbers, from the store unless already held. */
  private async admitByIds(ids: readonly string[]): Promise<void> {
    const loading = this.loading;
    if (loading === null) return;
    const missing = ids.filter((id) => isId(id) && !this.router.index.get(id));
    for (let start = 0; start < missing.length; start += 500) {
      this.admit(loading, await this.liveRoutingRows((query) => query.where('id', 'in', missing.slice(start, start + 500))));
    }
  }

  /**
   * While the index loads: every number bound to the agent (the caller-ID candidates), once per
   * agent; later changes to them reach the index through the change feed like any other write.
   * An agent bound to more numbers than a load batch waits for the load instead: fetching them
   * one by one repeats the load, slower (1,000,000 bound numbers: ≈ 22 s).
   */
  private async admitOutboundAgent(workspaceId: string, agentId: string): Promise<void> {
    const loading = this.loading;
    const key = `${workspaceId}\0${agentId}`;
    if (loading === null || loading.agentsFetched.has(key)) return;
    const bound = await this.db
      .selectFrom('phone_number_agents')
      .select('phone_number_id')
      .where('workspace_id', '=', workspaceId)
      .where('agent_id', '=', agentId)
      .limit(LOAD_BATCH_SIZE + 1)
      .execute();
    if (bound.length > LOAD_BATCH_SIZE) return this.indexLoad;
    await this.admitByIds(bound.map((row) => row.phone_number_id));
    loading.agentsFetched.add(key);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.indexLoad;
    await this.sync?.stop();
    await this.reloads.catch(() => {});
  }

  private applyNumberChanges(changes: NumberChange[]): void {
    const ids: string[] = [];
    for (const change of changes) {
      if (change.after) this.router.index.upsert(change.after);
      else if (change.before) this.forget(change.before.id);
      ids.push((change.after ?? change.before)!.id);
    }
    this.sync?.publish({ numbers: ids });
  }

  private enqueue(work: () => Promise<void>): void {
    this.reloads = this.reloads.then(work).catch(() => {});
  }

  private async reload(notice: ChangeNotice): Promise<void> {
    if (notice.numbers?.length) {
      const rows = await this.db.selectFrom('phone_numbers').select([...ROUTING_COLUMNS, 'deleted_at']).where('id', 'in', notice.numbers).execute();
      const seen = new Set<string>();
      for (const row of rows) {
        seen.add(row.id);
        if (row.deleted_at === null) this.router.index.upsertRow(row);
        else this.forget(row.id);
      }
      for (const id of notice.numbers) if (!seen.has(id)) this.forget(id);
    }
    if (notice.workspaces?.length) await this.reloadWorkspaces(notice.workspaces);
    if (notice.pools?.length) await this.reloadPools(notice.pools);
    if (notice.leases?.length) await this.reloadLeases(notice.leases);
  }

  private async reloadAll(): Promise<void> {
    const live = new Set<string>();
    let after = '';
    for (;;) {
      const batch = await this.routingBatch(after);
      for (const row of batch.live) {
        live.add(row.id);
        this.router.index.upsertRow(row);
      }
      if (batch.lastId === null) break;
      after = batch.lastId;
    }
    for (const id of this.router.index.ids()) if (!live.has(id)) this.forget(id);
    this.router.workspaces.clear();
    this.router.pools.clear();
    await this.reloadWorkspaces();
    await this.reloadPools();
    await this.reloadLeases();
  }

  private async reloadWorkspaces(ids?: string[]): Promise<void> {
    let query = this.db.selectFrom('workspace_settings').selectAll();
    if (ids) query = query.where('workspace_id', 'in', ids);
    for (const row of await query.execute()) this.router.workspaces.set(row.workspace_id, this.workspaceState(row));
  }

  private workspaceState(row: WorkspaceSettingsRow): WorkspaceState {
    return {
      outage: row.outage === 1,
      maxConcurrentCalls: row.max_concurrent_calls ?? 0,
      signingSecret: row.signing_secret === null ? null : this.deps.secrets.open(row.signing_secret),
    };
  }

  private async reloadPools(ids?: string[]): Promise<void> {
    let pools = this.db.selectFrom('number_pools').selectAll();
    let members = this.db.selectFrom('number_pool_members').selectAll().orderBy('pool_id').orderBy('position');
    if (ids) {
      pools = pools.where('id', 'in', ids);
      members = members.where('pool_id', 'in', ids);
      for (const id of ids) this.router.pools.delete(id);
    }
    const byPool = new Map<string, string[]>();
    for (const member of await members.execute()) {
      let list = byPool.get(member.pool_id);
      if (!list) byPool.set(member.pool_id, (list = []));
      list.push(member.phone_number_id);
    }
    for (const row of await pools.execute()) this.router.pools.set(row.id, poolState(row, byPool.get(row.id) ?? []));
  }

  private async reloadLeases(numberIds?: string[]): Promise<void> {
    const now = new Date(this.nowMs()).toISOString();
    let query = this.db.selectFrom('call_leases').selectAll().where('ended_at', 'is', null).where('expires_at', '>', now);
    if (numberIds) query = query.where('phone_number_id', 'in', numberIds);
    const leases = (await query.execute()).map(leaseOf);
    if (numberIds) this.router.leases.replaceForNumbers(numberIds, leases);
    else for (const lease of leases) this.router.leases.put(lease);
  }

  // ---- decisions ----

  async inbound(actor: Actor, input: InboundInput, kind: InboundKind): Promise<Decision> {
    requireScope(actor, 'routing');
    // Checked here as well as inside: once the index is complete a decision awaits nothing.
    if (this.loading !== null) await this.admitByNumber(input.to);
    const result = this.router.inbound(actor.workspaceId, input, kind, this.nowMs());
    return this.reported(kind === 'voice' ? 'inbound_voice' : 'inbound_sms', 'action' in result ? result : await this.consultWebhook(actor, input, kind, result));
  }

  async outbound(actor: Actor, input: OutboundInput): Promise<Decision> {
    requireScope(actor, 'routing');
    const to = canonicalE164(input.to);
    const issues = new IssueCollector();
    if (to === null) issues.add('to', 'must be an E.164 phone number: "+", country code and up to 15 digits');
    const sources = [input.from, input.pool_id].filter((value) => value !== undefined).length;
    if (sources > 1) issues.add('from', 'give either from or pool_id, not both');
    if (sources === 0 && input.agent_id === undefined) issues.add('from', 'give from, pool_id or agent_id');
    issues.throwIfAny();
    if (input.pool_id !== undefined) {
      const pool = this.poolOf(actor, input.pool_id);
      if (this.loading !== null) await this.admitByIds(pool.members);
    } else if (this.loading !== null) {
      if (input.from !== undefined) await this.admitByNumber(input.from);
      else await this.admitOutboundAgent(actor.workspaceId, input.agent_id!);
    }
    return this.reported('outbound', this.router.outbound(actor.workspaceId, input, to!, this.nowMs()));
  }

  private reported(direction: 'inbound_voice' | 'inbound_sms' | 'outbound', decision: Decision): Decision {
    this.deps.telemetry?.emit('decision', { direction, action: decision.action, decidedBy: decision.decided_by });
    return decision;
  }

  /**
   * Asks the number's webhook (signed like Retell's) and applies its answer. A webhook that
   * fails, times out, is refused as a private target or answers garbage never fails the call:
   * the configured binding decides and the decision says why (`webhook_error`).
   */
  private async consultWebhook(actor: Actor, input: InboundInput, kind: InboundKind, pending: PendingInbound): Promise<Decision> {
    const { entry, agent } = pending;
    const event = kind === 'voice' ? 'call_inbound' : 'chat_inbound';
    const body = JSON.stringify({
      event,
      [event]: {
        ...(kind === 'voice' ? { call_id: input.call_id ?? null } : { chat_id: input.call_id ?? null }),
        from_number: canonicalE164(input.from) ?? input.from,
        to_number: entry.e164,
        agent_id: agent?.agent_id ?? null,
        agent_version: agent?.agent_version ?? null,
      },
    });
    const secret = await this.signingSecret(actor.workspaceId);
    // Signed with the wall clock, not an injected one: receivers check freshness against theirs.
    const started = performance.now();
    const outcome = await postWebhook(pending.webhookUrl, body, signatureOf(body, secret, Date.now()), {
      timeoutMs: this.options.webhookTimeoutMs,
      allowPrivateTargets: this.options.allowPrivateWebhookTargets,
    });
    const base = { phone_number_id: entry.id };
    const answer = outcome.ok ? parseWebhookAnswer(outcome.body, event) : null;
    this.deps.telemetry?.emit('webhook', {
      outcome: outcome.ok ? (answer === null ? 'invalid_response' : 'ok') : outcome.failure,
      seconds: (performance.now() - started) / 1000,
    });
    if (!outcome.ok || answer === null) {
      const error = outcome.ok ? 'invalid_response' : outcome.failure;
      if (agent === null) return { action: 'reject', reason: 'no_agent', decided_by: 'binding_after_webhook_failure', webhook_error: error, ...base };
      return { ...connectTo(entry.id, agent), decided_by: 'binding_after_webhook_failure', webhook_error: error };
    }
    if (answer.reject) return { action: 'reject', reason: 'rejected_by_webhook', decided_by: 'webhook', ...base };
    let chosen: AgentWeight | null = agent;
    if (answer.agentId !== undefined) {
      chosen = { agent_id: answer.agentId, weight: 1, ...(answer.agentVersion !== undefined ? { agent_version: answer.agentVersion } : {}) };
    } else if (answer.agentVersion !== undefined && chosen) {
      chosen = { ...chosen, agent_version: answer.agentVersion };
    }
    if (chosen === null) return { action: 'reject', reason: 'no_agent', decided_by: 'webhook', ...base };
    return { ...connectTo(entry.id, chosen), dynamic_variables: answer.dynamicVariables, decided_by: 'webhook' };
  }

  // ---- workspace settings ----

  workspaceRouting(actor: Actor): WorkspaceRouting {
    requireScope(actor, 'numbers:read');
    return this.workspaceView(actor.workspaceId);
  }

  private workspaceView(workspaceId: string): WorkspaceRouting {
    const state = this.router.workspace(workspaceId);
    return {
      workspace_id: workspaceId,
      outage: state.outage,
      max_concurrent_calls: state.maxConcurrentCalls === 0 ? null : state.maxConcurrentCalls,
      signing_secret_set: state.signingSecret !== null,
      active_calls: this.router.leases.inWorkspace(workspaceId, this.nowMs()),
    };
  }

  async setOutage(actor: Actor, enabled: boolean): Promise<WorkspaceRouting> {
    requireScope(actor, 'admin');
    await this.saveWorkspace(actor.workspaceId, { outage: enabled ? 1 : 0 });
    return this.workspaceView(actor.workspaceId);
  }

  async setWorkspaceLimits(actor: Actor, changes: { max_concurrent_calls?: number | null }): Promise<WorkspaceRouting> {
    requireScope(actor, 'admin');
    if (changes.max_concurrent_calls !== undefined) {
      const issues = new IssueCollector();
      if (changes.max_concurrent_calls !== null) validateMaxConcurrentCalls(issues, 'max_concurrent_calls', changes.max_concurrent_calls);
      issues.throwIfAny();
      await this.saveWorkspace(actor.workspaceId, { max_concurrent_calls: changes.max_concurrent_calls });
    }
    return this.workspaceView(actor.workspaceId);
  }

  /** A new signing secret, returned exactly once; the previous one stops signing at once. */
  async rotateSigningSecret(actor: Actor): Promise<{ signing_secret: string }> {
    requireScope(actor, 'admin');
    const secret = newSigningSecret();
    await this.saveWorkspace(actor.workspaceId, { signing_secret: this.deps.secrets.seal(secret) });
    return { signing_secret: secret };
  }

  /** The workspace's signing secret, created on first use (rotate to learn it). */
  private async signingSecret(workspaceId: string): Promise<string> {
    const held = this.router.workspace(workspaceId).signingSecret;
    if (held !== null) return held;
    await this.db
      .insertInto('workspace_settings')
      .values({ ...this.settingsDefaults(workspaceId), signing_secret: this.deps.secrets.seal(newSigningSecret()) })
      .onConflict((conflict) => conflict.column('workspace_id').doNothing())
      .execute();
    const row = await this.db.selectFrom('workspace_settings').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
    if (row.signing_secret === null) {
      await this.db
        .updateTable('workspace_settings')
        .set({ signing_secret: this.deps.secrets.seal(newSigningSecret()) })
        .where('workspace_id', '=', workspaceId)
        .where('signing_secret', 'is', null)
        .execute();
    }
    await this.reloadWorkspaces([workspaceId]);
    this.sync?.publish({ workspaces: [workspaceId] });
    return this.router.workspace(workspaceId).signingSecret!;
  }

  private settingsDefaults(workspaceId: string): WorkspaceSettingsRow {
    return { workspace_id: workspaceId, outage: 0, signing_secret: null, max_concurrent_calls: null, updated_at: new Date(this.nowMs()).toISOString() };
  }

  private async saveWorkspace(workspaceId: string, changes: Partial<Omit<WorkspaceSettingsRow, 'workspace_id'>>): Promise<void> {
    const updated_at = new Date(this.nowMs()).toISOString();
    await this.db
      .insertInto('workspace_settings')
      .values({ ...this.settingsDefaults(workspaceId), ...changes, updated_at })
      .onConflict((conflict) => conflict.column('workspace_id').doUpdateSet({ ...changes, updated_at }))
      .execute();
    await this.reloadWorkspaces([workspaceId]);
    this.sync?.publish({ workspaces: [workspaceId] });
  }

  // ---- pools ----

  async listPools(actor: Actor): Promise<NumberPool[]> {
    requireScope(actor, 'numbers:read');
    const pools = [...this.router.pools.values()].filter((pool) => pool.workspaceId === actor.workspaceId).sort((a, b) => (a.id < b.id ? -1 : 1));
    const views: NumberPool[] = [];
    for (const pool of pools) views.push(await this.poolView(pool));
    return views;
  }

  getPool(actor: Actor, id: string): Promise<NumberPool> {
    requireScope(actor, 'numbers:read');
    return this.poolView(this.poolOf(actor, id));
  }

  async createPool(actor: Actor, input: PoolInput & { name: string }): Promise<NumberPool> {
    requireScope(actor, 'numbers:write');
    const issues = new IssueCollector();
    const hours = input.calling_hours ? validateCallingHours(issues, 'calling_hours', input.calling_hours) : null;
    this.checkPoolFields(issues, input);
    const members = await this.checkMembers(actor, issues, 'members', input.members ?? []);
    issues.throwIfAny();
    const now = new Date(this.nowMs()).toISOString();
    const row: NumberPoolRow = {
      id: newId(),
      workspace_id: actor.workspaceId,
      name: input.name.trim(),
      strategy: input.strategy ?? 'local_presence',
      calling_hours: hours ? JSON.stringify(hours) : null,
      created_at: now,
      updated_at: now,
    };
    await this.uniqueName(async () =>
      this.db.transaction().execute(async (trx) => {
        await trx.insertInto('number_pools').values(row).execute();
        for (let start = 0; start < members.length; start += 500) {
          await trx
            .insertInto('number_pool_members')
            .values(members.slice(start, start + 500).map((id, offset) => ({ pool_id: row.id, phone_number_id: id, workspace_id: actor.workspaceId, added_at: now, position: start + offset })))
            .execute();
        }
      }),
    );
    return this.poolChanged(row.id);
  }

  async updatePool(actor: Actor, id: string, input: PoolInput): Promise<NumberPool> {
    requireScope(actor, 'numbers:write');
    const pool = this.poolOf(actor, id);
    const issues = new IssueCollector();
    const hours = input.calling_hours ? validateCallingHours(issues, 'calling_hours', input.calling_hours) : input.calling_hours;
    this.checkPoolFields(issues, input);
    const members = input.members ? await this.checkMembers(actor, issues, 'members', input.members) : null;
    issues.throwIfAny();
    const now = new Date(this.nowMs()).toISOString();
    await this.uniqueName(() =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('number_pools')
          .set({
            updated_at: now,
            ...(input.name !== undefined ? { name: input.name.trim() } : {}),
            ...(input.strategy !== undefined ? { strategy: input.strategy } : {}),
            ...(hours !== undefined ? { calling_hours: hours === null ? null : JSON.stringify(hours) } : {}),
          })
          .where('id', '=', pool.id)
          .execute();
        if (members) {
          await trx.deleteFrom('number_pool_members').where('pool_id', '=', pool.id).execute();
          for (let start = 0; start < members.length; start += 500) {
            await trx
              .insertInto('number_pool_members')
              .values(
                members
                  .slice(start, start + 500)
                  .map((member, offset) => ({ pool_id: pool.id, phone_number_id: member, workspace_id: actor.workspaceId, added_at: now, position: start + offset })),
              )
              .execute();
          }
        }
      }),
    );
    return this.poolChanged(pool.id);
  }

  /** Adds members (already-present ones are kept as they are). */
  async addPoolMembers(actor: Actor, id: string, memberIds: string[]): Promise<NumberPool> {
    requireScope(actor, 'numbers:write');
    const pool = this.poolOf(actor, id);
    const issues = new IssueCollector();
    const members = await this.checkMembers(actor, issues, 'members', memberIds);
    const fresh = members.filter((member) => !pool.members.includes(member));
    if (pool.members.length + fresh.length > MAX_POOL_MEMBERS) issues.add('members', `a pool holds at most ${MAX_POOL_MEMBERS} numbers`);
    issues.throwIfAny();
    const now = new Date(this.nowMs()).toISOString();
    if (fresh.length > 0) {
      const last = await this.db
        .selectFrom('number_pool_members')
        .select((eb) => eb.fn.max('position').as('position'))
        .where('pool_id', '=', pool.id)
        .executeTakeFirst();
      const next = (last?.position ?? -1) + 1;
      await this.db
        .insertInto('number_pool_members')
        .values(fresh.map((member, offset) => ({ pool_id: pool.id, phone_number_id: member, workspace_id: actor.workspaceId, added_at: now, position: next + offset })))
        .onConflict((conflict) => conflict.columns(['pool_id', 'phone_number_id']).doNothing())
        .execute();
      await this.db.updateTable('number_pools').set({ updated_at: now }).where('id', '=', pool.id).execute();
    }
    return this.poolChanged(pool.id);
  }

  async removePoolMember(actor: Actor, id: string, phoneNumberId: string): Promise<NumberPool> {
    requireScope(actor, 'numbers:write');
    const pool = this.poolOf(actor, id);
    if (!pool.members.includes(phoneNumberId)) throw new NotFoundError(`phone number ${phoneNumberId} is not a member of pool ${pool.id}`);
    await this.db.deleteFrom('number_pool_members').where('pool_id', '=', pool.id).where('phone_number_id', '=', phoneNumberId).execute();
    await this.db.updateTable('number_pools').set({ updated_at: new Date(this.nowMs()).toISOString() }).where('id', '=', pool.id).execute();
    return this.poolChanged(pool.id);
  }

  async deletePool(actor: Actor, id: string): Promise<void> {
    requireScope(actor, 'numbers:write');
    const pool = this.poolOf(actor, id);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('number_pool_members').where('pool_id', '=', pool.id).execute();
      await trx.deleteFrom('number_pools').where('id', '=', pool.id).execute();
    });
    this.router.pools.delete(pool.id);
    this.sync?.publish({ pools: [pool.id] });
  }

  private poolOf(actor: Actor, id: string): PoolState {
    const pool = isId(id) ? this.router.pools.get(id) : undefined;
    if (!pool || pool.workspaceId !== actor.workspaceId) throw new NotFoundError(`number pool ${id} not found`);
    return pool;
  }

  private async poolView(pool: PoolState): Promise<NumberPool> {
    await this.admitByIds(pool.members);
    return {
      id: pool.id,
      name: pool.name,
      strategy: pool.strategy,
      calling_hours: pool.callingHours?.hours ?? null,
      // Members deleted since they joined no longer count (and are never chosen).
      members: pool.members.filter((member) => this.router.index.get(member) !== undefined),
      created_at: pool.createdAt,
      updated_at: pool.updatedAt,
    };
  }

  private async poolChanged(id: string): Promise<NumberPool> {
    await this.reloadPools([id]);
    this.sync?.publish({ pools: [id] });
    return this.poolView(this.router.pools.get(id)!);
  }

  private checkPoolFields(issues: IssueCollector, input: PoolInput): void {
    if (input.name !== undefined && input.name.trim() === '') issues.add('name', 'must not be blank');
    if (input.name !== undefined && CONTROL_CHARACTERS.test(input.name)) issues.add('name', 'must not contain control characters');
    if (input.strategy !== undefined && !(POOL_STRATEGIES as readonly string[]).includes(input.strategy)) {
      issues.add('strategy', `must be one of ${POOL_STRATEGIES.join(', ')}`);
    }
  }

  /** Live numbers of the actor's workspace, de-duplicated; anything else is an issue naming its index. */
  private async checkMembers(actor: Actor, issues: IssueCollector, field: string, ids: string[]): Promise<string[]> {
    if (ids.length > MAX_POOL_MEMBERS) {
      issues.add(field, `a pool holds at most ${MAX_POOL_MEMBERS} numbers`);
      return [];
    }
    const wanted = [...new Set(ids.filter(isId))];
    const found = new Set<string>();
    for (let start = 0; start < wanted.length; start += 500) {
      const rows = await this.db
        .selectFrom('phone_numbers')
        .select('id')
        .where('workspace_id', '=', actor.workspaceId)
        .where('deleted_at', 'is', null)
        .where('id', 'in', wanted.slice(start, start + 500))
        .execute();
      for (const row of rows) found.add(row.id);
    }
    ids.forEach((id, index) => {
      if (!found.has(id)) issues.add(`${field}[${index}]`, `phone number ${id} not found in this workspace`);
    });
    return [...new Set(ids)];
  }

  private async uniqueName<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ConflictError('a number pool with this name already exists', [{ field: 'name', message: 'already used by another pool' }]);
      }
      throw error;
    }
  }

  // ---- call leases ----

  /**
   * Records (or renews) a call's lease on its number. Idempotent per call id: repeating it
   * extends the lease (the runtime's heartbeat); an ended call stays ended.
   */
  async startCall(actor: Actor, callId: string, input: CallStart): Promise<CallRecord> {
    requireScope(actor, 'routing');
    const issues = new IssueCollector();
    checkCallId(issues, callId);
    if ((input.phone_number_id === undefined) === (input.phone_number === undefined)) {
      issues.add('phone_number_id', 'give exactly one of phone_number_id or phone_number');
    }
    issues.throwIfAny();
    if (input.phone_number_id !== undefined) await this.admitByIds([input.phone_number_id]);
    else await this.admitByNumber(input.phone_number!);
    const entry =
      input.phone_number_id !== undefined
        ? this.router.index.get(input.phone_number_id)
        : this.router.index.byNumber(canonicalE164(input.phone_number!) ?? '');
    if (!entry || entry.workspaceId !== actor.workspaceId) {
      throw new NotFoundError(`phone number ${input.phone_number_id ?? input.phone_number} not found`);
    }
    const nowMs = this.nowMs();
    const expires = new Date(nowMs + (input.lease_seconds ?? this.options.callLeaseSeconds) * 1000).toISOString();
    const existing = await this.leaseRow(actor.workspaceId, callId);
    if (existing) {
      if (existing.phone_number_id !== entry.id) {
        throw new ConflictError(`call ${callId} was started on another number`, [{ field: 'phone_number_id', message: 'differs from the call\'s number' }]);
      }
      if (existing.ended_at !== null) return callRecord(existing);
      await this.db.updateTable('call_leases').set({ expires_at: expires }).where('workspace_id', '=', actor.workspaceId).where('call_id', '=', callId).execute();
      return this.leaseChanged(actor.workspaceId, callId, entry.id);
    }
    const row: CallLeaseRow = {
      workspace_id: actor.workspaceId,
      call_id: callId,
      phone_number_id: entry.id,
      direction: input.direction ?? 'inbound',
      started_at: new Date(nowMs).toISOString(),
      expires_at: expires,
      ended_at: null,
    };
    await this.db.insertInto('call_leases').values(row).onConflict((conflict) => conflict.columns(['workspace_id', 'call_id']).doNothing()).execute();
    return this.leaseChanged(actor.workspaceId, callId, entry.id);
  }

  /** Frees the call's slot. Idempotent: ending an ended call returns it unchanged. */
  async endCall(actor: Actor, callId: string): Promise<CallRecord> {
    requireScope(actor, 'routing');
    const issues = new IssueCollector();
    checkCallId(issues, callId);
    issues.throwIfAny();
    const existing = await this.leaseRow(actor.workspaceId, callId);
    if (!existing) throw new NotFoundError(`call ${callId} not found`);
    if (existing.ended_at !== null) return callRecord(existing);
    await this.db
      .updateTable('call_leases')
      .set({ ended_at: new Date(this.nowMs()).toISOString() })
      .where('workspace_id', '=', actor.workspaceId)
      .where('call_id', '=', callId)
      .where('ended_at', 'is', null)
      .execute();
    return this.leaseChanged(actor.workspaceId, callId, existing.phone_number_id);
  }

  private leaseRow(workspaceId: string, callId: string): Promise<CallLeaseRow | undefined> {
    return this.db.selectFrom('call_leases').selectAll().where('workspace_id', '=', workspaceId).where('call_id', '=', callId).executeTakeFirst();
  }

  private async leaseChanged(workspaceId: string, callId: string, numberId: string): Promise<CallRecord> {
    const row = (await this.leaseRow(workspaceId, callId))!;
    if (row.ended_at === null) this.router.leases.put(leaseOf(row));
    else this.router.leases.drop(workspaceId, callId);
    this.sync?.publish({ leases: [numberId] });
    return callRecord(row);
  }
}

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function checkCallId(issues: IssueCollector, callId: string): void {
  if (callId.trim() === '' || callId.length > 128) issues.add('call_id', 'must be 1 to 128 characters');
  else if (CONTROL_CHARACTERS.test(callId)) issues.add('call_id', 'must not contain control characters');
}

function newSigningSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}

function poolState(row: NumberPoolRow, members: string[]): PoolState {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    strategy: row.strategy as PoolStrategy,
    callingHours: row.calling_hours ? callingWindow(JSON.parse(row.calling_hours) as CallingHours) : null,
    members,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function leaseOf(row: CallLeaseRow): Lease {
  return { workspaceId: row.workspace_id, callId: row.call_id, numberId: row.phone_number_id, expiresMs: Date.parse(row.expires_at) };
}

function callRecord(row: CallLeaseRow): CallRecord {
  return {
    call_id: row.call_id,
    phone_number_id: row.phone_number_id,
    direction: row.direction as CallRecord['direction'],
    started_at: row.started_at,
    lease_expires_at: row.expires_at,
    ended_at: row.ended_at,
  };
}

function connectTo(numberId: string, agent: AgentWeight): Decision {
  return {
    action: 'connect',
    agent_id: agent.agent_id,
    ...(agent.agent_version !== undefined ? { agent_version: agent.agent_version } : {}),
    phone_number_id: numberId,
    dynamic_variables: {},
    decided_by: 'binding',
  };
}

interface WebhookAnswer {
  reject: boolean;
  agentId?: string;
  agentVersion?: number | string;
  dynamicVariables: Record<string, string>;
}

/**
 * Reads Retell's answer shape (`{call_inbound: {override_agent_id, override_agent_version,
 * dynamic_variables}}`, or the same fields at the top level; `agent_id`/`agent_version` are
 * accepted too) plus `reject: true`. Anything malformed makes the whole answer unusable.
 */
function parseWebhookAnswer(body: unknown, event: string): WebhookAnswer | null {
  if (!isPlainObject(body)) return null;
  const inner = body[event] ?? body;
  if (!isPlainObject(inner)) return null;
  const answer: WebhookAnswer = { reject: false, dynamicVariables: {} };
  const reject = inner.reject ?? body.reject;
  if (reject !== undefined && typeof reject !== 'boolean') return null;
  answer.reject = reject === true;
  const agentId = inner.override_agent_id ?? inner.agent_id;
  if (agentId !== undefined && agentId !== null) {
    if (typeof agentId !== 'string' || agentId.trim() === '' || agentId.length > 128) return null;
    answer.agentId = agentId;
  }
  const version = inner.override_agent_version ?? inner.agent_version;
  if (version !== undefined && version !== null) {
    const validNumber = typeof version === 'number' && Number.isInteger(version) && version >= 0;
    const validString = typeof version === 'string' && version.trim() !== '' && version.length <= 64;
    if (!validNumber && !validString) return null;
    answer.agentVersion = version;
  }
  const variables = inner.dynamic_variables;
  if (variables !== undefined && variables !== null) {
    if (!isPlainObject(variables)) return null;
    for (const [key, value] of Object.entries(variables)) {
      if (typeof value !== 'string') return null;
      answer.dynamicVariables[key] = value;
    }
  }
  return answer;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
