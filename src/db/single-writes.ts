import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Engine } from './database.ts';
import type { Tables } from './tables.ts';

type Db = Kysely<Tables> | Transaction<Tables>;

/**
 * A NOTIFY for other instances that a PostgreSQL write sends in its own statement (`select
 * pg_notify(…)` as the statement's last part): delivered at the write's commit, and only if it
 * wrote, with no round trip of its own. Ignored on SQLite (one process: nobody to notify).
 */
export interface WriteNotice {
  channel: string;
  payload: string;
}

/**
 * Sends `notices` from inside an open PostgreSQL transaction, as one statement however many there
 * are: PostgreSQL delivers them at that transaction's COMMIT and drops them on ROLLBACK. Nothing
 * to send (SQLite, or nothing changed): no statement.
 */
export async function sendNotices(trx: Transaction<Tables>, notices: readonly WriteNotice[]): Promise<void> {
  if (notices.length === 0) return;
  await trx.executeQuery(
    CompiledQuery.raw('select pg_notify(n.channel, n.payload) from unnest($1::text[], $2::text[]) as n(channel, payload)', [
      notices.map((notice) => notice.channel),
      notices.map((notice) => notice.payload),
    ]),
  );
}

/**
 * Runs one writing statement (an INSERT, UPDATE or DELETE without RETURNING) that also sends
 * `notices` when it wrote a row: on PostgreSQL `WITH written AS (<statement> RETURNING 1) SELECT
 * pg_notify(…) … WHERE EXISTS (SELECT 1 FROM written)`, delivered at its commit, with no round
 * trip of its own. Without notices (SQLite) the statement as it is. Resolves to the rows written.
 */
export async function writeNotifying(db: Db, statement: CompiledQuery, notices: readonly WriteNotice[]): Promise<number> {
  if (notices.length === 0) return Number((await db.executeQuery(statement)).numAffectedRows ?? 0);
  const [channels, payloads] = [statement.parameters.length + 1, statement.parameters.length + 2];
  const text =
    `with written as (${statement.sql} returning 1) ` +
    `select (select count(*) from written) as written, pg_notify(n.channel, n.payload) ` +
    `from unnest($${channels}::text[], $${payloads}::text[]) as n(channel, payload) where exists (select 1 from written)`;
  const parameters = [...statement.parameters, notices.map((notice) => notice.channel), notices.map((notice) => notice.payload)];
  const { rows } = await db.executeQuery<{ written: number }>(CompiledQuery.raw(text, parameters));
  return Number(rows[0]?.written ?? 0);
}

/** Single-number writes: as few statements and round trips as each engine allows (BENCHMARKS.md). */

const MAX_TEXTS = 256;

/**
 * `UPDATE table SET <the given columns> WHERE <key columns> = …` for a single-row write, and when
 * it updated the row, an INSERT of `row` into `into` (its audit event).
 *
 * Only the columns handed in are written: an UPDATE that sets every column of a wide row makes
 * both engines maintain every index of the table (and PostgreSQL give up its HOT update), and
 * Kysely built and compiled that 40-column statement on every PATCH (BENCHMARKS.md). The SQL
 * text depends only on which columns are set, so it is built once per column set (and, on
 * SQLite, prepared once by the statement cache).
 * On PostgreSQL it is one statement, `WITH updated AS (UPDATE
 * … RETURNING 1) INSERT … SELECT … FROM updated`, so it needs no transaction of its own: one
 * round trip where BEGIN, UPDATE, INSERT and COMMIT were four. On SQLite (no data-modifying
 * WITH; statements cost no round trip) it is the two statements, and the caller must hold a
 * transaction. Resolves to the number of rows updated (the insert happened iff it is 1); with a
 * `notice` on PostgreSQL the statement also sends it, when it updated the row.
 */
export function rowUpdater<
  T extends Extract<keyof Tables, string>,
  const K extends keyof Tables[T] & string,
  I extends Extract<keyof Tables, string>,
