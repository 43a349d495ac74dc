import { Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Database } from './database.ts';
import * as core from './migrations/0001_core.ts';
import * as inventory from './migrations/0002_inventory.ts';
import * as carriersIdempotency from './migrations/0003_carriers_idempotency.ts';
import * as routing from './migrations/0004_routing.ts';
import * as synthflow from './migrations/0005_synthflow.ts';
import * as carrierNumbers from './migrations/0006_carrier_numbers.ts';
import * as liveCallLeases from './migrations/0007_live_call_leases.ts';
import * as originDefaultCarrier from './migrations/0008_origin_default_carrier.ts';
import * as secretKeyCheck from './migrations/0009_secret_key_check.ts';

/**
 * The ordered, forward-only migration list. New migrations are appended here with the next
 * number; an applied migration is never edited.
 */
const migrations: Record<string, Migration> = {
  '0001_core': core,
  '0002_inventory': inventory,
  '0003_carriers_idempotency': carriersIdempotency,
  '0004_routing': routing,
  '0005_synthflow': synthflow,
  '0006_carrier_numbers': carrierNumbers,
  '0007_live_call_leases': liveCallLeases,
  '0008_origin_default_carrier': originDefaultCarrier,
  '0009_secret_key_check': secretKeyCheck,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export const latestMigration = Object.keys(migrations).sort().at(-1)!;

/**
 * Kysely's migrator looks for its bookkeeping tables in every schema unless told which one; on a
 * PostgreSQL database shared by several installations (or test schemas) it would find another
 * schema's and never create its own.
 */
function migratorFor(database: Database): Migrator {
  return new Migrator({ db: database.db, provider, ...(database.schema ? { migrationTableSchema: database.schema } : {}) });
}

/**
 * Kysely's introspection (which the migrator uses to find its tables) checks every schema of the
 * database with `has_schema_privilege`; a schema that another installation, or a test, drops
 * while that query runs makes it fail with 3F000 although nothing is wrong with ours; a table of
 * another schema altered meanwhile makes its column listing fail with 42703 or 42P01 (seen in CI).
 * Such a failure happens before any migration runs (and a failed migration is rolled back in its
 * own transaction), so the call is simply made again.
 */
async function despiteDroppedSchemas<T>(work: () => Promise<T>, failed: (result: T) => unknown = () => undefined): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await work();
      if (attempt < 5 && isDroppedSchemaError(failed(result))) continue;
      return result;
    } catch (error) {
      if (attempt < 5 && isDroppedSchemaError(error)) continue;
      throw error;
    }
  }
}

function isDroppedSchemaError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return code === '3F000' || code === '42703' || code === '42P01';
}

/**
 * Applies pending migrations (PostgreSQL: in one transaction under Kysely's migration lock;
 * SQLite: see `underWriteLock`); throws on the first failure.
 */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = migratorFor(database);
  const run = () => despiteDroppedSchemas(() => migrator.migrateToLatest(), (outcome) => outcome.error);
  const { error, results } = database.engine === 'sqlite' ? await underWriteLock(database, run) : await run();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/**
 * SQLite: the whole run in one IMMEDIATE transaction. Kysely takes no migration lock on SQLite (it
 * assumes a single connection) and runs its DDL outside any transaction, so two processes started
 * together on a new file (two CLI commands; `serve` and `keys create`) both found it unmigrated and
 * the later one failed with "table … already exists", or both left half a migration. Now the
 * second waits for the first's commit (busy_timeout) and finds nothing left to do, and a failed
 * migration is rolled back whole.
 */
async function underWriteLock(database: Database, run: () => Promise<MigrationResultSet>): Promise<MigrationResultSet> {
  await sql`begin immediate`.execute(database.db);
  let outcome: MigrationResultSet;
  try {
    outcome = await run();
  } catch (error) {
    await sql`rollback`.execute(database.db);
    throw error;
  }
  await (outcome.error === undefined ? sql`commit` : sql`rollback`).execute(database.db);
  return outcome;
}

/** True when every known migration has been applied (used by /healthz). */
export async function isMigrated(database: Database): Promise<boolean> {
  const migrator = migratorFor(database);
  const all = await despiteDroppedSchemas(() => migrator.getMigrations());
  return all.every((migration) => migration.executedAt !== undefined);
}

/** True when at least one migration has run: the store holds an installation, however old. */
export async function hasInstallation(database: Database): Promise<boolean> {
  const migrator = migratorFor(database);
  const all = await despiteDroppedSchemas(() => migrator.getMigrations());
  return all.some((migration) => migration.executedAt !== undefined);
}
