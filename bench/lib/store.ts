import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ROOT } from './processes.ts';

export type StoreName = 'sqlite' | 'postgres';

/** Where the bench keeps its stores and logs; gitignored, reused across runs. */
export const BENCH_DIR = path.join(ROOT, '.bench-tmp');

/** The PostgreSQL server the bench may create its own databases on (BENCH_POSTGRES_URL). */
export const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface StoreHandle {
  store: StoreName;
  /** A short label: `sqlite-20000`, `postgres-import`, … */
  label: string;
  dir: string;
  databaseUrl: string;
  secretKey: string;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function postgresAvailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return `PostgreSQL at ${POSTGRES_ADMIN_URL} is not reachable (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function adminQuery(sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A bench store: an SQLite file or a PostgreSQL database of its own (`switchboard_bench_<label>`),
 * so the bench never touches the test database's schemas. `fresh` wipes it first.
 */
export async function openStore(store: StoreName, label: string, fresh: boolean): Promise<StoreHandle> {
  const name = `${store}-${label}`;
  const dir = path.join(BENCH_DIR, name);
  const database = `switchboard_bench_${label}`.replace(/[^a-z0-9_]/g, '_');
  if (fresh) {
    fs.rmSync(dir, { recursive: true, force: true });
    if (store === 'postgres') await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'secret.key');
  if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, crypto.randomBytes(32).toString('base64'));
  const secretKey = fs.readFileSync(keyFile, 'utf8').trim();
  let databaseUrl: string;
  if (store === 'postgres') {
    const exists = await adminQuery(`SELECT 1 FROM pg_database WHERE datname = '${database}'`);
    if (exists.rowCount === 0) await adminQuery(`CREATE DATABASE ${database}`);
    databaseUrl = withDatabase(POSTGRES_ADMIN_URL, database);
  } else {
    databaseUrl = `sqlite:${path.join(dir, 'switchboard.db')}`;
  }
  return { store, label: name, dir, databaseUrl, secretKey };
}

/** What the bench remembers about a seeded store, so a second run does not seed again. */
export interface SeedState {
  size: number;
  workspace: string;
  workspaceId: string;
  key: string;
  /** A key of a second workspace that write scenarios import into. */
  writeKey?: string;
  /** Ids and numbers spread evenly over the whole set, for lookups. */
  sampleIds: string[];
  sampleNumbers: string[];
  /** The greatest ids (cursor order), for the last list page. */
  tailIds: string[];
  seed: { numbersPerSecond: number; seconds: number; at: string };
  /** Next unused index of the write number space (write scenarios take fresh numbers). */
  nextWrite: number;
}

export function readState(handle: StoreHandle): SeedState | null {
  const file = path.join(handle.dir, 'state.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as SeedState) : null;
}

export function writeState(handle: StoreHandle, state: SeedState): void {
  fs.writeFileSync(path.join(handle.dir, 'state.json'), JSON.stringify(state));
}

/**
 * Brings the planner statistics of a PostgreSQL bench database up to date. A production server
 * does this by itself (autovacuum analyzes a table after large changes); the PostgreSQL these
 * benches run on has autovacuum off, and a freshly seeded million rows would otherwise be
 * planned as the empty table they were before seeding. No-op on SQLite.
 */
export async function analyzeStore(handle: StoreHandle): Promise<void> {
  if (handle.store !== 'postgres') return;
  const client = new pg.Client({ connectionString: handle.databaseUrl });
  await client.connect();
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}
