import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const BASE = '/topcalls/v1';

interface Account {
  id: string;
  key: string;
  keyId: string;
}

async function account(scopes?: Parameters<Awaited<ReturnType<Harness['workspace']>>['key']>[0]): Promise<Account> {
  const ws = await h.workspace();
  const key = await ws.key(scopes);
  const actor = await h.runtime.services.workspaces.authenticate(key);
  return { id: ws.id, key, keyId: actor.keyId! };
}

async function addCarrier(key: string, json: Record<string, unknown> = {}) {
  return h.request('POST', `${BASE}/phone-numbers/carriers`, {
    key,
    json: { carrier_name: 'My Trunk', sip_gateway: { ipv4: '203.0.113.10', port: 5060, inbound: true, outbound: true }, ...json },
  });
}

function expectProblem(res: { status: number; headers: Record<string, unknown>; json(): any }, status: number, path?: string, message?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.stringMatching(/^https:\/\//) });
  for (const issue of body.errors) expect(Object.keys(issue).sort()).toEqual(['message', 'path']);
  if (path !== undefined) {
    // The core has named query-string fields both `query.x` and `querystring.x`; either is the field.
    const issue = body.errors.find((e: { path: string }) => e.path === path || e.path === path.replace(/^query\./, 'querystring.'));
    expect(issue, `no error at ${path} in ${JSON.stringify(body)}`).toBeDefined();
    if (message) expect(issue.message).toMatch(message);
  }
  return body;
}

describe('POST /topcalls/v1/phone-numbers', () => {
  test('adds a number: 201 with every field of the TopCalls object', async () => {
    const acct = await account();
    const res = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550201', label: 'Support line' } });
    expect(res.status).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(UUID),
      account_id: acct.id,
      number: '+14155550201',
      source: 'manual',
      status: 'active',
      phone_number_sid: null,
      voip_carrier_sid: null,
      carrier_name: null,
      label: 'Support line',
      error_message: null,
      created_by_user_id: acct.keyId,
      created_at: expect.stringMatching(ISO),
      updated_at: body.created_at,
    });
    expect(res.headers.location).toBe(`${BASE}/phone-numbers/${body.id}`);
    expect((await h.request('GET', `${BASE}/phone-numbers/${body.id}`, { key: acct.key })).json()).toEqual(body);
  });

  test('on one of the account\'s carriers: source byoc, carrier sid and name', async () => {
    const acct = await account();
    const carrier = (await addCarrier(acct.key, { carrier_name: 'Telco One' })).json();
    const res = await h.request('POST', `${BASE}/phone-numbers`, {
      key: acct.key,
      json: { number: '+14155550202', voip_carrier_sid: carrier.voip_carrier_sid },
    });
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({ source: 'byoc', voip_carrier_sid: carrier.id, carrier_name: 'Telco One', label: null });
  });

  // Issue 12, item 9: the account's default carrier (native `PATCH /v1/workspace`).
  test('without voip_carrier_sid: on the workspace default carrier with source topcalls; without a default, no carrier and manual', async () => {
    const acct = await account();
    const carrier = (await addCarrier(acct.key, { carrier_name: 'House Trunk' })).json();
    const none = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550261' } });
    expect(none.json()).toMatchObject({ source: 'manual', voip_carrier_sid: null, carrier_name: null });
    const set = await h.request('PATCH', '/v1/workspace', { key: acct.key, json: { default_carrier_id: carrier.id } });
    expect(set.status, set.body).toBe(200);
    expect(set.json()).toMatchObject({ workspace_id: acct.id, default_carrier_id: carrier.id });
    expect((await h.request('GET', '/v1/workspace', { key: acct.key })).json().default_carrier_id).toBe(carrier.id);
    const onDefault = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550262' } });
    expect(onDefault.status).toBe(201);
    expect(onDefault.json()).toMatchObject({ source: 'topcalls', voip_carrier_sid: carrier.id, carrier_name: 'House Trunk' });
    expect((await h.request('GET', `/v1/phone-numbers/${onDefault.json().id}`, { key: acct.key })).json().carrier_id).toBe(carrier.id);
    // An explicit carrier still wins; another carrier reads byoc.
    const other = (await addCarrier(acct.key, { carrier_name: 'Other' })).json();
    const explicit = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550263', voip_carrier_sid: other.voip_carrier_sid } });
    expect(explicit.json()).toMatchObject({ source: 'byoc', voip_carrier_sid: other.id });
    // Cleared: today's behaviour again.
    expect((await h.request('PATCH', '/v1/workspace', { key: acct.key, json: { default_carrier_id: null } })).json().default_carrier_id).toBeNull();
    const cleared = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550264' } });
    expect(cleared.json()).toMatchObject({ source: 'manual', voip_carrier_sid: null });
  });

  test('the default carrier must be a live carrier of the workspace; the setting needs admin', async () => {
    const acct = await account();
    const stranger = await account();
    const theirs = (await addCarrier(stranger.key)).json();
    for (const id of [theirs.id, '019a8f3e-7c1d-7b2a-9f00-5d3c2b1a0e9f', 'nope']) {
      const res = await h.request('PATCH', '/v1/workspace', { key: acct.key, json: { default_carrier_id: id } });
      expect(res.status).toBe(400);
      expect(res.json().errors[0].field).toBe('default_carrier_id');
    }
    expect((await h.request('GET', '/v1/workspace', { key: acct.key })).json().default_carrier_id).toBeNull();
    const reader = await account(['numbers:read', 'numbers:write']);
    expect((await h.request('PATCH', '/v1/workspace', { key: reader.key, json: { default_carrier_id: null } })).status).toBe(403);
  });

  test('every rejection names the field in errors[].path and stores nothing', async () => {
    const acct = await account();
    const stranger = await account();
    const theirs = (await addCarrier(stranger.key)).json();
    const cases: Array<[unknown, number, string, RegExp?]> = [
      [{}, 400, 'number', /required/],
      [{ number: '14155550203' }, 400, 'number', /pattern/],
      [{ number: '+1 415 555 0203' }, 400, 'number', /pattern/],
      [{ number: '+99912345678' }, 400, 'number', /not a valid phone number/],
      [{ number: '+14155550203', label: 'x'.repeat(101) }, 400, 'label', /100/],
      [{ number: '+14155550203', label: 7 }, 400, 'label', /string/],
      [{ number: '+14155550203', colour: 'red' }, 400, 'colour', /not a known field/],
      [{ number: '+14155550203', voip_carrier_sid: 'carrier-1' }, 400, 'voip_carrier_sid', /uuid/],
      [{ number: '+14155550203', voip_carrier_sid: '01a20561-2957-70a9-bf5b-112851bcd16c' }, 404, 'voip_carrier_sid', /no carrier/],
      [{ number: '+14155550203', voip_carrier_sid: theirs.id }, 404, 'voip_carrier_sid', /no carrier/],
    ];
    for (const [json, status, path, message] of cases) {
      const res = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json });
      expectProblem(res, status, path, message);
    }
    const invalid = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: 'x' } });
    expect(invalid.json().title).toBe('Invalid request body');
    expect((await h.request('GET', `${BASE}/phone-numbers`, { key: acct.key })).json().data).toEqual([]);
  });

  test('a number registered anywhere is 409; auth and scope failures use the same envelope', async () => {
    const a = await account();
    const b = await account();
    expect((await h.request('POST', `${BASE}/phone-numbers`, { key: a.key, json: { number: '+14155550204' } })).status).toBe(201);
    expectProblem(await h.request('POST', `${BASE}/phone-numbers`, { key: b.key, json: { number: '+14155550204' } }), 409, 'number');
    expectProblem(await h.request('POST', `${BASE}/phone-numbers`, { json: { number: '+14155550205' } }), 401);
    expectProblem(await h.request('GET', `${BASE}/phone-numbers`, { key: 'tc_live_nonsense' }), 401);
    const reader = await account(['numbers:read']);
    expectProblem(await h.request('POST', `${BASE}/phone-numbers`, { key: reader.key, json: { number: '+14155550205' } }), 403);
    expectProblem(await h.request('GET', `${BASE}/no-such-thing`, { key: a.key }), 404);
  });

  test('Idempotency-Key: replayed for retries, 422 for another body, 400 when malformed, in the TopCalls shape', async () => {
    const acct = await account();
    const headers = { 'idempotency-key': 'tc-retry-0001' };
    const first = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550206' }, headers });
    const again = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550206' }, headers });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expectProblem(await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550207' }, headers }), 422, 'Idempotency-Key');
    expectProblem(
      await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550207' }, headers: { 'idempotency-key': 'bad key' } }),
      400,
      'Idempotency-Key',
      /8 to 255/,
    );
    expect((await h.request('GET', `${BASE}/phone-numbers`, { key: acct.key })).json().data).toHaveLength(1);
  });
});

