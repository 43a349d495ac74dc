import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ListResponse } from '../../src/http/native/phone-numbers.ts';
import { RetellListResponse, RetellPhoneNumberSchema } from '../../src/http/retell/schemas.ts';
import { toRetell } from '../../src/http/retell/wire.ts';
import { operatorActor } from '../../src/services/context.ts';
import type { PhoneNumber } from '../../src/services/phone-numbers/model.ts';
import { PhoneNumberSchema } from '../../src/services/phone-numbers/schema.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber } from '../helpers/numbers.ts';

// GET and list responses are written from bytes held per record version (src/http/record-json.ts)
// instead of by the route's serializer: these pin them to what that serializer writes, byte for
// byte, for records with every kind of null, optional and nested field, and check that held bytes
// never outlive the version they were written from.

/** What Fastify compiles for a route's response schema, with the plugin's shared schemas. */
function routeSerializer(schema: TSchema, shared: TSchema[]): (data: unknown) => string {
  const external = Object.fromEntries(shared.map((s) => [s.$id!, s]));
  return SerializerSelector()(external, undefined)({ schema } as never) as (data: unknown) => string;
}

const nativeOne = routeSerializer({ $ref: 'PhoneNumber' } as never, [PhoneNumberSchema]);
const nativeList = routeSerializer(ListResponse, [PhoneNumberSchema]);
const retellOne = routeSerializer({ $ref: 'RetellPhoneNumber' } as never, [RetellPhoneNumberSchema]);
const retellList = routeSerializer(RetellListResponse, [RetellPhoneNumberSchema]);

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

let londonSerial = 0;

/** Records of one workspace whose fields cover nulls, absent optionals, nested objects and both agent-version kinds. */
async function variedRecords(workspaceId: string): Promise<PhoneNumber[]> {
  const { phoneNumbers } = h.runtime.services;
  const actor = operatorActor(workspaceId);
  const bare = await phoneNumbers.importNumber(actor, { phone_number: freshNumber() });
  const full = await phoneNumbers.importNumber(actor, {
    phone_number: freshNumber('650'),
    nickname: 'Front desk "main" \\ line \u00e9\u{1F4DE}',
    status: 'inactive',
    source: 'twilio',
    provider_sid: 'PN123',
    capabilities: { voice: true, sms: true },
    sip: { termination_uri: 'sip.example.com', outbound_proxy: 'proxy.example.com', auth_username: 'user', auth_password: 'secret', transport: 'UDP', uac_enabled: true, uac_register_expires: 600 },
    inbound_agents: [
      { agent_id: 'agent_a', weight: 0.7, agent_version: 3 },
      { agent_id: 'agent_b', weight: 0.3, agent_version: 'latest_published' },
    ],
    outbound_agents: [{ agent_id: 'agent_a', weight: 1 }],
    inbound_sms_agents: [{ agent_id: 'agent_s', weight: 1, agent_version: 0 }],
    allowed_inbound_country_list: ['US', 'CA'],
    allowed_outbound_country_list: ['US'],
    inbound_webhook_url: 'https://hooks.example.com/in?x=1&y=2',
    inbound_sms_webhook_url: 'https://hooks.example.com/sms',
    fallback_number: bare.phone_number,
    max_concurrent_calls: 7,
    calling_hours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:30' },
    error_message: 'carrier said: "no" <503> \\ retry',
  });
  const pseudo = await phoneNumbers.importNumber(actor, { phone_number: `agent-line_${Date.now()}`, pseudo: true, nickname: null });
  const foreign = await phoneNumbers.importNumber(actor, { phone_number: `+44207183${8750 + ++londonSerial}`, outbound_agents: [{ agent_id: 'agent_uk', weight: 1, agent_version: 'v2' }] });
  return [bare, full, pseudo, foreign];
}

