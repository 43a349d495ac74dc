import crypto from 'node:crypto';
import type { Compilable, CompiledQuery, Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';
import type { Tables } from './tables.ts';

type Db = Kysely<Tables> | Transaction<Tables>;

/**
 * A query built and compiled once, executed with new values. Kysely rebuilds and recompiles a
 * query on every call, which was a large share of a single-number read (see BENCHMARKS.md); the
 * hottest reads use this instead. Values are bound as parameters exactly as Kysely would bind them.
 *
 * `build` receives a placeholder for each named value and must use each one as a plain value.
 */
export function preparedQuery<Row, const Name extends string>(
  db: Kysely<Tables>,
  names: readonly Name[],
  build: (db: Kysely<Tables>, values: Record<Name, string>) => Compilable<Row>,
): (db: Db, values: Record<Name, unknown>) => Promise<Row[]> {
  const bind = compiledOnce(db, names, build);
  return async (target, values) => (await target.executeQuery<Row>(bind(values))).rows;
}

/**
 * A read compiled once for the path of every request, run outside any transaction by
 * `Database.readNow`: synchronously on SQLite when no transaction holds the connection (then
 * through `db`, which waits for it), as a named prepared statement on PostgreSQL. Each call reads
 * what is committed at that moment, exactly as the same query through Kysely would.
 */
export function preparedRead<Row, const Name extends string>(
  database: Database,
  names: readonly Name[],
  build: (db: Kysely<Tables>, values: Record<Name, string>) => Compilable<Row>,
): (values: Record<Name, unknown>) => Row[] | Promise<Row[]> {
  const bind = compiledOnce(database.db, names, build);
  // One name per text: PostgreSQL refuses a second text under a name a connection has prepared.
  const name = `sb_${crypto.hash('sha1', bind.sql).slice(0, 16)}`;
  return (values) => {
    const query = bind(values);
    const rows = database.readNow(query, name) as Row[] | Promise<Row[]> | undefined;
    return rows ?? database.db.executeQuery<Row>(query).then((result) => result.rows);
  };
}

/** The compiled query, and a function that binds new values into its parameters (`build` as for `preparedQuery`). */
export function compiledOnce<Row, const Name extends string>(
  db: Kysely<Tables>,
  names: readonly Name[],
  build: (db: Kysely<Tables>, values: Record<Name, string>) => Compilable<Row>,
): ((values: Record<Name, unknown>) => CompiledQuery<Row>) & { sql: string } {
  const placeholders = Object.fromEntries(names.map((name) => [name, `\u0000prepared:${name}`])) as Record<Name, string>;
  const compiled: CompiledQuery<Row> = build(db, placeholders).compile();
  const slots = compiled.parameters.map((parameter) => names.find((name) => placeholders[name] === parameter));
  for (const name of names) {
    if (!slots.includes(name)) throw new Error(`prepared query does not use its value ${name}`);
  }
  const bind = (values: Record<Name, unknown>): CompiledQuery<Row> => ({
    ...compiled,
    parameters: slots.map((name, index) => (name === undefined ? compiled.parameters[index] : values[name])),
  });
  return Object.assign(bind, { sql: compiled.sql });
}
