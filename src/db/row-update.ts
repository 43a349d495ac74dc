import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Engine } from './database.ts';
import type { Tables } from './tables.ts';

type Db = Kysely<Tables> | Transaction<Tables>;

const MAX_TEXTS = 256;

/**
 * `UPDATE table SET <the given columns> WHERE <key columns> = …`, for single-row writes.
 *
 * Only the columns handed in are written: an UPDATE that sets every column of a wide row makes
 * both engines maintain every index of the table (and PostgreSQL give up its HOT update), and
 * Kysely built and compiled that 40-column statement on every PATCH (BENCHMARKS.md). The SQL
 * text depends only on which columns are set, so it is built once per column set (and, on
 * SQLite, prepared once by the statement cache). Resolves to the number of rows updated.
 */
export function rowUpdater<T extends Extract<keyof Tables, string>, const K extends keyof Tables[T] & string>(
  engine: Engine,
  table: T,
  keys: readonly K[],
): (db: Db, set: Partial<Tables[T]>, where: Pick<Tables[T], K>) => Promise<number> {
  const sqlBySet = new Map<string, string>();
  const placeholder = (index: number) => (engine === 'postgres' ? `$${index}` : '?');
  return async (db, set, where) => {
    const columns = Object.keys(set) as Array<keyof Tables[T] & string>;
    const signature = columns.join(',');
    let sql = sqlBySet.get(signature);
    if (sql === undefined) {
      const assignments = columns.map((column, index) => `${quoted(column)} = ${placeholder(index + 1)}`);
      const conditions = keys.map((key, index) => `${quoted(key)} = ${placeholder(columns.length + index + 1)}`);
      sql = `update ${quoted(table)} set ${assignments.join(', ')} where ${conditions.join(' and ')}`;
      // Each distinct PATCH shape is one text; a full reset keeps a pathological mix bounded.
      if (sqlBySet.size >= MAX_TEXTS) sqlBySet.clear();
      sqlBySet.set(signature, sql);
    }
    const parameters = [...columns.map((column) => set[column]), ...keys.map((key) => where[key])];
    const result = await db.executeQuery(CompiledQuery.raw(sql, parameters));
    return Number(result.numAffectedRows ?? 0);
  };
}

function quoted(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
