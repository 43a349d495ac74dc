import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, dropSchema, onPostgres, TEST_DATABASE_URL, TEST_SECRET_KEY, type Harness } from '../helpers/harness.ts';

const run = promisify(execFile);
/** Each CLI run starts Node, tsx and the store: seconds each on a busy two-core CI machine. */
const CLI_TEST_TIMEOUT = 180_000;
const bin = path.resolve(import.meta.dirname, '../../bin/switchboard.mjs');

let tmp: string;
let databaseUrl: string;
let schema: string | null = null;
let h: Harness;

/**
 * The CLI gets exactly what an operator would set: DATABASE_URL (on PostgreSQL a URL whose
 * `options` pin a fresh schema) and the secret key.
 */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, DATABASE_URL: databaseUrl, SWITCHBOARD_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent' };
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env, cwd: tmp });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-'));
  if (onPostgres) {
    schema = `cli_${crypto.randomBytes(5).toString('hex')}`;
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = url.toString();
  } else {
    databaseUrl = `sqlite:${path.join(tmp, 'data', 'switchboard.db')}`;
  }
  // The CLI migrates the empty store itself; the harness then opens the same installation.
  const migrated = await cli(['migrate']);
  expect(migrated.stderr).toBe('');
  expect(migrated.stdout).toContain('migrated');
  h = await createHarness({ databaseUrl, ...(schema ? { schema } : {}) });
}, CLI_TEST_TIMEOUT);

