import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness, type TestWorkspace } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

let sequence = 0;
/** A distinct valid US number per call, so tests never collide on the installation-wide uniqueness rule. */
function nextNumber(): string {
  sequence += 1;
  return `+1415555${String(1000 + sequence).padStart(4, '0')}`;
}

async function setup(): Promise<{ ws: TestWorkspace; key: string }> {
  const ws = await h.workspace();
  return { ws, key: await ws.key() };
}

async function importNumber(ws: TestWorkspace, key: string, extra: Record<string, unknown> = {}) {
  const phone = nextNumber();
  const res = await h.request('POST', '/synthflow/v2/custom-numbers', {
    key,
    json: { workspace_id: ws.id, phone_number: phone, termination_uri: 'acme.pstn.twilio.com', ...extra },
  });
  expect(res.status, res.body).toBe(200);
  return { phone, slug: phone.slice(1), key: res.json().response.key as string };
}

function expectDetail(res: { status: number; json(): any }, status: number, category: string, field?: string) {
  expect(res.status).toBe(status);
  const body = res.json();
  expect(Object.keys(body)).toEqual(['detail']);
  expect(body.detail).toMatchObject({ status, category });
  expect(typeof body.detail.description).toBe('string');
  expect(body.detail.request_id).toMatch(/\S/);
  if (field) expect(body.detail.errors.map((e: { field: string }) => e.field)).toContain(field);
  return body.detail as { description: string; errors: Array<{ field: string; message: string }> };
}