describe('held response bytes', () => {
  test('GET and list pages are byte for byte what the route schemas serialize, native and Retell, for varied records', async () => {
    const workspace = await h.workspace();
    const key = await workspace.key();
    const records = await variedRecords(workspace.id);
    const actor = operatorActor(workspace.id);
    for (const created of records) {
      // Twice: the first response writes and holds the bytes, the second is served from them.
      for (let round = 0; round < 2; round++) {
        const record = await h.runtime.services.phoneNumbers.get(actor, created.id);
        const native = await h.request('GET', `/v1/phone-numbers/${created.id}`, { key });
        expect(native.status).toBe(200);
        expect(native.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(native.headers.etag).toBe(`"${record.version}"`);
        expect(native.body).toBe(nativeOne(record));
        const retell = await h.request('GET', `/retell/get-phone-number/${encodeURIComponent(created.phone_number)}`, { key });
        expect(retell.status).toBe(200);
        expect(retell.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(retell.body).toBe(retellOne(toRetell(record)));
      }
    }
    const all = await Promise.all(records.map((r) => h.runtime.services.phoneNumbers.get(actor, r.id)));
    const byId = [...all].sort((a, b) => (a.id < b.id ? -1 : 1));
    // A first page with more to come, then the last page; newest first for Retell.
    for (let round = 0; round < 2; round++) {
      const first = await h.request('GET', '/v1/phone-numbers?limit=3', { key });
      const page = first.json<{ next_cursor: string }>();
      expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(first.body).toBe(nativeList({ data: byId.slice(0, 3), has_more: true, next_cursor: page.next_cursor }));
      const last = await h.request('GET', `/v1/phone-numbers?limit=3&cursor=${page.next_cursor}`, { key });
      expect(last.body).toBe(nativeList({ data: byId.slice(3), has_more: false, next_cursor: null }));
      const newest = [...byId].reverse().map(toRetell);
      const retellFirst = await h.request('GET', '/retell/v2/list-phone-numbers?limit=3', { key });
      const retellKey = retellFirst.json<{ pagination_key: string }>().pagination_key;
      expect(retellFirst.body).toBe(retellList({ items: newest.slice(0, 3), has_more: true, pagination_key: retellKey }));
      const retellLast = await h.request('GET', `/retell/v2/list-phone-numbers?limit=3&pagination_key=${retellKey}`, { key });
      expect(retellLast.body).toBe(retellList({ items: newest.slice(3), has_more: false }));
      const v1 = await h.request('GET', '/retell/list-phone-numbers', { key });
      expect(v1.body).toBe(`[${newest.map((r) => retellOne(r)).join(',')}]`);
    }
    const empty = await (await h.workspace()).key();
    expect((await h.request('GET', '/v1/phone-numbers', { key: empty })).body).toBe(nativeList({ data: [], has_more: false, next_cursor: null }));
    expect((await h.request('GET', '/retell/v2/list-phone-numbers', { key: empty })).body).toBe(retellList({ items: [], has_more: false }));
  });

  test('after an update the next GET and list page carry the new version\'s bytes, never the held ones', async () => {
    const workspace = await h.workspace();
    const key = await workspace.key();
    const [record] = await variedRecords(workspace.id);
    const warm = async () => {
      await h.request('GET', `/v1/phone-numbers/${record!.id}`, { key });
      await h.request('GET', `/retell/get-phone-number/${record!.phone_number}`, { key });
      await h.request('GET', '/v1/phone-numbers', { key });
    };
    await warm();
    const patched = await h.request('PATCH', `/v1/phone-numbers/${record!.id}`, { key, json: { nickname: 'renamed', max_concurrent_calls: null } });
    expect(patched.status).toBe(200);
    expect((await h.request('GET', `/v1/phone-numbers/${record!.id}`, { key })).body).toBe(patched.body);
    const retell = await h.request('GET', `/retell/get-phone-number/${record!.phone_number}`, { key });
    expect(retell.json().nickname).toBe('renamed');
    const list = await h.request('GET', '/v1/phone-numbers', { key });
    expect(list.json().data.find((r: { id: string }) => r.id === record!.id)).toEqual(JSON.parse(patched.body));
  });
});
