import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness, type TestWorkspace } from '../helpers/harness.ts';
import { freshNumber } from '../helpers/numbers.ts';

// Synthflow's phone-number reference (docs.synthflow.ai, API reference → Phone numbers and
// Agents), endpoint by endpoint: the documented request examples, and every documented response
// field with its type and value rules.
let h: Harness;
let ws: TestWorkspace;
let key: string;
beforeAll(async () => {
  h = await createHarness();
  ws = await h.workspace();
  key = await ws.key();
});
afterAll(async () => h.close());

const PROVIDERS = ['twilio', 'telnyx', 'vonage', 'ring_central', 'ringcx', 'custom', 'zoom', 'five9', '8x8'];

async function importNumber(json: Record<string, unknown> = {}) {
  const phone_number = freshNumber();
  const res = await h.request('POST', '/synthflow/v2/custom-numbers', {
    key,
    json: { workspace_id: ws.id, phone_number, friendly_name: 'Support line', provider_name: 'twilio', termination_uri: 'example.pstn.twilio.com', ...json },
  });
  expect(res.status, res.body).toBe(200);
  return { phone_number, slug: phone_number.slice(1), body: res.json() };
}

/** The GET object as the reference lists it: every field, its type. */
function expectNumberObject(body: Record<string, any>) {
  expect(Object.keys(body).sort()).toEqual(
    [
      'slug', 'address_requirement', 'phone_number', 'friendly_name', 'is_sms_capable', 'is_voice_capable', 'iso_country', 'locality',
      'sip_auth_username', 'sip_outbound_proxy', 'sip_term_uri', 'uac_enabled', 'uac_register_expires', 'sid', 'provider_name', 'region',
      'is_available', 'agency_workspace_id', 'workspace_id', 'created_at', 'updated_at', 'assistants',
    ].sort(),
  );
  for (const key of ['slug', 'address_requirement', 'phone_number', 'friendly_name', 'workspace_id', 'created_at']) expect(typeof body[key], key).toBe('string');
  for (const key of ['is_sms_capable', 'is_voice_capable', 'uac_enabled', 'is_available']) expect(typeof body[key], key).toBe('boolean');
  for (const key of ['sip_auth_username', 'sip_outbound_proxy', 'sid', 'agency_workspace_id', 'iso_country', 'locality', 'region', 'updated_at']) {
    if (body[key] !== null) expect(typeof body[key], key).toBe('string');
  }
  expect(Number.isInteger(body.uac_register_expires)).toBe(true);
  expect(PROVIDERS).toContain(body.provider_name);
  expect(Array.isArray(body.assistants)).toBe(true);
  expect(JSON.stringify(body)).not.toMatch(/pwd|password/i);
}

describe('POST /v2/custom-numbers: create a custom number', () => {
  test('the reference example answers 200 { status: "ok", response: { key, phone_number } }', async () => {
    const { phone_number, body } = await importNumber({ trunk_username: 'user', trunk_pwd: 'pass', uac_enabled: true, uac_register_expires: 300 });
    expect(body).toEqual({ status: 'ok', response: { key: expect.stringMatching(/^[0-9a-f-]{36}$/), phone_number } });
  });

  test('provider_name: every documented value is accepted and read back; termination_uri required unless Synthflow fills it', async () => {
    for (const provider of PROVIDERS) {
      const { slug } = await importNumber({ provider_name: provider });
      expect((await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).json().provider_name).toBe(provider);
    }
    const missing = await h.request('POST', '/synthflow/v2/custom-numbers', { key, json: { workspace_id: ws.id, phone_number: freshNumber(), provider_name: 'custom' } });
    expect(missing.status).toBe(400);
    expect(missing.json().detail.errors.map((e: { field: string }) => e.field)).toContain('termination_uri');
  });

  test('"your internal id or a random string" as phone_number: kept exactly, its own slug', async () => {
    const internal = `crm-${crypto.randomBytes(4).toString('hex')}`;
    const res = await h.request('POST', '/synthflow/v2/custom-numbers', { key, json: { workspace_id: ws.id, phone_number: internal, termination_uri: 'pbx.example.com' } });
    expect(res.status, res.body).toBe(200);
    expect(res.json().response.phone_number).toBe(internal);
    const got = (await h.request('GET', `/synthflow/v2/numbers/${internal}?workspace=${ws.id}`, { key })).json();
    expectNumberObject(got);
    expect(got).toMatchObject({ slug: internal, phone_number: internal, iso_country: null, provider_name: 'custom' });
  });
});

