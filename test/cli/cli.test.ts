import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshStore, runAsProcess, runInProcess, type FreshStore } from './run.ts';

let tmp: string;
let store: FreshStore;
let h: Harness;
/** What the CLI prints on stderr when it opens the test store. */
let storeLine: string;

/** The CLI run in process (runCli, as the bin does) against the test store, from the temporary folder. */
const cli = (args: string[]) => runInProcess(args, { databaseUrl: store.databaseUrl, cwd: tmp });

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-'));
  store = await freshStore(tmp, 'data');
  // The CLI migrates the empty store itself; the harness then opens the same installation.
  const migrated = await cli(['migrate']);
  expect(migrated.code).toBe(0);
  expect(migrated.stderr).toMatch(/^switchboard: using (SQLite sqlite:\/|PostgreSQL postgres)/);
  expect(migrated.stderr.split('\n')).toHaveLength(2);
  storeLine = migrated.stderr;
  expect(migrated.stdout).toContain('migrated');
  h = await createHarness({ databaseUrl: store.databaseUrl, ...(store.schema ? { schema: store.schema } : {}) });
});

afterAll(async () => {
  await h?.close();
  await store?.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('switchboard keys', () => {
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
  });

  test('bad scopes and workspace names fail with a message on stderr and nothing on stdout', async () => {
    const bad = await cli(['keys', 'create', '--workspace', 'cli-x', '--scopes', 'numbers:read,everything']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('unknown scope everything');
    const badName = await cli(['keys', 'create', '--workspace', 'no spaces']);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('workspace');
  });
});

describe('switchboard numbers import', () => {
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
    // No TTY: no progress bar (only the store it opened), and never the password.
    expect(result.stderr).toBe(storeLine);
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
  });

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
  });
});

