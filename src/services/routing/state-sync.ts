import type { CallLeaseRow, NumberPoolRow, WorkspaceSettingsRow } from '../../db/tables.ts';
import type { NumberChange } from '../change-feed.ts';
import type { CallingHours } from '../phone-numbers/model.ts';
import { callingWindow } from './calling-hours.ts';
import type { RoutingContext } from './context.ts';
import { routingBatch, type IndexLoader } from './index-loader.ts';
import type { Lease } from './leases.ts';
import { ROUTING_COLUMNS } from './number-index.ts';
import type { PoolState, PoolStrategy, WorkspaceState } from './router.ts';
import { isId } from '../../domain/ids.ts';
import type { NoticeSigner } from '../transactions.ts';
import type { ChangeNotice, PgSync } from './sync.ts';

/**
 * Keeps the router's state current. Writes in this process reach it before they return (the
 * change feed for numbers; the other parts reload what they wrote); other instances on the
 * same PostgreSQL hear of every change through LISTEN/NOTIFY (sent by the write itself) and reload exactly
 * what it names, or everything after a reconnect (notices may have been missed meanwhile).
 */
export class StateSync {
  private reloads: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: RoutingContext,
    private readonly loader: IndexLoader,
    /** The process's feed from other instances (ChangeFeed.remote); null on SQLite. */
    private readonly sync: PgSync | null,
  ) {}

  /** Listens to other instances (PostgreSQL only); before any load, so nothing committed meanwhile goes unheard. */
  async listen(): Promise<void> {
    if (!this.sync) return;
    this.sync.subscribe({
      notice: (notice, lagSeconds) => {
        if (lagSeconds !== undefined) this.context.deps.telemetry?.emit('changeNotice', { lagSeconds });
        this.enqueue(() => this.reload(notice));
      },
      // ---- feed down/up (issue 11, sync.ts): the index is not trusted until everything is reloaded ----
      down: () => this.loader.distrust(),
      resync: () => this.loader.resync(() => this.enqueued(() => this.reloadAll())),
    });
    await this.sync.start();
  }

  /**
   * While the feed is down (IndexLoader.untrusted): the settings of the deciding workspace, the
   * pool and the leases of the numbers a decision involves, from the store.
   */
  async refreshUntrusted(workspaceId: string, numberIds: readonly string[], poolId?: string): Promise<void> {
    if (!this.loader.untrusted) return;
    await this.reloadWorkspaces([workspaceId]);
    if (poolId !== undefined && isId(poolId)) await this.reloadPools([poolId]);
    if (numberIds.length > 0) await this.reloadLeases([...numberIds]);
  }

  async stop(): Promise<void> {
    await this.sync?.stop();
    await this.reloads.catch(() => {});
  }

  /**
   * How this process's routing writes tell the other instances what they changed: from their own
   * statement or transaction (`notifyingWrite`, `inTransaction`); null on SQLite.
   */
  get notices(): NoticeSigner | null {
    return this.sync;
  }

  /** Committed number writes of this process, into the index (the writes told the other instances themselves). */
  applyNumberChanges(changes: NumberChange[]): void {
    for (const change of changes) {
      if (change.after) this.context.router.index.upsert(change.after);
      else if (change.before) this.loader.forget(change.before.id);
    }
  }

  /** Workspace settings, pools and live leases: the small state, loaded whole at start. */
  async loadSmallState(): Promise<void> {
    await this.reloadWorkspaces();
    await this.reloadPools();
    await this.reloadLeases();
  }

  async reloadWorkspaces(ids?: string[]): Promise<void> {
    let query = this.context.db.selectFrom('workspace_settings').selectAll();
    if (ids) query = query.where('workspace_id', 'in', ids);
    for (const row of await query.execute()) this.context.router.workspaces.set(row.workspace_id, this.workspaceState(row));
  }

  async reloadPools(ids?: string[]): Promise<void> {
    const { db, router } = this.context;
    let pools = db.selectFrom('number_pools').selectAll();
    let members = db.selectFrom('number_pool_members').selectAll().orderBy('pool_id').orderBy('position');
    if (ids) {
      pools = pools.where('id', 'in', ids);
      members = members.where('pool_id', 'in', ids);
      for (const id of ids) router.pools.delete(id);
    }
    const byPool = new Map<string, string[]>();
    for (const member of await members.execute()) {
      let list = byPool.get(member.pool_id);
      if (!list) byPool.set(member.pool_id, (list = []));
      list.push(member.phone_number_id);
    }
    for (const row of await pools.execute()) router.pools.set(row.id, poolState(row, byPool.get(row.id) ?? []));
  }

  async reloadLeases(numberIds?: string[]): Promise<void> {
    let query = this.context.db.selectFrom('call_leases').selectAll().where('ended_at', 'is', null).where('expires_at', '>', this.context.nowIso());
    if (numberIds) query = query.where('phone_number_id', 'in', numberIds);
    const leases = (await query.execute()).map(leaseOf);
    if (numberIds) this.context.router.leases.replaceForNumbers(numberIds, leases);
    else for (const lease of leases) this.context.router.leases.put(lease);
  }

  private enqueue(work: () => Promise<void>): void {
    this.reloads = this.reloads.then(work).catch(() => {});
  }

  /** Like enqueue, but the caller learns whether the work succeeded (a failed resync is retried). */
  private enqueued(work: () => Promise<void>): Promise<void> {
    const done = this.reloads.then(work);
    this.reloads = done.catch(() => {});
    return done;
  }

  private async reload(notice: ChangeNotice): Promise<void> {
    if (notice.numbers?.length) {
      const rows = await this.context.db
        .selectFrom('phone_numbers')
        .select([...ROUTING_COLUMNS, 'deleted_at'])
        .where('id', 'in', notice.numbers)
        .execute();
      const seen = new Set<string>();
      for (const row of rows) {
        seen.add(row.id);
        if (row.deleted_at === null) this.context.router.index.upsertRow(row);
        else this.loader.forget(row.id);
      }
      for (const id of notice.numbers) if (!seen.has(id)) this.loader.forget(id);
    }
    if (notice.workspaces?.length) await this.reloadWorkspaces(notice.workspaces);
    if (notice.pools?.length) await this.reloadPools(notice.pools);
    if (notice.leases?.length) await this.reloadLeases(notice.leases);
  }

  private async reloadAll(): Promise<void> {
    const { router } = this.context;
    const live = new Set<string>();
    let after = '';
    for (;;) {
      const batch = await routingBatch(this.context.deps.database, after);
      for (const row of batch.live) {
        live.add(row.id);
        router.index.upsertRow(row);
      }
      if (batch.lastId === null) break;
      after = batch.lastId;
    }
    for (const id of router.index.ids()) if (!live.has(id)) this.loader.forget(id);
    router.workspaces.clear();
    router.pools.clear();
    await this.loadSmallState();
  }

  private workspaceState(row: WorkspaceSettingsRow): WorkspaceState {
    return {
      outage: row.outage === 1,
      maxConcurrentCalls: row.max_concurrent_calls ?? 0,
      signingSecret: row.signing_secret === null ? null : this.context.deps.secrets.open(row.signing_secret),
    };
  }
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

export function leaseOf(row: CallLeaseRow): Lease {
  return { workspaceId: row.workspace_id, callId: row.call_id, numberId: row.phone_number_id, expiresMs: Date.parse(row.expires_at) };
}
