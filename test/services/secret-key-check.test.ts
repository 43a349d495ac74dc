import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openRuntime } from '../../src/runtime.ts';
import { createHarness, dropSchema, onPostgres, TEST_DATABASE_URL } from '../helpers/harness.ts';

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-key-'));
const schemas: string[] = [];
afterAll(async () => {
  fs.rmSync(tempDir, { recursive: true, force: true });
  for (const schema of schemas) await dropSchema(TEST_DATABASE_URL, schema);
});

const newKey = () => crypto.randomBytes(32).toString('base64');

/** A store of its own that outlives one runtime: an SQLite file, or a PostgreSQL schema. */
function installation(): { databaseUrl: string; schema?: string } {
  const name = `key_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  if (!onPostgres) return { databaseUrl: `sqlite:${path.join(tempDir, `${name}.db`)}` };
  schemas.push(name);
  return { databaseUrl: TEST_DATABASE_URL, schema: name };
}

/** Starts the installation with `key`, as the server and every CLI command do (openRuntime). */
async function start(store: { databaseUrl: string; schema?: string }, env: Record<string, string>) {
  const config = loadConfig({ DATABASE_URL: store.databaseUrl, LOG_LEVEL: 'silent', ...env });
  return openRuntime(config, { bulkImportWorker: false, ...(store.schema ? { schema: store.schema, poolSize: 2 } : {}) });
}

/** An installation holding a trunk password sealed with `key`. */
async function installationWithPassword(key: string) {
  const store = installation();
  const harness = await createHarness({ databaseUrl: store.databaseUrl, ...(store.schema ? { schema: store.schema } : {}), env: { SWITCHBOARD_SECRET_KEY: key } });
  const caller = await (await harness.workspace()).key();
  const created = await harness.request('POST', '/v1/phone-numbers', {
    key: caller,
    json: { phone_number: '+14155550100', sip: { termination_uri: 'sip.example.com', auth_username: 'acme', auth_password: 'trunk-Secr3t' } },
  });
  expect(created.status).toBe(201);
  await harness.close();
  return store;
}

describe('a start with the wrong secret key is refused', () => {
  test('another key than the installation was created with: refused, naming where the key came from; the right key starts', async () => {
    const key = newKey();
    const store = await installationWithPassword(key);
    await expect(start(store, { SWITCHBOARD_SECRET_KEY: newKey() })).rejects.toThrow(/secret key \(SWITCHBOARD_SECRET_KEY\) does not open the secrets stored in this database/);
    const runtime = await start(store, { SWITCHBOARD_SECRET_KEY: key });
    await runtime.close();
  });

  test('an installation from before the check is checked once against a password it holds, then gets the check', async () => {
    const key = newKey();
    const store = await installationWithPassword(key);
    // As it was before migration 0009 wrote the check at the first start.
    const first = await start(store, { SWITCHBOARD_SECRET_KEY: key });
    await first.database.db.deleteFrom('secret_key_check').execute();
    await first.close();

    await expect(start(store, { SWITCHBOARD_SECRET_KEY: newKey() })).rejects.toThrow(/does not open the secrets/);
    const again = await start(store, { SWITCHBOARD_SECRET_KEY: key });
    expect(await again.database.db.selectFrom('secret_key_check').select('id').execute()).toEqual([{ id: 1 }]);
    await again.close();
    await expect(start(store, { SWITCHBOARD_SECRET_KEY: newKey() })).rejects.toThrow(/does not open the secrets/);
  });

  test('an installation that holds no secret yet takes the key it is started with, and keeps to it', async () => {
    const store = installation();
    const key = newKey();
    const runtime = await start(store, { SWITCHBOARD_SECRET_KEY: key });
    await runtime.close();
    await expect(start(store, { SWITCHBOARD_SECRET_KEY: newKey() })).rejects.toThrow(/does not open the secrets/);
    await (await start(store, { SWITCHBOARD_SECRET_KEY: key })).close();
  });

  // The restored-backup case: the database file came back, its secret.key did not (a new one was generated).
  test.skipIf(onPostgres)('embedded SQLite: a database beside another secret.key is refused, naming that file', async () => {
    const dir = fs.mkdtempSync(path.join(tempDir, 'embedded-'));
    const store = { databaseUrl: `sqlite:${path.join(dir, 'switchboard.db')}` };
    await (await start(store, {})).close();
    const keyFile = path.join(dir, 'secret.key');
    expect(fs.existsSync(keyFile)).toBe(true);
    fs.writeFileSync(keyFile, `${newKey()}\n`, { mode: 0o600 });
    await expect(start(store, {})).rejects.toThrow(`the secret key (${keyFile}) does not open`);
  });
});