describe('switchboard keys list', () => {
  test('lists ids, prefixes and scopes (never a key), per workspace or all; --json for programs', async () => {
    const first = JSON.parse((await cli(['keys', 'create', '--workspace', 'cli-list-a', '--name', 'ci', '--json'])).stdout);
    const second = JSON.parse((await cli(['keys', 'create', '--workspace', 'cli-list-b', '--scopes', 'routing', '--json'])).stdout);
    await cli(['keys', 'revoke', second.key_id]);

    const json = await cli(['keys', 'list', '--workspace', 'cli-list-a', '--json']);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout);
    expect(listed).toEqual([
      { id: first.key_id, workspace_id: first.workspace_id, name: 'ci', prefix: first.key.slice(0, listed[0].prefix.length), scopes: ['numbers:read', 'numbers:write', 'routing', 'admin'], created_at: expect.any(String), revoked_at: null },
    ]);
    expect(first.key.startsWith(listed[0].prefix)).toBe(true);
    expect(first.key.length).toBeGreaterThan(listed[0].prefix.length);

    const table = await cli(['keys', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id +workspace +name +prefix +scopes +created_at +revoked_at$/);
    expect(lines.find((line) => line.startsWith(first.key_id))).toMatch(/ cli-list-a +ci +sk_\S+… +numbers:read,numbers:write,routing,admin +\S+ +-$/);
    expect(lines.find((line) => line.startsWith(second.key_id))).toMatch(/ cli-list-b +- +sk_\S+… +routing +\S+ +\d{4}-\d\d-\d\dT\S+$/);
    expect(table.stdout).not.toContain(first.key);
    expect(table.stdout).not.toContain(second.key);

    const unknown = await cli(['keys', 'list', '--workspace', 'cli-list-nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('workspace cli-list-nobody not found');
  });
});

describe('the command line itself', () => {
  const commands = [
    [],
    ['keys'],
    ['numbers'],
    ['inventory'],
    ['serve'],
    ['migrate'],
    ['keys', 'create'],
    ['keys', 'list'],
    ['keys', 'revoke'],
    ['numbers', 'import'],
    ['numbers', 'list'],
    ['numbers', 'export'],
    ['inventory', 'add'],
    ['inventory', 'list'],
  ];

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'));
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  test('every command has --help with its options and a runnable example', async () => {
    for (const command of commands) {
      const help = await cli([...command, '--help']);
      expect(help.code, command.join(' ')).toBe(0);
      expect(help.stdout).toContain(`Usage: ${['switchboard', ...command].join(' ')} `);
      expect(help.stdout).toMatch(new RegExp(`\\nExamples?:\\n  \\$ (\\S+=\\S+ )?${['switchboard', ...command].join(' ')}\\b`));
      expect(help.stderr).toBe('');
    }
  });

  test("a bad flag or argument prints that command's usage line (not the whole help) and exits 2", async () => {
    const unknownFlag = await cli(['keys', 'create', '--workspace', 'x', '--colour', 'red']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stdout).toBe('');
    expect(unknownFlag.stderr).toBe(
      "error: unknown option '--colour'\nUsage: switchboard keys create [options]\nRun `switchboard keys create --help` for the options and an example.\n",
    );
    const badChoice = await cli(['numbers', 'list', '--workspace', 'x', '--capability', 'fax']);
    expect(badChoice.code).toBe(2);
    expect(badChoice.stderr).toContain("argument 'fax' is invalid. Allowed choices are voice, sms.");
    expect(badChoice.stderr).toContain('Usage: switchboard numbers list [options]\n');
    expect(badChoice.stderr).not.toContain('Options:');
    const badBatch = await cli(['numbers', 'import', 'x.csv', '--workspace', 'x', '--batch-size', '0']);
    expect(badBatch.code).toBe(2);
    expect(badBatch.stderr).toContain('must be an integer from 1 to 10000');
    const missing = await cli(['keys', 'revoke']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'key_id'");
    const unknownCommand = await cli(['nmubers']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain('(Did you mean numbers?)');
  });

  test('bad configuration stops with exit 1 and names the rule: the accepted DATABASE_URL forms, the allowed log levels', async () => {
    const bogus = await runInProcess(['keys', 'list'], { databaseUrl: 'postgress://localhost/db', cwd: tmp });
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain('DATABASE_URL: must be one of sqlite:<path>, sqlite::memory:, postgres://user@host:port/db, postgresql://user@host:port/db');
    const loud = await runInProcess(['keys', 'list'], { databaseUrl: store.databaseUrl, cwd: tmp, env: { LOG_LEVEL: 'loud' } });
    expect(loud.code).toBe(1);
    expect(loud.stderr).toContain('LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")');
    expect(fs.readdirSync(tmp)).not.toContain('postgress:');
  });
});

describe('a database nobody has created', () => {
  test('is not created by a command other than migrate or serve unless --create; the refusal names the store', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'elsewhere-'));
    const elsewhere = await freshStore(dir, 'data');
    try {
      const refused = await runInProcess(['keys', 'create', '--workspace', 'cli-elsewhere'], { databaseUrl: elsewhere.databaseUrl, cwd: dir });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/^switchboard: no Switchboard database at (SQLite sqlite:\/|PostgreSQL postgres)/);
      expect(refused.stderr).toContain('--create');
      if (!elsewhere.schema) expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);

      const created = await runInProcess(['keys', 'create', '--workspace', 'cli-elsewhere', '--create'], { databaseUrl: elsewhere.databaseUrl, cwd: dir });
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^sk_/);
      const again = await runInProcess(['keys', 'list', '--json'], { databaseUrl: elsewhere.databaseUrl, cwd: dir });
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toHaveLength(1);
    } finally {
      await elsewhere.drop();
    }
  });

  test('a relative SQLite path is resolved against the working directory and printed absolute', async () => {
    if (store.schema) return;
    const dir = fs.mkdtempSync(path.join(tmp, 'relative-'));
    const migrated = await runInProcess(['migrate'], { databaseUrl: 'sqlite:nested/sb.db', cwd: dir });
    expect(migrated.code).toBe(0);
    expect(migrated.stderr).toBe(`switchboard: using SQLite sqlite:${path.join(dir, 'nested', 'sb.db')}\n`);
    expect(fs.existsSync(path.join(dir, 'nested', 'sb.db'))).toBe(true);
  });
});

describe('the bin as its own process (end to end: Node, tsx, the wrapper, exit status)', () => {
  // One spawn only: each costs seconds (Node, tsx, the sources); everything else runs in process.
  test('keys create prints a key the server accepts, the store on stderr, and exits 0', async () => {
    const created = await runAsProcess(['keys', 'create', '--workspace', 'cli-e2e', '--json'], { databaseUrl: store.databaseUrl, cwd: tmp });
    expect(created.code).toBe(0);
    expect(created.stderr).toBe(storeLine);
    const { key } = JSON.parse(created.stdout);
    expect((await h.request('GET', '/v1/phone-numbers', { key })).status).toBe(200);
  }, 120_000);
});
