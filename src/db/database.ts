import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Tables } from './tables.ts';

export type Engine = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<Tables>;
  engine: Engine;
  /** Directory of the embedded database file; null for PostgreSQL and in-memory SQLite. */
  dataDir: string | null;
  /** The PostgreSQL pool (for LISTEN/NOTIFY); null on SQLite. */
  pool: pg.Pool | null;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL schema to use (created when missing); tests give each app its own. */
  schema?: string;
  poolSize?: number;
}

// COUNT(*) and other int8 results arrive as strings by default; our counts fit a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function engineOf(url: string): Engine {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
}

export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  return engineOf(url) === 'postgres' ? openPostgres(url, options) : openSqlite(url);
}

function sqliteFile(url: string): string {
  const file = url.replace(/^sqlite:(\/\/)?/, '').replace(/^file:/, '');
  if (file === '') throw new Error(`DATABASE_URL ${url} names no SQLite file`);
  return file;
}

function openSqlite(url: string): Database {
  const file = sqliteFile(url);
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
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    engine: 'sqlite',
    dataDir,
    pool: null,
    close: () => db.destroy(),
  };
}

async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name ${schema}`);
  }
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
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    engine: 'postgres',
    dataDir: null,
    pool,
    close: () => db.destroy(),
  };
}

/** True when the driver error is a UNIQUE constraint violation, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
