import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exportCsv, recordToRow } from '../../src/cli/export-numbers.ts';
import { CSV_COLUMNS, importCsv, type ImportProgress } from '../../src/cli/import-numbers.ts';
import { progressBarValue } from '../../src/cli/numbers.ts';
import { operatorActor } from '../../src/services/context.ts';
import type { PhoneNumber } from '../../src/services/phone-numbers/model.ts';
import { createHarness, type Harness, type TestWorkspace } from '../helpers/harness.ts';
import { freshNumber } from '../helpers/numbers.ts';
import { freshStore, runInProcess, type FreshStore } from './run.ts';

let tmp: string;
let store: FreshStore;
let h: Harness;
let acme: TestWorkspace;
let key: string;

const cli = (args: string[], databaseUrl = store.databaseUrl) => runInProcess(args, { databaseUrl, cwd: tmp });

/** A number using every field the import's columns carry. */
const FULL = {
  phone_number: '+14155550101',
  status: 'inactive',
  source: 'twilio',
  provider_sid: 'PN0101',
  nickname: 'Front, "desk"',
  capabilities: { voice: true, sms: true },
  sip: { termination_uri: 'sip:trunk.example.com:5061', outbound_proxy: '203.0.113.7', auth_username: 'trunk-user', auth_password: 'trunk-secret-pw', transport: 'TLS', uac_enabled: true, uac_register_expires: 600 },
  inbound_agents: [
    { agent_id: 'agent_a', weight: 0.25, agent_version: 3 },
    { agent_id: 'agent_b', weight: 0.75, agent_version: 'latest' },
  ],
  outbound_agents: [{ agent_id: 'agent_c', weight: 1 }],
  inbound_sms_agents: [{ agent_id: 'agent_sms', weight: 1 }],
  allowed_inbound_country_list: ['US', 'CA'],
  allowed_outbound_country_list: ['GB'],
  inbound_webhook_url: 'https://hooks.example.com/inbound?x=1,2',
  inbound_sms_webhook_url: 'https://hooks.example.com/sms',
  fallback_number: '+14155550199',
  max_concurrent_calls: 5,
  calling_hours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:30' },
  error_message: 'carrier said: "no", twice',
};

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-numbers-'));
  store = await freshStore(tmp, 'data');
  expect((await cli(['migrate'])).code).toBe(0);
  h = await createHarness({ databaseUrl: store.databaseUrl, ...(store.schema ? { schema: store.schema } : {}) });
  acme = await h.workspace('cli-numbers');
  key = await acme.key();
  const full = await h.request('POST', '/v1/phone-numbers', { key, json: FULL });
  expect(full.status, full.body).toBe(201);
  const minimal = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: '+442071838750' } });
  expect(minimal.status).toBe(201);
  // More than one export page (1,000), so the export has to follow the cursor.
  const items = Array.from({ length: 1100 }, (_, i) => ({ phone_number: freshNumber(i % 2 ? '212' : '650'), nickname: `bulk ${i}`, inbound_agents: i % 3 ? [{ agent_id: 'agent_bulk', weight: 1 }] : [] }));
  for (let i = 0; i < items.length; i += 1000) {
    expect((await h.request('POST', '/v1/phone-numbers/bulk', { key, json: { items: items.slice(i, i + 1000) } })).json().data.every((r: { status: string }) => r.status === 'created')).toBe(true);
  }
  const doomed = (await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: '+14155550103', nickname: 'deleted before the export' } })).json();
  expect((await h.request('DELETE', `/v1/phone-numbers/${doomed.id}`, { key })).status).toBe(204);
  const other = await h.workspace('cli-numbers-other');
  expect((await h.request('POST', '/v1/phone-numbers', { key: await other.key(), json: { phone_number: '+14155550104' } })).status).toBe(201);
});