afterAll(async () => {
  await h?.close();
  if (schema) await dropSchema(TEST_DATABASE_URL, schema);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('switchboard keys', { timeout: 120_000 }, () => {
  test('create prints the key alone; --json prints ids; the key works; revoke stops it', async () => {
    const created = await cli(['keys', 'create', '--workspace', 'cli-acme']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^sk_[\w-]+\n$/);
    const key = created.stdout.trim();
    expect((await h.request('GET', '/v1/phone-numbers', { key })).status).toBe(200);

    const json = await cli(['keys', 'create', '--workspace', 'cli-acme', '--scopes', 'numbers:read', '--json']);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(Object.keys(body).sort()).toEqual(['key', 'key_id', 'workspace_id']);
    const actor = await h.runtime.services.workspaces.authenticate(body.key);
    expect(actor).toMatchObject({ workspaceId: body.workspace_id, keyId: body.key_id });
    expect([...actor.scopes]).toEqual(['numbers:read']);
    expect((await h.request('POST', '/v1/phone-numbers', { key: body.key, json: { phone_number: '+14157770100' } })).status).toBe(403);
    // Same workspace as the first key.
    const first = await h.runtime.services.workspaces.authenticate(key);
    expect(first.workspaceId).toBe(body.workspace_id);

    const stored = await h.runtime.database.db.selectFrom('api_keys').selectAll().where('id', '=', body.key_id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(body.key);

    const revoked = await cli(['keys', 'revoke', body.key_id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(body.key_id);
    h.runtime.services.workspaces.forgetCachedKeys();
    expect((await h.request('GET', '/v1/phone-numbers', { key: body.key })).status).toBe(401);
    expect((await cli(['keys', 'revoke', crypto.randomUUID()])).code).toBe(1);
  }, CLI_TEST_TIMEOUT);

  test('bad scopes and workspace names fail with a message on stderr and nothing on stdout', async () => {
    const bad = await cli(['keys', 'create', '--workspace', 'cli-x', '--scopes', 'numbers:read,everything']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('unknown scope everything');
    const badName = await cli(['keys', 'create', '--workspace', 'no spaces']);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('workspace');
  }, CLI_TEST_TIMEOUT);
});

describe('switchboard numbers import', { timeout: 120_000 }, () => {
  test('imports a CSV through the service in batches, prints a summary and the failures', async () => {
    const key = (await cli(['keys', 'create', '--workspace', 'cli-import'])).stdout.trim();
    const csv = [
      'phone_number,nickname,source,provider_sid,capabilities.sms,sip.termination_uri,sip.auth_password,sip.transport,allowed_inbound_country_list,inbound_agents',
      '+14157770201,Front desk,twilio,PN1,true,sip.example.com,csv-secret-pw,TLS,US;CA,agent_front',
      '14157770202,"Sales, West",telnyx,,,,,,,"[{""agent_id"":""a"",""weight"":0.5},{""agent_id"":""b"",""weight"":0.5}]"',
      '+14157770203,,,,,,,,,',
      '+14157770201,dup in file,,,,,,,,',
      'not-a-number,bad,,,,,,,,',
      '+14157770204,bad transport,,,,,,WSS,,',
      '+14157770205,bad bool,,,maybe,,,,,',
      '+14157770206,bad weights,,,,,,,,"[{""agent_id"":""a"",""weight"":0.4}]"',
    ].join('\n');
    const file = path.join(tmp, 'numbers.csv');
    fs.writeFileSync(file, `${csv}\n`);
    const result = await cli(['numbers', 'import', file, '--workspace', 'cli-import', '--batch-size', '2']);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('created 3, failed 5');
    expect(lines.slice(1).map((line) => line.trim().split(' ').slice(0, 2).join(' '))).toEqual(['line 5', 'line 6', 'line 7', 'line 8', 'line 9']);
    expect(result.stdout).toMatch(/line 5 \+14157770201: CONFLICT/);
    expect(result.stdout).toMatch(/line 7 \+14157770204: VALIDATION_FAILED sip\.transport/);
    expect(result.stdout).toMatch(/line 8 \+14157770205: VALIDATION_FAILED capabilities\.sms: must be true or false/);
    expect(result.stdout).toMatch(/line 9 \+14157770206: VALIDATION_FAILED inbound_agents: weights must sum to 1/);
    // No TTY: no progress bar, and never the password.
    expect(result.stderr).toBe('');
    expect(result.stdout + result.stderr).not.toContain('csv-secret-pw');

    const front = (await h.request('GET', '/v1/phone-numbers/+14157770201', { key })).json();
    expect(front).toMatchObject({
      nickname: 'Front desk',
      source: 'twilio',
      provider_sid: 'PN1',
      capabilities: { voice: true, sms: true },
      sip: { termination_uri: 'sip.example.com', transport: 'TLS', has_password: true },
      allowed_inbound_country_list: ['US', 'CA'],
      inbound_agents: [{ agent_id: 'agent_front', weight: 1 }],
    });
    const sales = (await h.request('GET', '/v1/phone-numbers/14157770202', { key })).json();
    expect(sales).toMatchObject({ nickname: 'Sales, West', source: 'telnyx', inbound_agents: [{ agent_id: 'a' }, { agent_id: 'b' }] });
    expect((await h.request('GET', '/v1/phone-numbers', { key })).json().data).toHaveLength(3);
    const events = (await h.request('GET', `/v1/phone-numbers/${front.id}/events`, { key })).json().data;
    expect(events[0]).toMatchObject({ action: 'create', actor_key_id: null });
  }, CLI_TEST_TIMEOUT);

  test('rejects unknown columns and unknown workspaces before importing anything', async () => {
    await cli(['keys', 'create', '--workspace', 'cli-cols']);
    const file = path.join(tmp, 'bad-columns.csv');
    fs.writeFileSync(file, 'phone_number,colour\n+14157770301,red\n');
    const unknownColumn = await cli(['numbers', 'import', file, '--workspace', 'cli-cols']);
    expect(unknownColumn.code).toBe(1);
    expect(unknownColumn.stderr).toContain('unknown CSV column colour');
    const unknownWorkspace = await cli(['numbers', 'import', file, '--workspace', 'cli-nobody']);
    expect(unknownWorkspace.code).toBe(1);
    expect(unknownWorkspace.stderr).toContain('workspace cli-nobody not found');
    const rows = await h.runtime.database.db.selectFrom('phone_numbers').select('id').where('e164', '=', '+14157770301').execute();
    expect(rows).toEqual([]);
  }, CLI_TEST_TIMEOUT);
});