describe('GET /topcalls/v1/phone-numbers', () => {
  test('cursor pages ({data, next_cursor}), a status filter, only the caller\'s numbers', async () => {
    const acct = await account();
    const other = await account();
    await h.request('POST', `${BASE}/phone-numbers`, { key: other.key, json: { number: '+14155550210' } });
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: `+1415555021${i}` } })).json().id);
    await h.request('PATCH', `/v1/phone-numbers/${ids[4]}`, { key: acct.key, json: { status: 'inactive' } });

    const first = await h.request('GET', `${BASE}/phone-numbers?limit=2`, { key: acct.key });
    expect(Object.keys(first.json()).sort()).toEqual(['data', 'next_cursor']);
    expect(first.json().data.map((n: { id: string }) => n.id)).toEqual(ids.slice(0, 2));
    const second = (await h.request('GET', `${BASE}/phone-numbers?limit=2&cursor=${first.json().next_cursor}`, { key: acct.key })).json();
    expect(second.data.map((n: { id: string }) => n.id)).toEqual(ids.slice(2, 4));
    const last = (await h.request('GET', `${BASE}/phone-numbers?limit=2&cursor=${second.next_cursor}`, { key: acct.key })).json();
    expect(last).toEqual({ data: [expect.objectContaining({ id: ids[4], status: 'inactive' })], next_cursor: null });

    const inactive = (await h.request('GET', `${BASE}/phone-numbers?status=inactive`, { key: acct.key })).json();
    expect(inactive.data.map((n: { id: string }) => n.id)).toEqual([ids[4]]);
    expect(expectProblem(await h.request('GET', `${BASE}/phone-numbers?status=deleted`, { key: acct.key }), 400, 'query.status').title).toBe('Invalid request');
    expectProblem(await h.request('GET', `${BASE}/phone-numbers?cursor=zzz`, { key: acct.key }), 400, 'cursor');
    expectProblem(await h.request('GET', `${BASE}/phone-numbers?limit=0`, { key: acct.key }), 400, 'query.limit');
  });
});