afterAll(async () => {
  await h?.close();
  await store?.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function allRecords(harness: Harness, workspaceId: string): Promise<PhoneNumber[]> {
  const records: PhoneNumber[] = [];
  let cursor: string | undefined;
  do {
    const page = await harness.runtime.services.phoneNumbers.list(operatorActor(workspaceId), { limit: 1000, ...(cursor ? { cursor } : {}) });
    records.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return records;
}

/** What an import recreates: everything but the identity, the clock and the write-only password. */
function comparable(record: PhoneNumber) {
  const { id: _id, workspace_id: _workspace, created_at: _created, updated_at: _updated, version: _version, ...rest } = record;
  return { ...rest, sip: { ...rest.sip, has_password: false } };
}

describe('switchboard numbers list', () => {
  test('prints a table of live numbers, filters like the API, --json gives the records', async () => {
    const table = await cli(['numbers', 'list', '--workspace', 'cli-numbers', '--limit', '3']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^phone_number +status +nickname +country +inbound_agents +id$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^\+14155550101 +inactive +Front, "desk" +US +agent_a,agent_b +[0-9a-f-]{36}$/);
    expect(table.stderr).toContain('more numbers match; raise --limit or use `switchboard numbers export`');

    const json = await cli(['numbers', 'list', '--workspace', 'cli-numbers', '--search', 'Front', '--json']);
    const found = JSON.parse(json.stdout);
    expect(found).toEqual([(await h.request('GET', '/v1/phone-numbers/+14155550101', { key })).json()]);
    expect(json.stdout).not.toContain('trunk-secret-pw');

    const gb = JSON.parse((await cli(['numbers', 'list', '--workspace', 'cli-numbers', '--country', 'gb', '--json'])).stdout);
    expect(gb.map((r: PhoneNumber) => r.phone_number)).toEqual(['+442071838750']);
    const sms = JSON.parse((await cli(['numbers', 'list', '--workspace', 'cli-numbers', '--capability', 'sms', '--json'])).stdout);
    expect(sms.map((r: PhoneNumber) => r.phone_number)).toEqual(['+14155550101']);
    const inactive = JSON.parse((await cli(['numbers', 'list', '--workspace', 'cli-numbers', '--status', 'inactive', '--json'])).stdout);
    expect(inactive.map((r: PhoneNumber) => r.phone_number)).toEqual(['+14155550101']);
    const byAgent = JSON.parse((await cli(['numbers', 'list', '--workspace', 'cli-numbers', '--agent', 'agent_c', '--json'])).stdout);
    expect(byAgent.map((r: PhoneNumber) => r.phone_number)).toEqual(['+14155550101']);
    const available = JSON.parse((await cli(['numbers', 'list', '--workspace', 'cli-numbers', '--available', '--limit', '10000', '--json'])).stdout);
    expect(available).toHaveLength(1 + 367);
    expect(available.every((r: PhoneNumber) => r.inbound_agents.length === 0)).toBe(true);
    const assigned = JSON.parse((await cli(['numbers', 'list', '--workspace', 'cli-numbers', '--assigned', '--limit', '10000', '--json'])).stdout);
    expect(assigned).toHaveLength(1 + 733);
    expect((await cli(['numbers', 'list', '--workspace', 'cli-numbers', '--available', '--assigned'])).code).toBe(2);
  });
});

describe('switchboard numbers export', () => {
  test('writes every live number in the import columns; importing the file into an empty store recreates the same records', async () => {
    const file = path.join(tmp, 'export.csv');
    const exported = await cli(['numbers', 'export', 'export.csv', '--workspace', 'cli-numbers']);
    expect(exported).toMatchObject({ code: 0, stdout: `exported 1102 numbers to ${file}\n` });
    const text = fs.readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe(CSV_COLUMNS.join(','));
    expect(text).not.toContain('trunk-secret-pw');
    expect(text).not.toContain('+14155550103');
    expect(text).not.toContain('+14155550104');
    expect(fs.existsSync(`${file}.partial`)).toBe(false);

    const original = await allRecords(h, acme.id);
    expect(original).toHaveLength(1102);
    const empty = await freshStore(tmp, 'copy');
    try {
      expect((await cli(['keys', 'create', '--workspace', 'copy', '--create'], empty.databaseUrl)).code).toBe(0);
      const imported = await cli(['numbers', 'import', 'export.csv', '--workspace', 'copy'], empty.databaseUrl);
      expect(imported.stdout).toBe('created 1102, failed 0\n');
      expect(imported.code).toBe(0);
      const copy = await createHarness({ databaseUrl: empty.databaseUrl, ...(empty.schema ? { schema: empty.schema } : {}) });
      try {
        const workspace = await copy.runtime.services.workspaces.getWorkspaceByName('copy');
        const recreated = await allRecords(copy, workspace.id);
        expect(recreated.map(comparable)).toEqual(original.map(comparable));
        expect(original.find((r) => r.phone_number === FULL.phone_number)!.sip.has_password).toBe(true);
      } finally {
        await copy.close();
      }
    } finally {
      await empty.drop();
    }
  });

  test('a record becomes a row of the import columns: empty for null, lists joined, agents and hours as JSON', async () => {
    const record = (await h.request('GET', `/v1/phone-numbers/${FULL.phone_number}`, { key })).json() as PhoneNumber;
    const row = Object.fromEntries(CSV_COLUMNS.map((column, i) => [column, recordToRow(record)[i]]));
    expect(row).toMatchObject({
      phone_number: '+14155550101',
      status: 'inactive',
      carrier_id: '',
      'sip.auth_password': '',
      'sip.transport': 'TLS',
      'capabilities.sms': 'true',
      'sip.uac_register_expires': '600',
      allowed_inbound_country_list: 'US;CA',
      inbound_agents: JSON.stringify(FULL.inbound_agents),
      outbound_sms_agents: '',
      calling_hours: JSON.stringify(FULL.calling_hours),
    });
  });

  test('an unknown workspace exports nothing and leaves no file', async () => {
    const result = await cli(['numbers', 'export', 'nobody.csv', '--workspace', 'cli-nobody']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('workspace cli-nobody not found');
    expect(fs.existsSync(path.join(tmp, 'nobody.csv'))).toBe(false);
    // A read refused at once used to leave the `.partial` file behind now and then: the stream
    // opened it after the export had already cleaned up. Repeated, so that the race shows.
    for (let attempt = 0; attempt < 20; attempt++) {
      await expect(exportCsv(h.runtime.services.phoneNumbers, { ...operatorActor(acme.id), scopes: new Set() }, path.join(tmp, `denied-${attempt}.csv`))).rejects.toThrow();
    }
    expect(fs.readdirSync(tmp).filter((name) => name.startsWith('denied'))).toEqual([]);
  });
});

describe('CSV import progress', () => {
  test('advances while a batch is read, before it is stored, and ends at the whole file', async () => {
    const workspace = await h.workspace('cli-progress');
    const rows = Array.from({ length: 1500 }, () => freshNumber('214'));
    const csv = `phone_number\n${rows.join('\n')}\n`;
    const events: ImportProgress[] = [];
    const summary = await importCsv(h.runtime.services.phoneNumbers, operatorActor(workspace.id), Readable.from([csv]), {
      onProgress: (progress) => events.push({ ...progress }),
    });
    expect(summary).toMatchObject({ created: 1500, failed: 0 });
    const total = 2 * Buffer.byteLength(csv);
    // The default batch (10,000 rows) holds the whole file: without reports while reading, the bar would jump 0 → 100 %.
    const whileReading = events.filter((event) => event.storedBytes === 0);
    expect(whileReading.length).toBeGreaterThanOrEqual(5);
    expect(whileReading.every((event) => event.created === 0 && event.readBytes > 0)).toBe(true);
    const values = events.map(progressBarValue);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values[0]! / total).toBeLessThan(0.2);
    expect(values.at(-1)).toBe(total);
  });

  test('agent and calling-hours cells of the wrong shape fail their row with the field, not the import', async () => {
    const workspace = await h.workspace('cli-shapes');
    const csv = [
      'phone_number,inbound_agents,calling_hours',
      `${freshNumber('604')},"[{""agent_id"":7,""weight"":1}]",`,
      `${freshNumber('604')},"[{""agent_id"":""a"",""weight"":1,""colour"":""red""}]",`,
      `${freshNumber('604')},,"{""days"":""weekdays"",""start"":""09:00"",""end"":""17:00""}"`,
      `${freshNumber('604')},"[1]",`,
      `${freshNumber('604')},agent_ok,"{""days"":[6,7],""start"":""10:00"",""end"":""14:00""}"`,
    ].join('\n');
    const summary = await importCsv(h.runtime.services.phoneNumbers, operatorActor(workspace.id), Readable.from([csv]));
    expect(summary.created).toBe(1);
    expect(summary.failures.map((failure) => failure.errors[0]!.field)).toEqual([
      'inbound_agents[0].agent_id',
      'inbound_agents[0].colour',
      'calling_hours.days',
      'inbound_agents[0]',
    ]);
    expect(summary.failures.every((failure) => failure.code === 'VALIDATION_FAILED')).toBe(true);
  });
});