describe('GET /v2/numbers/{phone_number_slug}: get a phone number', () => {
  test('the bare object with every documented field', async () => {
    const { phone_number, slug } = await importNumber();
    const res = await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key });
    expect(res.status).toBe(200);
    const body = res.json();
    expectNumberObject(body);
    expect(body).toMatchObject({
      slug,
      address_requirement: 'none',
      phone_number,
      friendly_name: 'Support line',
      is_voice_capable: true,
      iso_country: 'US',
      sip_term_uri: 'example.pstn.twilio.com',
      provider_name: 'twilio',
      is_available: true,
      workspace_id: ws.id,
      assistants: [],
    });
  });
});

describe('GET /v2/numbers: list phone numbers', () => {
  test('{ status, response: { pagination: { total_records, limit, offset }, phone_numbers: [{ number, sid, is_available }] } }', async () => {
    const other = await h.workspace();
    const otherKey = await other.key();
    for (let i = 0; i < 3; i++) {
      await h.request('POST', '/synthflow/v2/custom-numbers', { key: otherKey, json: { workspace_id: other.id, phone_number: freshNumber(), termination_uri: 'x.example.com' } });
    }
    const res = await h.request('GET', `/synthflow/v2/numbers?workspace=${other.id}&limit=2&offset=0`, { key: otherKey });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ok');
    expect(body.response.pagination).toEqual({ total_records: 3, limit: 2, offset: 0 });
    for (const item of body.response.phone_numbers) {
      expect(Object.keys(item).sort()).toEqual(['is_available', 'number', 'sid']);
      expect(item.number).toMatch(/^\+\d+$/);
      expect(typeof item.is_available).toBe('boolean');
    }
  });
});

describe('PATCH /v2/numbers/{phone_number_slug}: update a phone number', () => {
  test('answers { status: "ok" } only; the change shows on GET', async () => {
    const { slug } = await importNumber();
    const res = await h.request('PATCH', `/synthflow/v2/numbers/${slug}`, { key, json: { friendly_name: 'Renamed', sip_term_uri: 'new.pstn.twilio.com', provider_name: 'telnyx' } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    expect((await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).json()).toMatchObject({
      friendly_name: 'Renamed',
      sip_term_uri: 'new.pstn.twilio.com',
      provider_name: 'telnyx',
    });
  });
});

describe('PUT /v2/assistants/{model_id}/phone_numbers: attach (outbound number pooling)', () => {
  test('builds the outbound pool only: "Does this apply to inbound agents? No."', async () => {
    const { phone_number, slug } = await importNumber();
    const res = await h.request('PUT', '/synthflow/v2/assistants/7e2b1c3a-0000-4000-8000-000000000001/phone_numbers', { key, json: { phone_numbers: [phone_number] } });
    expect(res.json()).toEqual({ status: 'ok' });
    const got = (await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).json();
    expect(got).toMatchObject({ is_available: true, assistants: ['7e2b1c3a-0000-4000-8000-000000000001'] });
    const available = (await h.request('GET', `/synthflow/v2/numbers?workspace=${ws.id}&is_available=true&limit=1000`, { key })).json();
    expect(available.response.phone_numbers.map((n: { number: string }) => n.number)).toContain(phone_number);
  });
});

describe('DELETE /v2/assistants/{model_id}/phone_numbers/{phone_number_slug}: detach', () => {
  test('leaves the pool; { status: "ok" }; not attached is 404', async () => {
    const { phone_number, slug } = await importNumber();
    await h.request('PUT', '/synthflow/v2/assistants/agent-pool/phone_numbers', { key, json: { phone_number_slugs: [slug] } });
    const res = await h.request('DELETE', `/synthflow/v2/assistants/agent-pool/phone_numbers/${slug}`, { key });
    expect(res.json()).toEqual({ status: 'ok' });
    expect((await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).json().assistants).toEqual([]);
    expect((await h.request('DELETE', `/synthflow/v2/assistants/agent-pool/phone_numbers/${phone_number.slice(1)}`, { key })).status).toBe(404);
  });
});

describe('DELETE /v2/numbers/{phone_number_slug}: delete a phone number', () => {
  test('{ status: "ok" }; the number is gone', async () => {
    const { slug } = await importNumber();
    const res = await h.request('DELETE', `/synthflow/v2/numbers/${slug}`, { key });
    expect(res.json()).toEqual({ status: 'ok' });
    expect((await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).status).toBe(404);
  });
});