describe('POST /synthflow/v2/custom-numbers', () => {
  test('imports a custom number and GET returns every field of the Synthflow object', async () => {
    const { ws, key } = await setup();
    const res = await h.request('POST', '/synthflow/v2/custom-numbers', {
      key,
      json: {
        workspace_id: ws.id,
        phone_number: '14155550100',
        friendly_name: 'Front desk',
        provider_name: 'twilio',
        termination_uri: 'acme.pstn.twilio.com',
        trunk_username: 'acme',
        trunk_pwd: 'hunter2-secret',
        sip_outbound_proxy: 'sip:proxy.example.com:5061',
        uac_enabled: true,
        uac_register_expires: 600,
      },
    });
    expect(res.status).toBe(200);
    const created = res.json();
    expect(created).toEqual({ status: 'ok', response: { key: expect.any(String), phone_number: '+14155550100' } });

    const got = await h.request('GET', `/synthflow/v2/numbers/14155550100?workspace=${ws.id}`, { key });
    expect(got.status).toBe(200);
    expect(got.json()).toEqual({
      slug: '14155550100',
      address_requirement: 'none',
      phone_number: '+14155550100',
      friendly_name: 'Front desk',
      is_sms_capable: false,
      is_voice_capable: true,
      iso_country: 'US',
      locality: 'San Francisco, CA',
      sip_auth_username: 'acme',
      sip_outbound_proxy: 'sip:proxy.example.com:5061',
      sip_term_uri: 'acme.pstn.twilio.com',
      uac_enabled: true,
      uac_register_expires: 600,
      sid: null,
      provider_name: 'twilio',
      region: 'California',
      is_available: true,
      agency_workspace_id: null,
      workspace_id: ws.id,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      assistants: [],
    });
    expect(got.body).not.toContain('hunter2-secret');

    // The same record through the native API, by the key Synthflow returned.
    const native = await h.request('GET', `/v1/phone-numbers/${created.response.key}`, { key });
    expect(native.status).toBe(200);
    expect(native.json()).toMatchObject({
      phone_number: '+14155550100',
      source: 'twilio',
      nickname: 'Front desk',
      sip: { termination_uri: 'acme.pstn.twilio.com', auth_username: 'acme', outbound_proxy: 'sip:proxy.example.com:5061', uac_enabled: true, uac_register_expires: 600, has_password: true },
    });
    expect(native.body).not.toContain('hunter2-secret');
  });

  test('defaults: provider custom, friendly_name falls back to the display form, uac off with 300 s', async () => {
    const { ws, key } = await setup();
    const { slug } = await importNumber(ws, key);
    const got = (await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).json();
    expect(got).toMatchObject({ provider_name: 'custom', uac_enabled: false, uac_register_expires: 300, sip_auth_username: null, sip_outbound_proxy: null });
    expect(got.friendly_name).toMatch(/^\+1 \(415\) 555-\d{4}$/);
  });

  // Issue 12, item 8: every documented provider_name is accepted and read back as sent (`sip`, an
  // old alias, reads `custom`); the SIP domain is required unless Switchboard fills it (zoom).
  test('accepts every provider Synthflow documents; termination_uri is required unless its domain is filled (zoom), never 403', async () => {
    const { ws, key } = await setup();
    const sip = await importNumber(ws, key, { provider_name: 'sip' });
    expect((await h.request('GET', `/synthflow/v2/numbers/${sip.slug}?workspace=${ws.id}`, { key })).json().provider_name).toBe('custom');
    for (const provider of ['twilio', 'telnyx', 'vonage', 'ring_central', 'ringcx', 'custom', 'zoom', 'five9', '8x8']) {
      const { slug } = await importNumber(ws, key, { provider_name: provider });
      expect((await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).json().provider_name, provider).toBe(provider);
    }
    const phone = nextNumber();
    const five9 = await h.request('POST', '/synthflow/v2/custom-numbers', { key, json: { workspace_id: ws.id, phone_number: phone, provider_name: 'five9' } });
    expect(expectDetail(five9, 400, 'validation_error', 'termination_uri').description).toContain('five9');
    const unknown = await h.request('POST', '/synthflow/v2/custom-numbers', {
      key,
      json: { workspace_id: ws.id, phone_number: phone, provider_name: 'acme', termination_uri: 'x.example.com' },
    });
    expectDetail(unknown, 400, 'validation_error', 'provider_name');
    expect((await h.request('GET', `/synthflow/v2/numbers/${phone.slice(1)}?workspace=${ws.id}`, { key })).status).toBe(404);
    const zoom = await h.request('POST', '/synthflow/v2/custom-numbers', { key, json: { workspace_id: ws.id, phone_number: phone, provider_name: 'zoom' } });
    expect(zoom.status, zoom.body).toBe(200);
    expect((await h.request('GET', `/synthflow/v2/numbers/${phone.slice(1)}?workspace=${ws.id}`, { key })).json()).toMatchObject({
      provider_name: 'zoom',
      sip_term_uri: '156.45.35.193',
      sip_outbound_proxy: '156.45.35.193:5061;transport=tls',
    });
  });

  test.each([
    ['missing workspace_id', {}, 'workspace_id', { workspace_id: undefined }],
    ['missing termination_uri', {}, 'termination_uri', { termination_uri: undefined }],
    ['an unknown field', { colour: 'red' }, 'colour', {}],
    ['uac_register_expires below 60', { uac_register_expires: 59 }, 'uac_register_expires', {}],
    ['uac_register_expires above 3600', { uac_register_expires: 3601 }, 'uac_register_expires', {}],
    ['a termination uri that is not a SIP target', { termination_uri: 'http://trunk.example.com/x' }, 'termination_uri', {}],
    ['an outbound proxy with a space', { sip_outbound_proxy: 'proxy example.com' }, 'sip_outbound_proxy', {}],
    ['trunk_username and sip_auth_username that differ', { trunk_username: 'a', sip_auth_username: 'b' }, 'sip_auth_username', {}],
    ['uac_enabled without trunk credentials', { uac_enabled: true }, 'trunk_username', {}],
    ['uac_enabled without a password', { uac_enabled: true, trunk_username: 'acme' }, 'trunk_pwd', {}],
    ['a boolean sent as a string', { uac_enabled: 'true' }, 'uac_enabled', {}],
    // `call-me` is an internal id now (issue 12, item 7); what is neither that nor E.164 is still refused.
    ['a number that is neither E.164 nor an internal id', { phone_number: 'call me' }, 'phone_number', {}],
    ['a friendly_name with control characters', { friendly_name: 'a\u0007b' }, 'friendly_name', {}],
  ])('rejects %s with 400 naming the field, storing nothing', async (_name, extra, field, removed) => {
    const { ws, key } = await setup();
    const phone = nextNumber();
    const json: Record<string, unknown> = { workspace_id: ws.id, phone_number: phone, termination_uri: 'trunk.example.com', ...extra };
    for (const name of Object.keys(removed)) delete json[name];
    const res = await h.request('POST', '/synthflow/v2/custom-numbers', { key, json });
    const detail = expectDetail(res, 400, 'validation_error', field);
    expect(detail.description).toContain(field);
    const list = (await h.request('GET', `/synthflow/v2/numbers?workspace=${ws.id}`, { key })).json();
    expect(list.response.pagination.total_records).toBe(0);
  });

  test('accepts trunk_username and sip_auth_username when they agree', async () => {
    const { ws, key } = await setup();
    const { slug } = await importNumber(ws, key, { trunk_username: 'same', sip_auth_username: 'same' });
    expect((await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).json().sip_auth_username).toBe('same');
  });

  test('a workspace_id that is not the key\'s workspace is 404 and nothing is stored anywhere', async () => {
    const { key } = await setup();
    const other = await h.workspace();
    const phone = nextNumber();
    for (const workspaceId of [other.id, other.name, 'no-such-workspace', '019a8f3e-7c1d-7b2a-9f00-5d3c2b1a0e9f']) {
      const res = await h.request('POST', '/synthflow/v2/custom-numbers', {
        key,
        json: { workspace_id: workspaceId, phone_number: phone, termination_uri: 'trunk.example.com' },
      });
      expect(expectDetail(res, 404, 'not_found').description).toContain('workspace');
    }
    const otherKey = await other.key();
    expect((await h.request('GET', `/v1/phone-numbers/${phone}`, { key: otherKey })).status).toBe(404);
  });

  test('a number registered anywhere in the installation is 409 conflict', async () => {
    const { ws, key } = await setup();
    const { phone } = await importNumber(ws, key);
    const other = await setup();
    const res = await h.request('POST', '/synthflow/v2/custom-numbers', {
      key: other.key,
      json: { workspace_id: other.ws.id, phone_number: phone, termination_uri: 'trunk.example.com' },
    });
    expectDetail(res, 409, 'conflict', 'phone_number');
  });

  test('a read-only key is 403 permission_denied; no key is 401 authentication_error', async () => {
    const ws = await h.workspace();
    const readOnly = await ws.key(['numbers:read']);
    const json = { workspace_id: ws.id, phone_number: nextNumber(), termination_uri: 'trunk.example.com' };
    expectDetail(await h.request('POST', '/synthflow/v2/custom-numbers', { key: readOnly, json }), 403, 'permission_denied');
    expectDetail(await h.request('POST', '/synthflow/v2/custom-numbers', { json }), 401, 'authentication_error');
    expectDetail(await h.request('GET', `/synthflow/v2/numbers?workspace=${ws.id}`, { key: 'sk_wrong' }), 401, 'authentication_error');
  });

  test('an unknown route under /synthflow answers in Synthflow\'s shape', async () => {
    const { key } = await setup();
    expectDetail(await h.request('GET', '/synthflow/v2/no-such-thing', { key }), 404, 'not_found');
  });
});

