import type pg from 'pg';

/**
 * The store cannot be reached (PostgreSQL restarting, failing over, refusing connections, or the
 * connection dropped mid-statement). Transports answer it 503 `STORE_UNAVAILABLE` with Retry-After.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';

  constructor(override readonly cause: unknown) {
    super(`the database is unavailable: ${(cause as Error | null)?.message ?? String(cause)}`);
    this.name = 'StoreUnavailableError';
  }
}

// Server-side: admin_shutdown, crash_shutdown, cannot_connect_now and the connection_exception
// class; client-side: the socket's own failures.
const CONNECTION_LOST_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const CONNECTION_LOST_MESSAGES = /Connection terminated|not queryable|timeout exceeded when trying to connect|Client has encountered a connection error/;

/** True when the error says the connection to the store is gone (not that a statement was wrong). */
export function isConnectionLost(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && CONNECTION_LOST_CODES.has(code)) || (typeof message === 'string' && CONNECTION_LOST_MESSAGES.test(message));
}

export interface ResiliencePolicy {
  /** How long getting a connection may keep retrying before the caller gets StoreUnavailableError. */
  acquireBudgetMs: number;
  /** How often a read that lost its connection is run again on a fresh one. */
  readRetries: number;
}

export const DEFAULT_POLICY: ResiliencePolicy = { acquireBudgetMs: 2000, readRetries: 2 };

type QueryResult = pg.QueryResult<Record<string, unknown>>;
const EMPTY: QueryResult = { command: 'ROLLBACK', rowCount: 0, oid: 0, rows: [], fields: [] };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A pg.Pool as Kysely's PostgresDialect uses it (connect, end), surviving a dropped connection:
 *
 * - An idle or checked-out client whose backend dies emits `error`; without a listener that kills
 *   the process. The pool's own `error` event and every client's are handled here.
 * - Getting a connection is retried with backoff for `acquireBudgetMs` (nothing was sent, so this
 *   is safe for every statement), then fails with StoreUnavailableError.
 * - A statement whose connection is lost is run again on a fresh connection only when that is
 *   provably safe: a read (`select`) outside a transaction, a `begin`, or a statement the driver
 *   refused to send because the connection was already broken. Anything else (a write or a
 *   `commit` whose outcome is unknown, a statement inside a transaction) is StoreUnavailableError:
 *   the client is told to retry, never told a false success.
 * - A `rollback` on a lost connection succeeds: the server rolled the transaction back when the
 *   connection died.
 */
export class ResilientPool {
  constructor(
    readonly pool: pg.Pool,
    private readonly policy: ResiliencePolicy = DEFAULT_POLICY,
  ) {
    // An idle client's backend went away; the pool has already dropped that client.
    pool.on('error', () => {});
    // For a client's whole life, not per checkout: pg-pool removes its own listener when it hands
    // a client out, and the backend's FATAL can arrive in the same socket read as the end of the
    // connection handshake, before any caller could attach one. The statement running, if any,
    // fails on its own; a broken client is dropped on release (pg-pool does not reuse it).
    pool.on('connect', (client) => client.on('error', () => {}));
  }

  async acquire(): Promise<pg.PoolClient> {
    const deadline = Date.now() + this.policy.acquireBudgetMs;
    for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
      try {
        return await this.pool.connect();
      } catch (error) {
        // A pool this process ended is not a store that is down: no retry will help (a 500).
        if (this.pool.ending) throw error;
        if (Date.now() + delay > deadline) throw new StoreUnavailableError(error);
        await sleep(delay * (0.5 + Math.random()));
      }
    }
  }

  /** What Kysely's PostgresDialect calls for a connection. */
  async connect(): Promise<ResilientClient> {
    return new ResilientClient(await this.acquire(), this, this.policy.readRetries);
  }

  /** One statement on a connection of its own (reads are retried as above); `name` makes it a named prepared statement. */
  async query<R>(config: { text: string; values?: unknown[]; rowMode?: 'array'; name?: string }): Promise<{ rows: R[] }> {
    const client = await this.connect();
    try {
      return (await client.query(config.text, config.values ?? [], config.rowMode, config.name)) as unknown as { rows: R[] };
    } finally {
      client.release();
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

export class ResilientClient {
  private inTransaction = false;
  private client: pg.PoolClient | null;

  constructor(
    client: pg.PoolClient,
    private readonly pool: ResilientPool,
    private readonly readRetries: number,
  ) {
    this.client = client;
  }

  async query(text: string, values: readonly unknown[], rowMode?: 'array', name?: string): Promise<QueryResult> {
    const verb = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase() ?? '';
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.client === null) throw new StoreUnavailableError(new Error('the connection was lost'));
        const result = await this.client.query({ text, values: [...values], ...(rowMode ? { rowMode } : {}), ...(name ? { name } : {}) });
        if (verb === 'begin' || verb === 'start') this.inTransaction = true;
        else if (verb === 'commit' || verb === 'rollback' || verb === 'end') this.inTransaction = false;
        return result as QueryResult;
      } catch (error) {
        if (!isConnectionLost(error)) throw error;
        if (verb === 'rollback') {
          this.inTransaction = false;
          return EMPTY;
        }
        const unsent = /not queryable/.test((error as Error).message);
        const repeatable = verb === 'begin' || verb === 'start' || (!this.inTransaction && (verb === 'select' || unsent));
        if (!repeatable || attempt >= this.readRetries) throw new StoreUnavailableError(error);
        this.client?.release(error as Error);
        this.client = null;
        this.client = await this.pool.acquire();
      }
    }
  }

  release(): void {
    this.client?.release();
    this.client = null;
  }
}