describe('GET and DELETE /topcalls/v1/phone-numbers/{id}', () => {
  test('unknown, malformed and other accounts\' ids', async () => {
    const a = await account();
    const b = await account();
    const id = (await h.request('POST', `${BASE}/phone-numbers`, { key: a.key, json: { number: '+14155550220' } })).json().id;
    expectProblem(await h.request('GET', `${BASE}/phone-numbers/${id}`, { key: b.key }), 404);
    expectProblem(await h.request('DELETE', `${BASE}/phone-numbers/${id}`, { key: b.key }), 404);
    expectProblem(await h.request('GET', `${BASE}/phone-numbers/01a20561-2957-70a9-bf5b-000000000000`, { key: a.key }), 404);
    expectProblem(await h.request('GET', `${BASE}/phone-numbers/+14155550220`, { key: a.key }), 400, 'params.id', /uuid/);
    expect((await h.request('GET', `${BASE}/phone-numbers/${id}`, { key: a.key })).status).toBe(200);
  });

  test('DELETE answers 200 with status deleted; afterwards 404 in every dialect, and the number can be added again', async () => {
    const acct = await account();
    const created = (await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550221', label: 'bye' } })).json();
    const deleted = await h.request('DELETE', `${BASE}/phone-numbers/${created.id}`, { key: acct.key });
    expect(deleted.status).toBe(200);
    expect(deleted.json()).toEqual({ ...created, status: 'deleted', updated_at: expect.stringMatching(ISO) });
    expect(Date.parse(deleted.json().updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
    expectProblem(await h.request('GET', `${BASE}/phone-numbers/${created.id}`, { key: acct.key }), 404);
    expectProblem(await h.request('DELETE', `${BASE}/phone-numbers/${created.id}`, { key: acct.key }), 404);
    expect((await h.request('GET', `/v1/phone-numbers/${created.id}`, { key: acct.key })).status).toBe(404);
    expect((await h.request('GET', `${BASE}/phone-numbers`, { key: acct.key })).json().data).toEqual([]);
    const again = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550221' } });
    expect(again.status).toBe(201);
    expect(again.json().id).not.toBe(created.id);
  });
});

describe('cross-dialect', () => {
  test('a TopCalls number is the native record: visible and editable through /v1, and back', async () => {
    const acct = await account();
    const carrier = (await addCarrier(acct.key)).json();
    const tc = (await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '+14155550230', voip_carrier_sid: carrier.id, label: 'TC' } })).json();
    const native = await h.request('GET', `/v1/phone-numbers/${tc.id}`, { key: acct.key });
    expect(native.json()).toMatchObject({ id: tc.id, workspace_id: acct.id, phone_number: '+14155550230', nickname: 'TC', carrier_id: carrier.id, source: 'custom' });
    await h.request('PATCH', `/v1/phone-numbers/${tc.id}`, { key: acct.key, json: { nickname: 'renamed natively', provider_sid: 'PN123', status: 'failed', error_message: 'carrier refused' } });
    expect((await h.request('GET', `${BASE}/phone-numbers/${tc.id}`, { key: acct.key })).json()).toMatchObject({
      label: 'renamed natively',
      phone_number_sid: 'PN123',
      status: 'failed',
      error_message: 'carrier refused',
    });
    const events = (await h.request('GET', `/v1/phone-numbers/${tc.id}/events`, { key: acct.key })).json().data;
    expect(events[0]).toMatchObject({ action: 'create', actor_key_id: acct.keyId });
  });

  test('a native number shows in TopCalls with its source mapped and its creator', async () => {
    const acct = await account();
    const otherKey = (await h.runtime.services.workspaces.createKey(acct.id, ['numbers:read', 'numbers:write'])).key;
    const otherKeyId = (await h.runtime.services.workspaces.authenticate(otherKey)).keyId;
    const sources: Array<[string, string]> = [
      ['twilio', 'twilio'],
      ['telnyx', 'import'],
      ['custom', 'byoc'],
      ['inventory', 'topcalls'],
      ['manual', 'manual'],
    ];
    for (const [i, [source]] of sources.entries()) {
      expect((await h.request('POST', '/v1/phone-numbers', { key: otherKey, json: { phone_number: `+1415555024${i}`, source } })).status).toBe(201);
    }
    const listed = (await h.request('GET', `${BASE}/phone-numbers`, { key: acct.key })).json().data;
    expect(listed.map((n: { source: string }) => n.source)).toEqual(sources.map(([, mapped]) => mapped));
    expect(listed.every((n: { created_by_user_id: string }) => n.created_by_user_id === otherKeyId)).toBe(true);
    // A number the operator imported from the CLI has no creating key.
    const cli = await h.runtime.services.phoneNumbers.importNumber(
      { workspaceId: acct.id, keyId: null, scopes: new Set(['numbers:write']) },
      { phone_number: '+14155550249' },
    );
    expect((await h.request('GET', `${BASE}/phone-numbers/${cli.id}`, { key: acct.key })).json().created_by_user_id).toBeNull();
  });

  test('carriers are shared: native carriers in the TopCalls list, TopCalls carriers at /v1/carriers', async () => {
    const acct = await account();
    const native = (
      await h.request('POST', '/v1/carriers', {
        key: acct.key,
        json: { name: 'Native', gateways: [{ address: '198.51.100.1', outbound: false }, { address: 'out.example.com', inbound: false }] },
      })
    ).json();
    const tc = (await addCarrier(acct.key, { carrier_name: 'From TopCalls' })).json();
    const list = (await h.request('GET', `${BASE}/phone-numbers/carriers`, { key: acct.key })).json();
    expect(list.next_cursor).toBeNull();
    expect(list.data.map((c: { carrier_name: string }) => c.carrier_name)).toEqual(['Native', 'From TopCalls']);
    expect(list.data[0]).toMatchObject({
      sip_gateway_sid: native.gateways[0].id,
      sip_gateway: { ipv4: '198.51.100.1', port: 5060, inbound: true, outbound: false, netmask: 32 },
      sip_gateways: [
        { sip_gateway_sid: native.gateways[0].id, ipv4: '198.51.100.1' },
        { sip_gateway_sid: native.gateways[1].id, ipv4: 'out.example.com', inbound: false },
      ],
    });
    expect((await h.request('GET', `/v1/carriers/${tc.id}`, { key: acct.key })).json()).toMatchObject({ name: 'From TopCalls', trunk_type: 'static_ip' });
  });
});