describe('GET /synthflow/v2/numbers', () => {
  test('pages with limit/offset (defaults 20/0), counts total_records and filters on is_available', async () => {
    const { ws, key } = await setup();
    const imported = [];
    for (let i = 0; i < 23; i++) imported.push(await importNumber(ws, key));
    const first = await h.request('GET', `/synthflow/v2/numbers?workspace=${ws.id}`, { key });
    expect(first.status).toBe(200);
    const body = first.json();
    expect(body.status).toBe('ok');
    expect(body.response.pagination).toEqual({ total_records: 23, limit: 20, offset: 0 });
    expect(body.response.phone_numbers).toHaveLength(20);
    expect(body.response.phone_numbers[0]).toEqual({ number: imported[0]!.phone, sid: null, is_available: true });

    const second = (await h.request('GET', `/synthflow/v2/numbers?workspace=${ws.id}&limit=20&offset=20`, { key })).json();
    expect(second.response.pagination).toEqual({ total_records: 23, limit: 20, offset: 20 });
    expect(second.response.phone_numbers.map((n: { number: string }) => n.number)).toEqual(imported.slice(20).map((n) => n.phone));

    // An inbound agent makes a number unavailable (attach builds outbound pools only: issue 12).
    for (const number of imported.slice(0, 2)) {
      const bound = await h.request('PATCH', `/v1/phone-numbers/${number.key}`, { key, json: { inbound_agents: [{ agent_id: 'agent-1', weight: 1 }] } });
      expect(bound.status).toBe(200);
    }
    const taken = (await h.request('GET', `/synthflow/v2/numbers?workspace=${ws.id}&is_available=false`, { key })).json();
    expect(taken.response.pagination.total_records).toBe(2);
    expect(taken.response.phone_numbers).toEqual([
      { number: imported[0]!.phone, sid: null, is_available: false },
      { number: imported[1]!.phone, sid: null, is_available: false },
    ]);
    const free = (await h.request('GET', `/synthflow/v2/numbers?workspace=${ws.id}&is_available=true&limit=5`, { key })).json();
    expect(free.response.pagination).toEqual({ total_records: 21, limit: 5, offset: 0 });
    expect(free.response.phone_numbers.every((n: { is_available: boolean }) => n.is_available)).toBe(true);
  });

  test('sid is the provider sid set through the native API', async () => {
    const { ws, key } = await setup();
    const { key: id } = await importNumber(ws, key);
    expect((await h.request('PATCH', `/v1/phone-numbers/${id}`, { key, json: { provider_sid: 'PN123' } })).status).toBe(200);
    const list = (await h.request('GET', `/synthflow/v2/numbers?workspace=${ws.id}`, { key })).json();
    expect(list.response.phone_numbers[0].sid).toBe('PN123');
  });

  test('workspace is required; another workspace is 404; bad paging values are 400', async () => {
    const { ws, key } = await setup();
    expectDetail(await h.request('GET', '/synthflow/v2/numbers', { key }), 400, 'validation_error', 'query.workspace');
    const other = await h.workspace();
    expectDetail(await h.request('GET', `/synthflow/v2/numbers?workspace=${other.id}`, { key }), 404, 'not_found');
    expectDetail(await h.request('GET', `/synthflow/v2/numbers?workspace=${ws.id}&limit=0`, { key }), 400, 'validation_error', 'query.limit');
    expectDetail(await h.request('GET', `/synthflow/v2/numbers?workspace=${ws.id}&offset=-1`, { key }), 400, 'validation_error', 'query.offset');
    expectDetail(await h.request('GET', `/synthflow/v2/numbers?workspace=${ws.id}&is_available=maybe`, { key }), 400, 'validation_error', 'query.is_available');
  });
});

