/**
 * What a statement does when PostgreSQL ends its connection mid-flight (src/db/resilient-pool.ts):
 * a read is run again on a fresh connection and answers; a write, whose outcome the client cannot
 * know, fails as StoreUnavailableError (503 at the edge), never as a success. Real PostgreSQL; only
 * this file's own backends are terminated.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { StoreUnavailableError } from '../../src/db/resilient-pool.ts';
import { isStoreUnavailable } from '../../src/services/errors.ts';
import { dropSchema, onPostgres, TEST_DATABASE_URL } from '../helpers/harness.ts';

const schema = `t_faults_${crypto.randomBytes(5).toString('hex')}`;
let database: Database;
let admin: pg.Client;

beforeAll(async () => {
  if (!onPostgres) return;
  database = await openDatabase(TEST_DATABASE_URL, { schema, poolSize: 2 });
  await sql`create table marks (label text not null)`.execute(database.db);
  admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
});

afterAll(async () => {
  if (!onPostgres) return;
  await database.close();
  await admin.end();
  await dropSchema(TEST_DATABASE_URL, schema);
});

/** Terminates the backend running the statement that contains `marker`, once it is running. */
async function terminateWhenRunning(marker: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { rows } = await admin.query(
      `select pg_terminate_backend(pid) as done from pg_stat_activity where state = 'active' and query like $1 and pid <> pg_backend_pid()`,
      [`%${marker}%`],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no running statement with ${marker}`);
}

test.skipIf(!onPostgres)('a read whose connection is terminated mid-statement is run again and answers', async () => {
  const marker = `read_${crypto.randomBytes(4).toString('hex')}`;
  const read = sql<{ marker: string }>`select ${sql.lit(marker)} as marker from pg_sleep(0.3)`.execute(database.db);
  await terminateWhenRunning(marker);
  expect((await read).rows).toEqual([{ marker }]);
  // The arrays path (index loads) is retried the same way.
  const arrays = database.selectArrays(sql`select ${sql.lit(`${marker}_b`)} as marker from pg_sleep(0.3)`.compile(database.db));
  await terminateWhenRunning(`${marker}_b`);
  expect(await arrays).toEqual([[`${marker}_b`]]);
});

test.skipIf(!onPostgres)('a write whose connection is terminated mid-statement fails as STORE_UNAVAILABLE, not as a success', async () => {
  const marker = `write_${crypto.randomBytes(4).toString('hex')}`;
  const write = sql`insert into marks (label) select ${sql.lit(marker)} from pg_sleep(0.3)`.execute(database.db).then(
    () => null,
    (failure: unknown) => failure,
  );
  await terminateWhenRunning(marker);
  const error = await write;
  expect(error).toBeInstanceOf(StoreUnavailableError);
  expect(isStoreUnavailable(error)).toBe(true);
  // Not run again behind the client's back: the row is not there (the statement never finished).
  expect((await sql<{ n: number }>`select count(*)::int as n from marks where label = ${marker}`.execute(database.db)).rows).toEqual([{ n: 0 }]);
});

test.skipIf(!onPostgres)('a transaction whose connection is terminated fails as STORE_UNAVAILABLE and commits nothing', async () => {
  const marker = `trx_${crypto.randomBytes(4).toString('hex')}`;
  const work = database.db
    .transaction()
    .execute(async (trx) => {
      await sql`insert into marks (label) values (${marker})`.execute(trx);
      await sql`select ${sql.lit(marker)} from pg_sleep(0.3)`.execute(trx);
    })
    .then(
      () => null,
      (failure: unknown) => failure,
    );
  await terminateWhenRunning(`'${marker}' from pg_sleep`);
  expect(await work).toBeInstanceOf(StoreUnavailableError);
  expect((await sql<{ n: number }>`select count(*)::int as n from marks where label = ${marker}`.execute(database.db)).rows).toEqual([{ n: 0 }]);
});
