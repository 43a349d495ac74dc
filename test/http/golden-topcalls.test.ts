import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber } from '../helpers/numbers.ts';

// TopCalls' phone-number reference (docs.topcalls.ai, API reference → Phone numbers), endpoint by
// endpoint: the documented request examples and every documented response field.
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const BASE = '/topcalls/v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function account() {
  const ws = await h.workspace();
  return { id: ws.id, key: await ws.key() };
}

async function addCarrier(key: string) {
  const res = await h.request('POST', `${BASE}/phone-numbers/carriers`, {
    key,
    json: { carrier_name: 'My SIP Provider', sip_gateway: { ipv4: '203.0.113.10', port: 5060, inbound: true, outbound: true }, trunk_type: 'static_ip' },
  });
  expect(res.status, res.body).toBe(201);
  return res.json();
}

/** The phone-number object of "Get phone number details": every field, its type and values. */
function expectNumberObject(body: Record<string, any>) {
  expect(Object.keys(body).sort()).toEqual(
    ['id', 'account_id', 'number', 'source', 'status', 'phone_number_sid', 'voip_carrier_sid', 'carrier_name', 'label', 'error_message', 'created_by_user_id', 'created_at', 'updated_at'].sort(),
  );
  expect(body.id).toMatch(UUID);
  expect(body.account_id).toMatch(UUID);
  expect(body.number).toMatch(/^\+[1-9]\d{1,14}$/);
  expect(['topcalls', 'byoc', 'manual', 'import', 'twilio']).toContain(body.source);
  expect(['active', 'inactive', 'pending', 'failed', 'deleted']).toContain(body.status);
  for (const key of ['phone_number_sid', 'voip_carrier_sid', 'created_by_user_id']) if (body[key] !== null) expect(typeof body[key], key).toBe('string');
  for (const key of ['carrier_name', 'label', 'error_message']) if (body[key] !== null) expect(typeof body[key], key).toBe('string');
  expect(body.created_at).toMatch(ISO);
  expect(body.updated_at).toMatch(ISO);
}

describe('POST /v1/phone-numbers: add a phone number', () => {
  test('the reference example (number, voip_carrier_sid, label): 201 and the object, source byoc', async () => {
    const acct = await account();
    const carrier = await addCarrier(acct.key);
    const number = freshNumber();
    const res = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number, voip_carrier_sid: carrier.voip_carrier_sid, label: 'Main line' } });
    expect(res.status).toBe(201);
    expectNumberObject(res.json());
    expect(res.json()).toMatchObject({ number, source: 'byoc', status: 'active', voip_carrier_sid: carrier.voip_carrier_sid, carrier_name: 'My SIP Provider', label: 'Main line', account_id: acct.id });
  });

  test('without voip_carrier_sid: the account\'s default carrier, source topcalls', async () => {
    const acct = await account();
    const carrier = await addCarrier(acct.key);
    await h.request('PATCH', '/v1/workspace', { key: acct.key, json: { default_carrier_id: carrier.voip_carrier_sid } });
    const res = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: freshNumber() } });
    expectNumberObject(res.json());
    expect(res.json()).toMatchObject({ source: 'topcalls', voip_carrier_sid: carrier.voip_carrier_sid });
  });

  test('a number that is not E.164 is an RFC 7807 problem naming "number"', async () => {
    const acct = await account();
    const res = await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: '5551234' } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, title: expect.any(String), detail: expect.any(String) });
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain('number');
  });
});

describe('GET /v1/phone-numbers/{phone_number_id}: get phone number details', () => {
  test('the documented object; another account\'s id is 404', async () => {
    const acct = await account();
    const added = (await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: freshNumber(), label: 'Sales' } })).json();
    const res = await h.request('GET', `${BASE}/phone-numbers/${added.id}`, { key: acct.key });
    expect(res.status).toBe(200);
    expectNumberObject(res.json());
    expect(res.json()).toEqual(added);
    const stranger = await account();
    expect((await h.request('GET', `${BASE}/phone-numbers/${added.id}`, { key: stranger.key })).status).toBe(404);
  });
});

describe('GET /v1/phone-numbers: list phone numbers', () => {
  test('{ data, next_cursor } of number objects', async () => {
    const acct = await account();
    for (let i = 0; i < 2; i++) await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: freshNumber() } });
    const body = (await h.request('GET', `${BASE}/phone-numbers`, { key: acct.key })).json();
    expect(body.data).toHaveLength(2);
    body.data.forEach(expectNumberObject);
    expect(body.next_cursor).toBeNull();
  });
});

describe('POST /v1/phone-numbers/carriers: add a custom carrier', () => {
  test('the documented response fields', async () => {
    const acct = await account();
    const carrier = await addCarrier(acct.key);
    expect(carrier).toMatchObject({ id: expect.stringMatching(UUID), account_id: acct.id, voip_carrier_sid: expect.stringMatching(UUID), carrier_name: 'My SIP Provider', trunk_type: 'static_ip' });
    expect(carrier.created_at).toMatch(ISO);
  });
});

describe('DELETE /v1/phone-numbers/{phone_number_id}', () => {
  test('soft delete: the object with status deleted, then 404', async () => {
    const acct = await account();
    const added = (await h.request('POST', `${BASE}/phone-numbers`, { key: acct.key, json: { number: freshNumber() } })).json();
    const res = await h.request('DELETE', `${BASE}/phone-numbers/${added.id}`, { key: acct.key });
    expect(res.status).toBe(200);
    expectNumberObject(res.json());
    expect(res.json().status).toBe('deleted');
    expect((await h.request('GET', `${BASE}/phone-numbers/${added.id}`, { key: acct.key })).status).toBe(404);
  });
});