>(
  engine: Engine,
  table: T,
  keys: readonly K[],
  into: I,
  columns: ReadonlyArray<keyof Tables[I] & string>,
): { atomic: boolean; run: (db: Db, set: Partial<Tables[T]>, where: Pick<Tables[T], K>, row: Tables[I], notice?: WriteNotice | null) => Promise<number> } {
  const statement = updateStatement(engine, table, keys);
  const target = `${quoted(into)} (${columns.map(quoted).join(', ')})`;
  if (engine === 'sqlite') {
    const insert = `insert into ${target} values (${columns.map(() => '?').join(', ')})`;
    return {
      atomic: false,
      run: async (db, set, where, row) => {
        const { sql, parameters } = statement(set, where);
        const updated = Number((await db.executeQuery(CompiledQuery.raw(sql, parameters))).numAffectedRows ?? 0);
        if (updated === 1) await db.executeQuery(CompiledQuery.raw(insert, columns.map((column) => row[column])));
        return updated;
      },
    };
  }
  const combined = new Map<string, string>();
  return {
    atomic: true,
    run: async (db, set, where, row, notice) => {
      const { sql, parameters } = statement(set, where);
      const key = notice ? `${sql}\u0000notice` : sql;
      let text = combined.get(key);
      if (text === undefined) {
        const values = columns.map((_, index) => `$${parameters.length + index + 1}`);
        const insert = `insert into ${target} select ${values.join(', ')} from updated`;
        const [channel, payload] = [parameters.length + columns.length + 1, parameters.length + columns.length + 2];
        text = notice
          ? `with updated as (${sql} returning 1), event as (${insert}) select pg_notify($${channel}, $${payload}) from updated`
          : `with updated as (${sql} returning 1) ${insert}`;
        if (combined.size >= MAX_TEXTS) combined.clear();
        combined.set(key, text);
      }
      const values = [...parameters, ...columns.map((column) => row[column])];
      if (notice) return (await db.executeQuery(CompiledQuery.raw(text, [...values, notice.channel, notice.payload]))).rows.length;
      return Number((await db.executeQuery(CompiledQuery.raw(text, values))).numAffectedRows ?? 0);
    },
  };
}

/** The UPDATE's text (built once per set of columns) and its parameters: the set values, then the keys. */
function updateStatement<T extends Extract<keyof Tables, string>, K extends keyof Tables[T] & string>(engine: Engine, table: T, keys: readonly K[]) {
  const sqlBySet = new Map<string, string>();
  const placeholder = (index: number) => (engine === 'postgres' ? `$${index}` : '?');
  return (set: Partial<Tables[T]>, where: Pick<Tables[T], K>): { sql: string; parameters: unknown[] } => {
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
    return { sql, parameters: [...columns.map((column) => set[column]), ...keys.map((key) => where[key])] };
  };
}

function quoted(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** One table's rows of a write, for `insertsTogether`. */
export interface TableRows<T extends Extract<keyof Tables, string>> {
  table: T;
  columns: ReadonlyArray<keyof Tables[T] & string>;
}

/**
 * The inserts of one small write (a single import: its number, agent rows and create event),
 * each table's rows as one multi-row `VALUES`. On PostgreSQL all of them are one statement (the
 * first tables' inserts as data-modifying WITH parts: one round trip, atomic without a
 * transaction, foreign keys checked at its end); on SQLite one statement per table, inside the
 * caller's transaction. The text is built once per row-count shape. With a `notice` on PostgreSQL
 * every insert is a WITH part and the statement ends by sending it.
 */
export function insertsTogether(
  engine: Engine,
  tables: ReadonlyArray<{ [T in Extract<keyof Tables, string>]: TableRows<T> }[Extract<keyof Tables, string>]>,
): { atomic: boolean; run: (db: Db, rows: ReadonlyArray<ReadonlyArray<object>>, notice?: WriteNotice | null) => Promise<void> } {
  const texts = new Map<string, string[]>();
  const textsFor = (counts: number[], notify: boolean): string[] => {
    const signature = `${counts.join(',')}${notify ? ' notice' : ''}`;
    let built = texts.get(signature);
    if (built === undefined) {
      let slot = 0;
      const placeholder = () => (engine === 'postgres' ? `$${++slot}` : '?');
      const inserts = tables.flatMap(({ table, columns }: { table: string; columns: readonly string[] }, index) => {
        if (counts[index] === 0) return [];
        const tuples = Array.from({ length: counts[index]! }, () => `(${columns.map(placeholder).join(', ')})`);
        return [`insert into ${quoted(table)} (${columns.map(quoted).join(', ')}) values ${tuples.join(', ')}`];
      });
      const withParts = (parts: string[]) => parts.map((sql, i) => `w${i} as (${sql})`).join(', ');
      if (engine === 'postgres' && notify) built = [`with ${withParts(inserts)} select pg_notify(${placeholder()}, ${placeholder()})`];
      else if (engine === 'postgres' && inserts.length > 1) built = [`with ${withParts(inserts.slice(0, -1))} ${inserts.at(-1)!}`];
      else built = inserts;
      if (texts.size >= MAX_TEXTS) texts.clear();
      texts.set(signature, built);
    }
    return built;
  };
  return {
    atomic: engine === 'postgres',
    run: async (db, rows, notice) => {
      const counts = rows.map((list) => list.length);
      const values = tables.map(({ columns }: { columns: readonly string[] }, index) => rows[index]!.flatMap((row) => columns.map((column) => (row as Record<string, unknown>)[column])));
      const notify = engine === 'postgres' && notice != null;
      const sqls = textsFor(counts, notify);
      if (sqls.length === 1 && engine === 'postgres') {
        await db.executeQuery(CompiledQuery.raw(sqls[0]!, notify ? [...values.flat(), notice.channel, notice.payload] : values.flat()));
        return;
      }
      const nonEmpty = values.filter((_, index) => counts[index]! > 0);
      for (let index = 0; index < sqls.length; index++) await db.executeQuery(CompiledQuery.raw(sqls[index]!, nonEmpty[index]));
    },
  };
}
