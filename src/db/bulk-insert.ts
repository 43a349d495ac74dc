import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Engine } from './database.ts';
import type { Tables } from './tables.ts';

type Db = Kysely<Tables> | Transaction<Tables>;

/** Bound parameters one statement may carry: SQLite's SQLITE_MAX_VARIABLE_NUMBER, PostgreSQL's wire-protocol limit. */
const MAX_PARAMETERS: Record<Engine, number> = { sqlite: 32_766, postgres: 65_535 };
/** Longer statements than this saved nothing measurable on either engine. */
const MAX_ROWS = 1024;
/**
 * SQLite: statements of at most 4,096 parameters (64 rows of `phone_numbers`) keep a bulk
 * import's slices short. Sized by parameters, not rows: a narrow table (an agent row has three
 * columns) takes 1,024 rows a statement, and fewer statements cost less per row (BENCHMARKS.md,
 * "Fourth round"), while no statement is longer than the widest table's.
 */
const MAX_SQLITE_PARAMETERS = 4_096;

/**
 * Inserts many rows of one table with few statements, for the bulk import.
 *
 * Kysely builds an operation node for every value and compiles each multi-row INSERT anew, which
 * was most of the JavaScript time of a bulk import and much of its garbage (see BENCHMARKS.md).
 * Here the SQL text depends only on the table and the row count, and rows only become parameters:
 * multi-row `VALUES` of a power-of-two number of rows (a count is split into its binary digits), so
 * a table has at most eleven texts, each built once (and, on SQLite, prepared once by the statement
 * cache). On PostgreSQL that is also few round trips: 10,000 numbers are ten statements per table
 * (multi-row `VALUES` measured faster there than `unnest` arrays or `json_populate_recordset`).
 * Values go to the driver exactly as Kysely would send them (no conversion here).
 */
export function rowInserter<T extends Extract<keyof Tables, string>>(
  engine: Engine,
  table: T,
  columns: ReadonlyArray<keyof Tables[T] & string>,
): (db: Db, rows: ReadonlyArray<Tables[T]>, between?: () => Promise<void>) => Promise<void> {
  // On SQLite a statement runs synchronously on the event loop: short ones keep each stall small.
  const parameters = engine === 'sqlite' ? MAX_SQLITE_PARAMETERS : MAX_PARAMETERS[engine];
  const maxRows = Math.min(MAX_ROWS, 2 ** Math.floor(Math.log2(parameters / columns.length)));
  const head = `insert into ${quoted(table)} (${columns.map(quoted).join(', ')}) values `;
  const sqlByRows = new Map<number, string>();
  const sqlFor = (count: number) => {
    let sql = sqlByRows.get(count);
    if (sql === undefined) {
      const tuples: string[] = [];
      for (let row = 0; row < count; row++) {
        const slots = columns.map((_, column) => (engine === 'postgres' ? `$${row * columns.length + column + 1}` : '?'));
        tuples.push(`(${slots.join(', ')})`);
      }
      sql = head + tuples.join(', ');
      sqlByRows.set(count, sql);
    }
    return sql;
  };
  return async (db, rows, between) => {
    let start = 0;
    while (start < rows.length) {
      const left = rows.length - start;
      const count = left >= maxRows ? maxRows : 2 ** Math.floor(Math.log2(left));
      const parameters: unknown[] = new Array(count * columns.length);
      let slot = 0;
      for (let index = start; index < start + count; index++) {
        const row = rows[index]!;
        for (const column of columns) parameters[slot++] = row[column];
      }
      await db.executeQuery(CompiledQuery.raw(sqlFor(count), parameters));
      start += count;
      // Between statements (a bulk import hands in its LoopBudget): the event loop may run.
      if (between && start < rows.length) await between();
    }
  };
}

function quoted(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