describe('carriers', () => {
  test('POST /phone-numbers/carriers: 201 with the TopCalls carrier and no password anywhere', async () => {
    const acct = await account();
    const res = await addCarrier(acct.key, {
      carrier_name: 'Reg Trunk',
      sip_gateway: { ipv4: 'sip.telco.example', port: 5080, inbound: false, outbound: true },
      trunk_type: 'reg',
      registration: { username: 'acct1', password: 'tc-secret-Pa55', realm: 'telco.example' },
    });
    expect(res.status).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(UUID),
      account_id: acct.id,
      voip_carrier_sid: body.id,
      sip_gateway_sid: expect.stringMatching(UUID),
      carrier_name: 'Reg Trunk',
      trunk_type: 'reg',
      sip_gateway: { ipv4: 'sip.telco.example', port: 5080, inbound: false, outbound: true, netmask: 32 },
      sip_gateways: [{ sip_gateway_sid: body.sip_gateway_sid, ipv4: 'sip.telco.example', port: 5080, inbound: false, outbound: true, netmask: 32 }],
      registration: { username: 'acct1', realm: 'telco.example', has_password: true },
      inbound_auth: null,
      created_at: expect.stringMatching(ISO),
      updated_at: body.created_at,
    });
    const list = await h.request('GET', `${BASE}/phone-numbers/carriers`, { key: acct.key });
    expect(list.json().data).toEqual([body]);
    for (const text of [res.body, list.body]) expect(text).not.toContain('tc-secret-Pa55');
  });

  test('rejections are named with TopCalls\' field names', async () => {
    const acct = await account();
    const cases: Array<[Record<string, unknown>, number, string, RegExp?]> = [
      [{ sip_gateway: { ipv4: 'sip.example.com', inbound: true } }, 400, 'sip_gateway.ipv4', /IPv4/],
      [{ sip_gateway: { ipv4: '203.0.113.1', port: 70000 } }, 400, 'sip_gateway.port'],
      [{ sip_gateway: { ipv4: '203.0.113.1', netmask: 40 } }, 400, 'sip_gateway.netmask'],
      [{ sip_gateway: { ipv4: '203.0.113.1', inbound: false, outbound: false } }, 400, 'sip_gateway', /inbound, outbound or both/],
      [{ carrier_name: '' }, 400, 'carrier_name'],
      [{ carrier_name: '  ' }, 400, 'carrier_name', /empty/],
      [{ trunk_type: 'reg' }, 400, 'registration', /required when trunk_type is reg/],
      [{ trunk_type: 'auth', inbound_auth: { username: 'u' } }, 400, 'inbound_auth.password', /required/],
      [{ trunk_type: 'nat' }, 400, 'trunk_type'],
      [{ sip_gateways: [] }, 400, 'sip_gateways', /not a known field/],
    ];
    for (const [json, status, path, message] of cases) expectProblem(await addCarrier(acct.key, json), status, path, message);
    expectProblem(await h.request('POST', `${BASE}/phone-numbers/carriers`, { key: acct.key, json: { carrier_name: 'x' } }), 400, 'sip_gateway', /required/);
    expect((await h.request('GET', `${BASE}/phone-numbers/carriers`, { key: acct.key })).json().data).toEqual([]);
  });

  test('the carrier list pages and is per account; carrier add is idempotent with a key', async () => {
    const acct = await account();
    const other = await account();
    await addCarrier(other.key);
    const headers = { 'idempotency-key': 'carrier-0001' };
    const json = { carrier_name: 'Once', sip_gateway: { ipv4: '203.0.113.50' } };
    const first = await h.request('POST', `${BASE}/phone-numbers/carriers`, { key: acct.key, json, headers });
    const second = await h.request('POST', `${BASE}/phone-numbers/carriers`, { key: acct.key, json, headers });
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    await addCarrier(acct.key, { carrier_name: 'Twice' });
    const page = (await h.request('GET', `${BASE}/phone-numbers/carriers?limit=1`, { key: acct.key })).json();
    expect(page.data.map((c: { carrier_name: string }) => c.carrier_name)).toEqual(['Once']);
    const next = (await h.request('GET', `${BASE}/phone-numbers/carriers?limit=1&cursor=${page.next_cursor}`, { key: acct.key })).json();
    expect(next).toEqual({ data: [expect.objectContaining({ carrier_name: 'Twice' })], next_cursor: null });
  });
});
