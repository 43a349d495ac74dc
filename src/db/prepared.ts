import type { Compilable, CompiledQuery, Kysely, Transaction } from 'kysely';
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
  const placeholders = Object.fromEntries(names.map((name) => [name, `\u0000prepared:${name}`])) as Record<Name, string>;
  const compiled: CompiledQuery<Row> = build(db, placeholders).compile();
  const slots = compiled.parameters.map((parameter) => names.find((name) => placeholders[name] === parameter));
  for (const name of names) {
    if (!slots.includes(name)) throw new Error(`prepared query does not use its value ${name}`);
  }
  return async (target, values) => {
    const parameters = slots.map((name, index) => (name === undefined ? compiled.parameters[index] : values[name]));
    const result = await target.executeQuery<Row>({ ...compiled, parameters });
    return result.rows;
  };
}