describe('GET /synthflow/v2/numbers/{slug}', () => {
  test('accepts the slug, +E.164 and %2B; requires workspace; other workspaces and unknown numbers are 404', async () => {
    const { ws, key } = await setup();
    const { phone, slug } = await importNumber(ws, key);
    for (const form of [slug, phone, `%2B${slug}`]) {
      const res = await h.request('GET', `/synthflow/v2/numbers/${form}?workspace=${ws.id}`, { key });
      expect(res.status).toBe(200);
      expect(res.json().slug).toBe(slug);
    }
    expectDetail(await h.request('GET', `/synthflow/v2/numbers/${slug}`, { key }), 400, 'validation_error', 'query.workspace');
    expectDetail(await h.request('GET', `/synthflow/v2/numbers/14155559999?workspace=${ws.id}`, { key }), 404, 'not_found');

    const other = await setup();
    // The other workspace's key, naming its own workspace, cannot see this number…
    expectDetail(await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${other.ws.id}`, { key: other.key }), 404, 'not_found');
    // …nor by naming this workspace.
    expectDetail(await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key: other.key }), 404, 'not_found');
  });

  test('a number imported through the native API reads back in the Synthflow shape, and native edits show', async () => {
    const { ws, key } = await setup();
    const phone = nextNumber();
    const created = await h.request('POST', '/v1/phone-numbers', {
      key,
      json: { phone_number: phone, capabilities: { sms: true }, inbound_agents: [{ agent_id: 'native-agent', weight: 1 }] },
    });
    expect(created.status).toBe(201);
    const got = (await h.request('GET', `/synthflow/v2/numbers/${phone.slice(1)}?workspace=${ws.id}`, { key })).json();
    expect(got).toMatchObject({ provider_name: 'custom', is_sms_capable: true, is_available: false, assistants: ['native-agent'], sip_term_uri: null });
    await h.request('PATCH', `/v1/phone-numbers/${created.json().id}`, { key, json: { nickname: 'Renamed natively' } });
    expect((await h.request('GET', `/synthflow/v2/numbers/${phone.slice(1)}?workspace=${ws.id}`, { key })).json().friendly_name).toBe('Renamed natively');
  });
});

describe('PATCH /synthflow/v2/numbers/{slug}', () => {
  test('updates only the sent fields; termination_uri is an alias of sip_term_uri; the password stays write-only', async () => {
    const { ws, key } = await setup();
    const { slug, key: id } = await importNumber(ws, key, { friendly_name: 'Old', sip_outbound_proxy: 'proxy.example.com' });
    const res = await h.request('PATCH', `/synthflow/v2/numbers/${slug}`, {
      key,
      json: { friendly_name: 'New', termination_uri: 'new.example.com', trunk_username: 'u1', trunk_pwd: 'p4ssw0rd-secret', uac_enabled: true, uac_register_expires: 120 },
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    const got = (await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).json();
    expect(got).toMatchObject({
      friendly_name: 'New',
      sip_term_uri: 'new.example.com',
      sip_outbound_proxy: 'proxy.example.com',
      sip_auth_username: 'u1',
      uac_enabled: true,
      uac_register_expires: 120,
    });
    const native = await h.request('GET', `/v1/phone-numbers/${id}`, { key });
    expect(native.json().sip.has_password).toBe(true);
    expect(native.body).not.toContain('p4ssw0rd-secret');

    await h.request('PATCH', `/synthflow/v2/numbers/${slug}`, { key, json: { sip_term_uri: 'third.example.com', provider_name: 'telnyx' } });
    expect((await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).json()).toMatchObject({
      sip_term_uri: 'third.example.com',
      provider_name: 'telnyx',
      friendly_name: 'New',
    });
    const events = (await h.request('GET', `/v1/phone-numbers/${id}/events`, { key })).json().data;
    expect(events).toHaveLength(3);
    expect(JSON.stringify(events)).not.toContain('p4ssw0rd-secret');
  });

  test.each([
    ['sip_term_uri and termination_uri that differ', { sip_term_uri: 'a.example.com', termination_uri: 'b.example.com' }, 'termination_uri'],
    ['trunk_username and sip_auth_username that differ', { trunk_username: 'a', sip_auth_username: 'b' }, 'sip_auth_username'],
    ['clearing the termination uri', { sip_term_uri: null }, 'sip_term_uri'],
    ['a bad termination uri', { termination_uri: 'not a host' }, 'termination_uri'],
    ['uac_register_expires out of range', { uac_register_expires: 10 }, 'uac_register_expires'],
    ['turning uac on without credentials', { uac_enabled: true }, 'trunk_username'],
    ['an unknown field', { workspace_id: 'x' }, 'workspace_id'],
  ])('rejects %s with 400 and changes nothing', async (_name, json, field) => {
    const { ws, key } = await setup();
    const { slug, key: id } = await importNumber(ws, key);
    const before = (await h.request('GET', `/v1/phone-numbers/${id}`, { key })).json();
    expectDetail(await h.request('PATCH', `/synthflow/v2/numbers/${slug}`, { key, json }), 400, 'validation_error', field);
    expect((await h.request('GET', `/v1/phone-numbers/${id}`, { key })).json()).toEqual(before);
  });

  test('credentials cannot be cleared while SIP REGISTER stays on; turning it off and clearing them together works', async () => {
    const { ws, key } = await setup();
    const { slug, key: id } = await importNumber(ws, key, { uac_enabled: true, trunk_username: 'u', trunk_pwd: 'secret-pw' });
    expectDetail(await h.request('PATCH', `/synthflow/v2/numbers/${slug}`, { key, json: { trunk_pwd: null } }), 400, 'validation_error', 'trunk_pwd');
    expectDetail(await h.request('PATCH', `/synthflow/v2/numbers/${slug}`, { key, json: { sip_auth_username: null } }), 400, 'validation_error', 'trunk_username');
    const off = await h.request('PATCH', `/synthflow/v2/numbers/${slug}`, { key, json: { uac_enabled: false, trunk_username: null, trunk_pwd: null } });
    expect(off.status).toBe(200);
    expect((await h.request('GET', `/v1/phone-numbers/${id}`, { key })).json().sip).toMatchObject({ uac_enabled: false, auth_username: null, has_password: false });
  });

  test('setting a provider on a number without a SIP termination URI is 400', async () => {
    const { ws, key } = await setup();
    const phone = nextNumber();
    await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: phone } });
    expectDetail(await h.request('PATCH', `/synthflow/v2/numbers/${phone.slice(1)}`, { key, json: { provider_name: 'twilio' } }), 400, 'validation_error', 'sip_term_uri');
    const ok = await h.request('PATCH', `/synthflow/v2/numbers/${phone.slice(1)}`, { key, json: { provider_name: 'twilio', sip_term_uri: 'x.example.com' } });
    expect(ok.status).toBe(200);
    expect((await h.request('GET', `/synthflow/v2/numbers/${phone.slice(1)}?workspace=${ws.id}`, { key })).json().provider_name).toBe('twilio');
  });

  test('another workspace\'s number is 404, with or without naming a workspace', async () => {
    const { ws, key } = await setup();
    const { slug } = await importNumber(ws, key);
    const other = await setup();
    expectDetail(await h.request('PATCH', `/synthflow/v2/numbers/${slug}`, { key: other.key, json: { friendly_name: 'x' } }), 404, 'not_found');
    expectDetail(await h.request('PATCH', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key: other.key, json: { friendly_name: 'x' } }), 404, 'not_found');
    expect((await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).json().friendly_name).not.toBe('x');
  });
});

describe('DELETE /synthflow/v2/numbers/{slug}', () => {
  test('removes the number and its agent bindings; a second delete is 404; the number can be imported again', async () => {
    const { ws, key } = await setup();
    const { phone, slug } = await importNumber(ws, key);
    await h.request('PUT', '/synthflow/v2/assistants/agent-del/phone_numbers', { key, json: { phone_number_slugs: [slug] } });
    const other = await setup();
    expectDetail(await h.request('DELETE', `/synthflow/v2/numbers/${slug}`, { key: other.key }), 404, 'not_found');

    const res = await h.request('DELETE', `/synthflow/v2/numbers/${slug}`, { key });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    expectDetail(await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key }), 404, 'not_found');
    expectDetail(await h.request('DELETE', `/synthflow/v2/numbers/${slug}`, { key }), 404, 'not_found');
    expect((await h.request('GET', '/v1/phone-numbers?agent_id=agent-del', { key })).json().data).toEqual([]);
    const again = await h.request('POST', '/synthflow/v2/custom-numbers', { key, json: { workspace_id: ws.id, phone_number: phone, termination_uri: 'x.example.com' } });
    expect(again.status).toBe(200);
    expect((await h.request('GET', `/synthflow/v2/numbers/${slug}?workspace=${ws.id}`, { key })).json().assistants).toEqual([]);
  });
});

describe('agent attachment', () => {
  // Issue 12, item 6: attach builds the agent's outbound caller-ID pool only; the number stays available for inbound.
  test('attached agents share the outbound calls equally; the inbound agent and is_available are untouched', async () => {
    const { ws, key } = await setup();
    const a = await importNumber(ws, key);
    const b = await importNumber(ws, key);

    const first = await h.request('PUT', '/synthflow/v2/assistants/agent-a/phone_numbers', { key, json: { phone_numbers: [a.phone, b.phone] } });
    expect(first.status).toBe(200);
    expect(first.json()).toEqual({ status: 'ok' });
    const second = await h.request('PUT', '/synthflow/v2/assistants/agent-b/phone_numbers', { key, json: { phone_number_slugs: [a.slug] } });
    expect(second.status).toBe(200);

    const got = (await h.request('GET', `/synthflow/v2/numbers/${a.slug}?workspace=${ws.id}`, { key })).json();
    expect(got).toMatchObject({ assistants: ['agent-a', 'agent-b'], is_available: true });
    const native = (await h.request('GET', `/v1/phone-numbers/${a.key}`, { key })).json();
    expect(native.inbound_agents).toEqual([]);
    expect(native.outbound_agents).toEqual([
      { agent_id: 'agent-a', weight: 0.5 },
      { agent_id: 'agent-b', weight: 0.5 },
    ]);
    const byAgent = (await h.request('GET', '/v1/phone-numbers?agent_id=agent-a', { key })).json().data.map((n: { id: string }) => n.id);
    expect(byAgent).toEqual([a.key, b.key]);
  });

  test('attaching again is a no-op (no new version, no audit event)', async () => {
    const { ws, key } = await setup();
    const a = await importNumber(ws, key);
    await h.request('PUT', '/synthflow/v2/assistants/agent-a/phone_numbers', { key, json: { phone_numbers: [a.phone] } });
    const before = await h.request('GET', `/v1/phone-numbers/${a.key}/events`, { key });
    const again = await h.request('PUT', '/synthflow/v2/assistants/agent-a/phone_numbers', { key, json: { phone_numbers: [a.phone, a.slug] } });
    expect(again.status).toBe(200);
    const after = await h.request('GET', `/v1/phone-numbers/${a.key}/events`, { key });
    expect(after.json().data).toHaveLength(before.json().data.length);
    expect((await h.request('GET', `/synthflow/v2/numbers/${a.slug}?workspace=${ws.id}`, { key })).json().assistants).toEqual(['agent-a']);
  });

  test('a custom outbound split set natively is replaced by an equal split when an agent is attached', async () => {
    const { key } = await setup();
    const phone = nextNumber();
    const created = await h.request('POST', '/v1/phone-numbers', {
      key,
      json: { phone_number: phone, outbound_agents: [{ agent_id: 'x', weight: 0.9, agent_version: 2 }, { agent_id: 'y', weight: 0.1 }] },
    });
    await h.request('PUT', '/synthflow/v2/assistants/z/phone_numbers', { key, json: { phone_numbers: [phone] } });
    const native = (await h.request('GET', `/v1/phone-numbers/${created.json().id}`, { key })).json();
    expect(native.inbound_agents).toEqual([]);
    expect(native.outbound_agents.map((e: { agent_id: string }) => e.agent_id)).toEqual(['x', 'y', 'z']);
    expect(native.outbound_agents[0].agent_version).toBe(2);
    for (const entry of native.outbound_agents) expect(entry.weight).toBeCloseTo(1 / 3, 9);
  });

  test('an unknown number (or another workspace\'s) is 404 and no number in the request changes', async () => {
    const { ws, key } = await setup();
    const a = await importNumber(ws, key);
    const other = await setup();
    const foreign = await importNumber(other.ws, other.key);
    for (const missing of ['+14155559998', foreign.phone]) {
      const res = await h.request('PUT', '/synthflow/v2/assistants/agent-a/phone_numbers', { key, json: { phone_numbers: [a.phone, missing] } });
      expect(expectDetail(res, 404, 'not_found').description).toContain('phone_numbers[1]');
    }
    expect((await h.request('GET', `/synthflow/v2/numbers/${a.slug}?workspace=${ws.id}`, { key })).json().assistants).toEqual([]);
    expect((await h.request('GET', `/synthflow/v2/numbers/${foreign.slug}?workspace=${other.ws.id}`, { key: other.key })).json().assistants).toEqual([]);
  });

  test.each([
    ['both phone_numbers and phone_number_slugs', { phone_numbers: ['+14155550100'], phone_number_slugs: ['14155550100'] }, 'phone_number_slugs'],
    ['neither list', {}, 'phone_numbers'],
    ['an empty list', { phone_numbers: [] }, 'phone_numbers'],
    ['an unknown field', { phone_numbers: ['+14155550100'], replace: true }, 'replace'],
  ])('rejects %s with 400', async (_name, json, field) => {
    const { key } = await setup();
    expectDetail(await h.request('PUT', '/synthflow/v2/assistants/agent-a/phone_numbers', { key, json }), 400, 'validation_error', field);
  });

  test('detach removes the agent from the outbound pool and re-spreads the rest; the inbound agent stays', async () => {
    const inbound = [{ agent_id: 'agent-a', weight: 1 }];
    const { ws, key } = await setup();
    const a = await importNumber(ws, key);
    await h.request('PATCH', `/v1/phone-numbers/${a.key}`, { key, json: { inbound_agents: inbound } });
    for (const agent of ['agent-a', 'agent-b', 'agent-c']) {
      await h.request('PUT', `/synthflow/v2/assistants/${agent}/phone_numbers`, { key, json: { phone_numbers: [a.phone] } });
    }
    const res = await h.request('DELETE', `/synthflow/v2/assistants/agent-a/phone_numbers/${a.slug}`, { key });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    const native = (await h.request('GET', `/v1/phone-numbers/${a.key}`, { key })).json();
    expect(native.inbound_agents).toEqual(inbound);
    expect(native.outbound_agents).toEqual([
      { agent_id: 'agent-b', weight: 0.5 },
      { agent_id: 'agent-c', weight: 0.5 },
    ]);
    const got = (await h.request('GET', `/synthflow/v2/numbers/${a.slug}?workspace=${ws.id}`, { key })).json();
    expect(got).toMatchObject({ assistants: ['agent-a', 'agent-b', 'agent-c'], is_available: false });

    expectDetail(await h.request('DELETE', `/synthflow/v2/assistants/agent-a/phone_numbers/${a.slug}`, { key }), 404, 'not_found');
    expectDetail(await h.request('DELETE', '/synthflow/v2/assistants/agent-b/phone_numbers/14155559997', { key }), 404, 'not_found');
    const other = await setup();
    expectDetail(await h.request('DELETE', `/synthflow/v2/assistants/agent-b/phone_numbers/${a.slug}`, { key: other.key }), 404, 'not_found');
    expect((await h.request('GET', `/v1/phone-numbers/${a.key}`, { key })).json().outbound_agents).toHaveLength(2);
  });

  test('concurrent attaches of different agents to one number all land (no lost update)', async () => {
    const { ws, key } = await setup();
    const a = await importNumber(ws, key);
    const agents = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const results = await Promise.all(
      agents.map((agent) => h.request('PUT', `/synthflow/v2/assistants/${agent}/phone_numbers`, { key, json: { phone_numbers: [a.phone] } })),
    );
    expect(results.map((res) => res.status)).toEqual(agents.map(() => 200));
    const native = (await h.request('GET', `/v1/phone-numbers/${a.key}`, { key })).json();
    expect(native.outbound_agents.map((e: { agent_id: string }) => e.agent_id).sort()).toEqual(agents);
    expect(native.inbound_agents).toEqual([]);
    for (const entry of native.outbound_agents) expect(entry.weight).toBeCloseTo(0.2, 9);
  });

  test('detaching an agent that is only an inbound agent is 404 and changes nothing (detach is outbound only)', async () => {
    const { key } = await setup();
    const phone = nextNumber();
    const inbound = [
      { agent_id: 'p', weight: 0.5 },
      { agent_id: 'q', weight: 0.5 },
    ];
    const created = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: phone, inbound_agents: inbound } });
    expectDetail(await h.request('DELETE', `/synthflow/v2/assistants/p/phone_numbers/${phone.slice(1)}`, { key }), 404, 'not_found');
    const native = (await h.request('GET', `/v1/phone-numbers/${created.json().id}`, { key })).json();
    expect(native.inbound_agents).toEqual(inbound);
    expect(native.version).toBe(created.json().version);
  });

  test('attach and detach need the numbers:write scope', async () => {
    const { ws, key } = await setup();
    const a = await importNumber(ws, key);
    const readOnly = await ws.key(['numbers:read']);
    expectDetail(await h.request('PUT', '/synthflow/v2/assistants/agent-a/phone_numbers', { key: readOnly, json: { phone_numbers: [a.phone] } }), 403, 'permission_denied');
    expectDetail(await h.request('DELETE', `/synthflow/v2/assistants/agent-a/phone_numbers/${a.slug}`, { key: readOnly }), 403, 'permission_denied');
  });
});

describe('agency workspaces', () => {
  test('an agency key works in a child workspace, and only there', async () => {
    const agency = await h.workspace();
    const child = await h.workspace(undefined, agency.name);
    const sibling = await h.workspace();
    const agencyKey = await agency.key();
    const childKey = await child.key();

    const phone = nextNumber();
    const created = await h.request('POST', '/synthflow/v2/custom-numbers', {
      key: agencyKey,
      json: { workspace_id: child.id, phone_number: phone, termination_uri: 'trunk.example.com' },
    });
    expect(created.status).toBe(200);
    const id = created.json().response.key;

    // It lives in the child workspace: the child's own key sees it natively, the agency's own list does not hold it.
    const native = await h.request('GET', `/v1/phone-numbers/${id}`, { key: childKey });
    expect(native.json().workspace_id).toBe(child.id);
    expect((await h.request('GET', `/synthflow/v2/numbers?workspace=${agency.id}`, { key: agencyKey })).json().response.pagination.total_records).toBe(0);
    const childList = (await h.request('GET', `/synthflow/v2/numbers?workspace=${child.id}`, { key: agencyKey })).json();
    expect(childList.response.phone_numbers.map((n: { number: string }) => n.number)).toEqual([phone]);
    // By name as well as by id.
    expect((await h.request('GET', `/synthflow/v2/numbers?workspace=${child.name}`, { key: agencyKey })).json().response.pagination.total_records).toBe(1);

    const got = (await h.request('GET', `/synthflow/v2/numbers/${phone.slice(1)}?workspace=${child.id}`, { key: agencyKey })).json();
    expect(got).toMatchObject({ workspace_id: child.id, agency_workspace_id: agency.id });

    // Writes without ?workspace act in the key's own workspace, where the number is not.
    expectDetail(await h.request('PATCH', `/synthflow/v2/numbers/${phone.slice(1)}`, { key: agencyKey, json: { friendly_name: 'x' } }), 404, 'not_found');
    expect((await h.request('PATCH', `/synthflow/v2/numbers/${phone.slice(1)}?workspace=${child.id}`, { key: agencyKey, json: { friendly_name: 'Agency set' } })).status).toBe(200);
    expect((await h.request('PUT', `/synthflow/v2/assistants/agent-k/phone_numbers?workspace=${child.id}`, { key: agencyKey, json: { phone_numbers: [phone] } })).status).toBe(200);
    const after = (await h.request('GET', `/v1/phone-numbers/${id}`, { key: childKey })).json();
    expect(after).toMatchObject({ nickname: 'Agency set', outbound_agents: [{ agent_id: 'agent-k', weight: 1 }], inbound_agents: [] });

    // The child cannot reach up to the agency, and the agency cannot reach a workspace it does not manage.
    expectDetail(await h.request('GET', `/synthflow/v2/numbers?workspace=${agency.id}`, { key: childKey }), 404, 'not_found');
    expectDetail(await h.request('GET', `/synthflow/v2/numbers?workspace=${sibling.id}`, { key: agencyKey }), 404, 'not_found');
    expectDetail(
      await h.request('POST', '/synthflow/v2/custom-numbers', {
        key: childKey,
        json: { workspace_id: agency.id, phone_number: nextNumber(), termination_uri: 'trunk.example.com' },
      }),
      404,
      'not_found',
    );

    expect((await h.request('DELETE', `/synthflow/v2/numbers/${phone.slice(1)}?workspace=${child.id}`, { key: agencyKey })).status).toBe(200);
    expect((await h.request('GET', `/v1/phone-numbers/${id}`, { key: childKey })).status).toBe(404);
  });
});

describe('shared core rule: SIP targets', () => {
  test('the native API applies the same termination URI and proxy check', async () => {
    const { key } = await setup();
    const bad = await h.request('POST', '/v1/phone-numbers', {
      key,
      json: { phone_number: nextNumber(), sip: { termination_uri: 'https://trunk.example.com', outbound_proxy: 'proxy.example.com:70000' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(['sip.termination_uri', 'sip.outbound_proxy']);
    for (const target of ['trunk.example.com', 'sip:trunk.example.com:5061;transport=tls', 'sips:user@203.0.113.7', '[2001:db8::1]:5060']) {
      const ok = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: nextNumber(), sip: { termination_uri: target } } });
      expect(ok.status, target).toBe(201);
    }
  });
});
