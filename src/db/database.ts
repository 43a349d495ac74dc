import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type CompiledQuery, type PostgresPool, type SqliteDatabase as SqliteDialectDatabase } from 'kysely';
import type pg from 'pg';
import type { Tables } from './tables.ts';
import { parseDatabaseUrl } from './url.ts';

export { describeStore, parseDatabaseUrl, type StoreLocation } from './url.ts';

export type Engine = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<Tables>;
  /**
   * For reads that must not wait behind a long write: on a SQLite file a second, read-only
   * connection (WAL lets it read while a bulk import's transaction is open on `db`, whose
   * connection Kysely hands to one transaction at a time); elsewhere `db` itself.
   */
  reads: Kysely<Tables>;
  engine: Engine;
  /** Directory of the embedded database file; null for PostgreSQL and in-memory SQLite. */
  dataDir: string | null;
  /** The embedded database file, for a worker thread's own connection to it; null for PostgreSQL and in-memory SQLite. */
  file: string | null;
  /** The PostgreSQL pool (for LISTEN/NOTIFY); null on SQLite. */
  pool: pg.Pool | null;
  /** The PostgreSQL schema the tables live in (`current_schema()`); null on SQLite. */
  schema: string | null;
  /**
   * Runs a compiled select and returns each row as an array of its values, in select order.
   * For reads of many rows: better-sqlite3 builds a row object three times slower than the
   * array (a million routing rows: ≈ 28 s against ≈ 10 s of CPU, BENCHMARKS.md).
   */
  selectArrays(query: CompiledQuery): Promise<unknown[][]>;
  /**
   * Runs a select outside any transaction by the cheapest way the engine has, for the reads on
   * the path of every request (src/db/prepared.ts). SQLite: at once, synchronously, on the main
   * connection, and undefined while a transaction holds that connection (its writes are not
   * committed: the caller goes through `db`, which waits for it). PostgreSQL: without Kysely's
   * driver in between, and with a `name` (never reused for another text) as a named statement,
   * parsed and planned once per connection. Either way it reads what is committed at that moment.
   */
  readNow(query: CompiledQuery, name?: string): unknown[] | Promise<unknown[]> | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL schema to use (created when missing); tests give each app its own. */
  schema?: string;
  poolSize?: number;
}

/** The engine a DATABASE_URL names; throws (listing the accepted forms) on any other URL. */
export function engineOf(url: string): Engine {
  return parseDatabaseUrl(url).engine;
}

export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  const location = parseDatabaseUrl(url);
  return location.engine === 'postgres' ? openPostgres(location.url, options) : openSqlite(location.file);
}

function openSqlite(file: string): Database {
  const inMemory = file === ':memory:';
  const dataDir = inMemory ? null : path.dirname(path.resolve(file));
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const sqlite = new SQLite(file);
  // WAL keeps readers off the writer's back; NORMAL sync loses nothing on a process crash
  // (only on power loss), which is the failure a server process actually sees.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // Kysely and `readNow` share the main connection's statements: both use them in object mode.
  const statements = reusedStatements((sql) => sqlite.prepare(sql));
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: { close: () => sqlite.close(), prepare: statements } }) });
  const reads = inMemory ? db : new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(new SQLite(file, { readonly: true })) }) });
  // Statements of their own: raw mode is a statement's setting, and Kysely's must stay in object mode.
  const rawStatements = reusedStatements((sql) => sqlite.prepare(sql).raw(true));
  return {
    db,
    reads,
    engine: 'sqlite',
    dataDir,
    file: inMemory ? null : path.resolve(file),
    pool: null,
    schema: null,
    selectArrays: async (query) => rawStatements(query.sql).all(...query.parameters) as unknown[][],
    readNow: (query) => (sqlite.inTransaction ? undefined : statements(query.sql).all(...query.parameters)),
    close: async () => {
      if (reads !== db) await reads.destroy();
      await db.destroy();
    },
  };
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew; compiling the SQL was the largest single cost
 * of a GET (≈ a quarter of its CPU time, see BENCHMARKS.md). Statements are reused per SQL text:
 * safe because better-sqlite3 runs each one to completion synchronously, and a statement still
 * being iterated (a streamed query) is never handed out twice.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDialectDatabase {
  return { close: () => sqlite.close(), prepare: reusedStatements((sql) => sqlite.prepare(sql)) };
}

/** `prepare`, with its statements reused per SQL text (a busy one, still being iterated, is never handed out twice). */
function reusedStatements(prepare: (sql: string) => SQLite.Statement): (sql: string) => SQLite.Statement {
  const statements = new Map<string, SQLite.Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (statement === undefined || statement.busy) {
      statement = prepare(sql);
      // Bulk inserts make many distinct texts; a full reset keeps the cache bounded and cheap.
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
      statements.set(sql, statement);
    }
    return statement;
  };
}

async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name ${schema}`);
  }
  // Loaded here, not at the top: a SQLite installation never needs the PostgreSQL driver.
  const [{ default: pg }, { ResilientPool }] = await Promise.all([import('pg'), import('./resilient-pool.ts')]);
  // COUNT(*) and other int8 results arrive as strings by default; our counts fit a double.
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    // A store that does not answer is reported (503), never waited on forever.
    connectionTimeoutMillis: 5000,
    keepAlive: true,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  const resilient = new ResilientPool(pool);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: resilient as unknown as PostgresPool }) });
  let current: string;
  try {
    current = (await pool.query<{ schema: string }>('select current_schema() as schema')).rows[0]!.schema;
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    db,
    reads: db,
    engine: 'postgres',
    dataDir: null,
    file: null,
    pool,
    schema: current,
    selectArrays: async (query) => (await resilient.query<unknown[]>({ text: query.sql, values: query.parameters as unknown[], rowMode: 'array' })).rows,
    readNow: async (query, name) => (await resilient.query<unknown>({ text: query.sql, values: query.parameters as unknown[], ...(name ? { name } : {}) })).rows,
    close: () => db.destroy(),
  };
}

/** True when the driver error is a UNIQUE constraint violation, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
