import type { SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { Tables } from '../../db/tables.ts';
import { numberKeys } from '../../domain/phone.ts';
import { isId } from '../../domain/ids.ts';
import type { RoutingContext } from './context.ts';
import { ROUTING_COLUMNS, routingRowOfValues, type RoutingRow } from './number-index.ts';

/** Rows per batch of the index load: large enough to be cheap, small enough not to stall requests. */
const LOAD_BATCH_SIZE = 5000;

type RoutingQuery = SelectQueryBuilder<Tables, 'phone_numbers', RoutingRow>;

interface IndexLoad {
  /** Numbers deleted during the load; a row read before the delete must not revive them. */
  removed: Set<string>;
  /** `${workspace}\0${agent}` whose bound numbers have all been fetched. */
  agentsFetched: Set<string>;
  /**
   * The change feed is (or was) down (issue 11, sync.ts): what the index holds may be stale, so
   * decisions read even held numbers from the store (and StateSync their workspace's settings and
   * leases) until the resync has reloaded everything.
   */
  untrusted?: boolean;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The next batch of live numbers in primary-key order, deleted rows included and skipped here
 * (`lastId` is null after the final batch). With `deleted_at IS NULL` in the query, PostgreSQL
 * with stale statistics (autovacuum off, or not run yet after a large import) chose the partial
 * live-number index and filtered every row of the table for each batch: 262 s instead of about
 * 30 s for 1,000,000 numbers (BENCHMARKS.md). A key range in key order has one cheap plan
 * whatever the statistics say.
 */
export async function routingBatch(database: Database, after: string): Promise<{ live: RoutingRow[]; lastId: string | null }> {
  const query = database.db
    .selectFrom('phone_numbers')
    .select([...ROUTING_COLUMNS, 'deleted_at'])
    .where('id', '>', after)
    .orderBy('id')
    .limit(LOAD_BATCH_SIZE);
  const values = await database.selectArrays(query.compile());
  const deletedAt = ROUTING_COLUMNS.length;
  const live = values.filter((row) => row[deletedAt] === null).map(routingRowOfValues);
  return { live, lastId: values.length < LOAD_BATCH_SIZE ? null : (values.at(-1)![0] as string) };
}

/**
 * The number index's background load. Until it is complete, every decision first fetches the
 * numbers it needs from the store (`admit…`), so answers are the same as with a complete index;
 * afterwards nothing is fetched and `loading` is false.
 */
export class IndexLoader {
  /** Set while the index loads in the background; null once it holds every live number. */
  private current: IndexLoad | null = null;
  private load: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly context: RoutingContext) {}

  /** True until every live number is in the index. */
  get loading(): boolean {
    return this.current !== null;
  }

  /** Resolves when the background load has finished (or was stopped). */
  loaded(): Promise<void> {
    return this.load;
  }

  /** True while the change feed is down or resynchronising: held numbers are read again (see IndexLoad). */
  get untrusted(): boolean {
    return this.current?.untrusted === true;
  }

  /** The change feed is down: decisions read what they need from the store, as during the initial load. */
  distrust(): void {
    if (this.stopped || this.current?.untrusted) return;
    this.current = { removed: new Set(), agentsFetched: new Set(), untrusted: true };
  }

  /** Listening again: `reloadAll` reloads everything, then the index is trusted (unless the feed fell again meanwhile). */
  async resync(reloadAll: () => Promise<void>): Promise<void> {
    const load = this.current;
    await reloadAll();
    if (this.current === load && load?.untrusted) this.current = null;
  }

  /** Starts the background load (once the small state is loaded and changes are heard). */
  begin(): void {
    this.current = { removed: new Set(), agentsFetched: new Set() };
    this.load = this.loadIndex(this.current);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.load;
  }

  /** Takes a number out of the index; while loading, a row of it read earlier is not admitted. */
  forget(id: string): void {
    this.context.router.index.remove(id);
    this.current?.removed.add(id);
  }

  /** While the index loads: the number called `number`, from the store unless already held. */
  async admitByNumber(number: string): Promise<void> {
    const loading = this.current;
    if (loading === null) return;
    const keys = numberKeys(number);
    if (keys.length === 0) return;
    // Held under the exact key (the one a lookup prefers): nothing to admit, unless the held rows are untrusted.
    const held = this.context.router.index.byNumber(keys[0]!);
    if (held && !loading.untrusted) return;
    const rows = await this.liveRoutingRows((query) => query.where('e164', 'in', keys));
    // Untrusted: a held number the store no longer has was deleted elsewhere.
    if (held && !rows.some((row) => row.id === held.id) && this.current === loading) this.forget(held.id);
    this.admit(loading, rows);
  }

  /** While the index loads: these numbers, from the store unless already held. */
  async admitByIds(ids: readonly string[]): Promise<void> {
    const loading = this.current;
    if (loading === null) return;
    const missing = ids.filter((id) => isId(id) && (loading.untrusted || !this.context.router.index.get(id)));
    for (let start = 0; start < missing.length; start += 500) {
      const wanted = missing.slice(start, start + 500);
      const rows = await this.liveRoutingRows((query) => query.where('id', 'in', wanted));
      if (loading.untrusted && this.current === loading) {
        const live = new Set(rows.map((row) => row.id));
        for (const id of wanted) if (!live.has(id)) this.forget(id);
      }
      this.admit(loading, rows);
    }
  }

  /**
   * While the index loads: every number bound to the agent (the caller-ID candidates), once per
   * agent; later changes to them reach the index through the change feed like any other write.
   * An agent bound to more numbers than a load batch waits for the load instead: fetching them
   * one by one repeats the load, slower (1,000,000 bound numbers: ≈ 22 s).
   */
  async admitOutboundAgent(workspaceId: string, agentId: string): Promise<void> {
    const loading = this.current;
    const key = `${workspaceId}\0${agentId}`;
    if (loading === null || loading.agentsFetched.has(key)) return;
    const bound = await this.context.db
      .selectFrom('phone_number_agents')
      .select('phone_number_id')
      .where('workspace_id', '=', workspaceId)
      .where('agent_id', '=', agentId)
      .limit(LOAD_BATCH_SIZE + 1)
      .execute();
    if (bound.length > LOAD_BATCH_SIZE) return this.load;
    await this.admitByIds(bound.map((row) => row.phone_number_id));
    if (!loading.untrusted) loading.agentsFetched.add(key);
  }

  /**
   * Every live number into the index, in keyset-paged batches of the routing columns only,
   * yielding to the event loop between batches (better-sqlite3 answers synchronously, so an
   * await alone would not let a request in).
   */
  private async loadIndex(loading: IndexLoad): Promise<void> {
    let after = '';
    while (!this.stopped) {
      let batch: Awaited<ReturnType<typeof routingBatch>>;
      try {
        batch = await routingBatch(this.context.deps.database, after);
        await this.context.options.afterIndexBatchRead?.();
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
    if (this.current === loading && !this.stopped) this.current = null;
  }

  /** Live numbers' routing columns, narrowed by `where`; read as arrays (see Database.selectArrays). */
  private async liveRoutingRows(where: (query: RoutingQuery) => RoutingQuery): Promise<RoutingRow[]> {
    const { database } = this.context.deps;
    const query = where(database.db.selectFrom('phone_numbers').select(ROUTING_COLUMNS).where('deleted_at', 'is', null));
    return (await database.selectArrays(query.compile())).map(routingRowOfValues);
  }

  /**
   * Rows read while the index loads go in unless the number was deleted since (a row read
   * before a delete must not revive it); the version check keeps a newer write. Once the load
   * has finished the index is complete and a late answer is dropped.
   */
  private admit(loading: IndexLoad, rows: RoutingRow[]): void {
    if (this.current !== loading) return;
    for (const row of rows) if (!loading.removed.has(row.id)) this.context.router.index.upsertRow(row);
  }
}
