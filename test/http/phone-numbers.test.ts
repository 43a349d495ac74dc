import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber, ISO_UTC } from '../helpers/numbers.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

async function newKey() {
  return (await h.workspace()).key();
}

async function importNumber(key: string, body: Record<string, unknown> = {}) {
  const res = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: freshNumber(), ...body } });
  expect(res.status, res.body).toBe(201);
  return res.json();
}

describe('POST /v1/phone-numbers', () => {
  test('imports a number with derived metadata, a Location header and no password in the response', async () => {
    const key = await newKey();
    const res = await h.request('POST', '/v1/phone-numbers', {
      key,
      json: {
        phone_number: '14157774444',
        nickname: 'SF line',
        sip: { termination_uri: 'acme.pstn.twilio.com', auth_username: 'acme', auth_password: 'hunter2-secret' },
        inbound_agents: [
          { agent_id: 'agent_a', weight: 0.25, agent_version: 3 },
          { agent_id: 'agent_b', weight: 0.75, agent_version: 'latest_published' },
        ],
      },
    });
    expect(res.status).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(`/v1/phone-numbers/${body.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(body).toMatchObject({
      phone_number: '+14157774444',
      status: 'active',
      source: 'manual',
      capabilities: { voice: true, sms: false },
      country: 'US',
      region: 'California',
      locality: 'San Francisco, CA',
      area_code: '415',
      phone_number_pretty: '+1 (415) 777-4444',
      time_zones: ['America/Los_Angeles'],
      sip: { termination_uri: 'acme.pstn.twilio.com', transport: 'TCP', uac_enabled: false, uac_register_expires: 300, has_password: true },
    });
    expect(body.inbound_agents[1].agent_version).toBe('latest_published');
    expect(body.created_at).toMatch(ISO_UTC);
    expect(body.updated_at).toMatch(ISO_UTC);
    expect(res.body).not.toContain('hunter2-secret');
  });

  test('accepts every writable core field and returns each of them', async () => {
    const key = await newKey();
    const fallback = freshNumber();
    const input = {
      phone_number: freshNumber(),
      status: 'pending',
      source: 'twilio',
      provider_sid: 'PN123',
      nickname: 'Support',
      capabilities: { voice: true, sms: true },
      sip: { termination_uri: 'sip.example.com', outbound_proxy: 'proxy.example.com:5061', auth_username: 'u', auth_password: 'p', transport: 'TLS', uac_enabled: true, uac_register_expires: 600 },
      inbound_agents: [{ agent_id: 'in', weight: 1 }],
      outbound_agents: [{ agent_id: 'out', weight: 1, agent_version: 2 }],
      inbound_sms_agents: [{ agent_id: 'sms-in', weight: 1 }],
      outbound_sms_agents: [{ agent_id: 'sms-out', weight: 1 }],
      allowed_inbound_country_list: ['US', 'CA'],
      allowed_outbound_country_list: ['US'],
      inbound_webhook_url: 'https://hooks.example.com/inbound',
      inbound_sms_webhook_url: 'http://hooks.example.com/sms',
      fallback_number: fallback,
      error_message: 'provisioning',
    };
    const created = await importNumber(key, input);
    const { sip, phone_number: _n, ...rest } = input;
    const { auth_password: _p, ...sipOut } = sip;
    expect(created).toMatchObject({ ...rest, phone_number: input.phone_number, sip: { ...sipOut, has_password: true } });
    const fetched = await h.request('GET', `/v1/phone-numbers/${created.id}`, { key });
    expect(fetched.json()).toEqual(created);
  });

  test('rejects unknown fields and weights that do not sum to 1, naming the fields, and stores nothing', async () => {
    const key = await newKey();
    const res = await h.request('POST', '/v1/phone-numbers', {
      key,
      json: { phone_number: '+14157770001', colour: 'red', sip: { realm: 'x' } },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect(res.json().request_id).toBe(res.headers['x-request-id']);
    expect(res.json().errors).toContainEqual({ field: 'colour', message: 'is not a known field' });
    expect(res.json().errors).toContainEqual({ field: 'sip.realm', message: 'is not a known field' });

    const weights = await h.request('POST', '/v1/phone-numbers', {
      key,
      json: { phone_number: '+14157770001', inbound_agents: [{ agent_id: 'a', weight: 0.5 }] },
    });
    expect(weights.status).toBe(400);
    expect(weights.json().errors[0].field).toBe('inbound_agents');
    expect((await h.request('GET', '/v1/phone-numbers/+14157770001', { key })).status).toBe(404);
  });

  test('a live number is unique across workspaces (409), and another workspace sees 404', async () => {
    const a = await newKey();
    const b = await newKey();
    const number = freshNumber();
    expect((await h.request('POST', '/v1/phone-numbers', { key: a, json: { phone_number: number } })).status).toBe(201);
    const dup = await h.request('POST', '/v1/phone-numbers', { key: b, json: { phone_number: number, nickname: 'mine' } });
    expect(dup.status).toBe(409);
    expect(dup.json().code).toBe('CONFLICT');
    expect((await h.request('GET', `/v1/phone-numbers/${number}`, { key: b })).status).toBe(404);
    expect((await h.request('GET', `/v1/phone-numbers/${number}`, { key: a })).json().nickname).toBeNull();
  });

  test('20 racing imports of one number from two workspaces: exactly one 201, the rest 409', async () => {
    const a = await newKey();
    const b = await newKey();
    const number = freshNumber();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.request('POST', '/v1/phone-numbers', { key: i % 2 === 0 ? a : b, json: { phone_number: number, nickname: `try ${i}` } }),
      ),
    );
    const statuses = responses.map((res) => res.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const rows = await h.runtime.database.db.selectFrom('phone_numbers').select('id').where('e164', '=', number).execute();
    expect(rows).toHaveLength(1);
  });

  test('ids are time-sortable: later imports have larger ids', async () => {
    const key = await newKey();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await importNumber(key)).id);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('GET /v1/phone-numbers/{id}', () => {
  test('finds a number by id, by +E.164, by %2B and by bare digits; another workspace gets 404', async () => {
    const key = await newKey();
    const other = await newKey();
    const created = await importNumber(key);
    const digits = created.phone_number.slice(1);
    for (const path of [created.id, created.phone_number, `%2B${digits}`, digits]) {
      const res = await h.request('GET', `/v1/phone-numbers/${path}`, { key });
      expect(res.status, path).toBe(200);
      expect(res.json().id).toBe(created.id);
      expect(res.headers.etag).toBe('"1"');
      expect((await h.request('GET', `/v1/phone-numbers/${path}`, { key: other })).status).toBe(404);
    }
    expect((await h.request('GET', '/v1/phone-numbers/not-a-number', { key })).status).toBe(404);
  });
});

describe('GET /v1/phone-numbers (list)', () => {
  test('pages with a cursor, oldest first, and never shows another workspace', async () => {
    const key = await newKey();
    await importNumber(await newKey());
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await importNumber(key)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/phone-numbers?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await h.request('GET', url, { key })).json();
      seen.push(...page.data.map((n: { id: string }) => n.id));
      expect(page.has_more).toBe(page.next_cursor !== null);
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
    const all = (await h.request('GET', '/v1/phone-numbers', { key })).json();
    expect(all).toMatchObject({ has_more: false, next_cursor: null });
    expect(all.data).toHaveLength(5);
  });

  test('stays stable under concurrent inserts and when the cursor record is deleted', async () => {
    const key = await newKey();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await importNumber(key)).id);
    const first = (await h.request('GET', '/v1/phone-numbers?limit=2', { key })).json();
    expect(first.data.map((n: { id: string }) => n.id)).toEqual(ids.slice(0, 2));
    // New numbers arrive and the record the cursor points at disappears between two pages.
    const added = await Promise.all([importNumber(key), importNumber(key)]);
    expect((await h.request('DELETE', `/v1/phone-numbers/${ids[1]}`, { key })).status).toBe(204);
    const rest = (await h.request('GET', `/v1/phone-numbers?limit=10&cursor=${first.next_cursor}`, { key })).json();
    const restIds = rest.data.map((n: { id: string }) => n.id);
    expect(restIds.slice(0, 2)).toEqual(ids.slice(2));
    expect(restIds.slice(2).sort()).toEqual(added.map((n) => n.id).sort());
    expect(rest.has_more).toBe(false);
  });

  test('rejects a limit outside 1..1000 and a forged cursor; the default page is 50', async () => {
    const key = await newKey();
    for (const limit of ['0', '1001', 'ten']) {
      const res = await h.request('GET', `/v1/phone-numbers?limit=${limit}`, { key });
      expect(res.status).toBe(400);
      expect(res.json().errors[0].field).toBe('query.limit');
    }
    expect((await h.request('GET', '/v1/phone-numbers?cursor=bm9wZQ', { key })).status).toBe(400);
    expect((await h.request('GET', '/v1/phone-numbers?colour=red', { key })).status).toBe(400);
    await h.runtime.services.phoneNumbers.importMany(
      { workspaceId: (await keyActor(key)).workspaceId, keyId: null, scopes: new Set(['numbers:write']) },
      Array.from({ length: 51 }, () => ({ phone_number: freshNumber() })),
    );
    const page = (await h.request('GET', '/v1/phone-numbers', { key })).json();
    expect(page.data).toHaveLength(50);
    expect(page.has_more).toBe(true);
  });

  test('filters by status, country, capability, agent_id (any list) and availability', async () => {
    const key = await newKey();
    const plain = await importNumber(key);
    const inactive = await importNumber(key, { status: 'inactive' });
    const london = (await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: '+442079460123' } })).json();
    const sms = await importNumber(key, { capabilities: { voice: false, sms: true } });
    const inbound = await importNumber(key, { inbound_agents: [{ agent_id: 'agent_x', weight: 1 }] });
    const smsOut = await importNumber(key, { outbound_sms_agents: [{ agent_id: 'agent_x', weight: 1 }] });
    const ids = async (query: string) =>
      (await h.request('GET', `/v1/phone-numbers?${query}`, { key })).json().data.map((n: { id: string }) => n.id).sort();
    expect(await ids('status=inactive')).toEqual([inactive.id]);
    expect(await ids('country=GB')).toEqual([london.id]);
    expect(await ids('country=gb')).toEqual([london.id]);
    expect(await ids('capability=sms')).toEqual([sms.id]);
    expect(await ids('agent_id=agent_x')).toEqual([inbound.id, smsOut.id].sort());
    expect(await ids('available=false')).toEqual([inbound.id]);
    expect(await ids('available=true')).toEqual([plain.id, inactive.id, london.id, sms.id, smsOut.id].sort());
    // Unbinding the agent makes the number available again.
    await h.request('PATCH', `/v1/phone-numbers/${inbound.id}`, { key, json: { inbound_agents: [] } });
    expect(await ids('agent_id=agent_x')).toEqual([smsOut.id]);
    expect(await ids('available=false')).toEqual([]);
  });

  test('q searches number and nickname, case-insensitively, with LIKE wildcards taken literally', async () => {
    const key = await newKey();
    const percent = await importNumber(key, { nickname: '100% Sure' });
    const hundred = await importNumber(key, { nickname: '100 percent' });
    const underscore = await importNumber(key, { nickname: 'a_b' });
    const axb = await importNumber(key, { nickname: 'axb' });
    const slash = await importNumber(key, { nickname: 'back\\slash' });
    const ids = async (q: string) =>
      (await h.request('GET', `/v1/phone-numbers?q=${encodeURIComponent(q)}`, { key })).json().data.map((n: { id: string }) => n.id).sort();
    expect(await ids('%')).toEqual([percent.id]);
    // The numbers are random: one of them may itself contain the digits 100.
    const withHundred = [percent, hundred, underscore, axb, slash].filter((n) => n.nickname.includes('100') || n.phone_number.includes('100'));
    expect(await ids('100')).toEqual(withHundred.map((n) => n.id).sort());
    expect(await ids('SURE')).toEqual([percent.id]);
    expect(await ids('_')).toEqual([underscore.id]);
    expect(await ids('a_b')).toEqual([underscore.id]);
    expect(await ids('\\')).toEqual([slash.id]);
    expect(await ids(axb.phone_number)).toEqual([axb.id]);
    const digits = axb.phone_number.slice(1);
    // `+` in a query string is a space; a formatted number matches on its digits.
    const plus = (await h.request('GET', `/v1/phone-numbers?q=+${digits}`, { key })).json().data;
    expect(plus.map((n: { id: string }) => n.id)).toEqual([axb.id]);
    expect(await ids(`(${digits.slice(1, 4)}) ${digits.slice(4, 7)}-${digits.slice(7)}`)).toEqual([axb.id]);
  });
});

describe('PATCH /v1/phone-numbers/{id}', () => {
  test('absent keeps, null clears; sip and capabilities merge field by field', async () => {
    const key = await newKey();
    const created = await importNumber(key, {
      nickname: 'Main',
      provider_sid: 'PN1',
      capabilities: { voice: true, sms: true },
      sip: { termination_uri: 'sip.example.com', auth_username: 'u', auth_password: 'pw-one', transport: 'UDP', uac_register_expires: 900 },
      inbound_webhook_url: 'https://example.com/hook',
    });
    const transportOnly = await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { sip: { transport: 'TLS' } } });
    expect(transportOnly.status).toBe(200);
    expect(transportOnly.json()).toMatchObject({
      nickname: 'Main',
      provider_sid: 'PN1',
      inbound_webhook_url: 'https://example.com/hook',
      sip: { termination_uri: 'sip.example.com', auth_username: 'u', transport: 'TLS', uac_register_expires: 900, has_password: true },
    });
    const cleared = await h.request('PATCH', `/v1/phone-numbers/${created.phone_number}`, {
      key,
      json: { nickname: null, inbound_webhook_url: null, sip: { auth_password: null, uac_register_expires: null }, capabilities: { sms: false } },
    });
    expect(cleared.json()).toMatchObject({
      nickname: null,
      provider_sid: 'PN1',
      inbound_webhook_url: null,
      capabilities: { voice: true, sms: false },
      sip: { termination_uri: 'sip.example.com', transport: 'TLS', uac_register_expires: 300, has_password: false },
    });
    const resetCaps = await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { capabilities: { voice: false, sms: true } } });
    expect(resetCaps.json().capabilities).toEqual({ voice: false, sms: true });
    const defaults = await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { capabilities: null, sip: null } });
    expect(defaults.json()).toMatchObject({
      capabilities: { voice: true, sms: false },
      sip: { termination_uri: null, auth_username: null, transport: 'TCP', uac_enabled: false, uac_register_expires: 300, has_password: false },
    });
  });

  test('If-Match with the ETag of a read: 200 when current, 412 and nothing changed when stale', async () => {
    const key = await newKey();
    const created = await importNumber(key, { nickname: 'v1' });
    const read = await h.request('GET', `/v1/phone-numbers/${created.id}`, { key });
    const etag = read.headers.etag as string;
    const ok = await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { nickname: 'v2' }, headers: { 'if-match': etag } });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).not.toBe(etag);
    for (const stale of [etag, '"garbage"', 'W/"1"']) {
      const res = await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { nickname: 'v3' }, headers: { 'if-match': stale } });
      expect(res.status).toBe(412);
      expect(res.json().code).toBe('PRECONDITION_FAILED');
    }
    const after = await h.request('GET', `/v1/phone-numbers/${created.id}`, { key });
    expect(after.json().nickname).toBe('v2');
    expect(after.headers.etag).toBe(ok.headers.etag);
  });

  test('a patch that changes nothing keeps the version and writes no event', async () => {
    const key = await newKey();
    const created = await importNumber(key, { nickname: 'same' });
    const res = await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { nickname: 'same' } });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    expect((await h.request('GET', `/v1/phone-numbers/${created.id}/events`, { key })).json().data).toHaveLength(1);
  });

  test('another workspace cannot patch or delete the number (404), and nothing changes', async () => {
    const key = await newKey();
    const other = await newKey();
    const created = await importNumber(key, { nickname: 'mine' });
    for (const path of [created.id, created.phone_number]) {
      expect((await h.request('PATCH', `/v1/phone-numbers/${path}`, { key: other, json: { nickname: 'stolen' } })).status).toBe(404);
      expect((await h.request('DELETE', `/v1/phone-numbers/${path}`, { key: other })).status).toBe(404);
      expect((await h.request('GET', `/v1/phone-numbers/${path}/events`, { key: other })).status).toBe(404);
    }
    expect((await h.request('GET', `/v1/phone-numbers/${created.id}`, { key })).json().nickname).toBe('mine');
  });
});

describe('DELETE /v1/phone-numbers/{id}', () => {
  test('soft-deletes: 204, then 404 and gone from lists; the number can be imported again as a new record', async () => {
    const key = await newKey();
    const created = await importNumber(key, { inbound_agents: [{ agent_id: 'gone_agent', weight: 1 }] });
    expect((await h.request('DELETE', `/v1/phone-numbers/${created.id}`, { key })).status).toBe(204);
    expect((await h.request('GET', `/v1/phone-numbers/${created.id}`, { key })).status).toBe(404);
    expect((await h.request('GET', `/v1/phone-numbers/${created.phone_number}`, { key })).status).toBe(404);
    expect((await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { nickname: 'x' } })).status).toBe(404);
    expect((await h.request('DELETE', `/v1/phone-numbers/${created.id}`, { key })).status).toBe(404);
    expect((await h.request('GET', '/v1/phone-numbers', { key })).json().data).toEqual([]);
    expect((await h.request('GET', '/v1/phone-numbers?agent_id=gone_agent', { key })).json().data).toEqual([]);

    const again = await h.request('POST', '/v1/phone-numbers', { key: await newKey(), json: { phone_number: created.phone_number } });
    expect(again.status).toBe(201);
    expect(again.json().id).not.toBe(created.id);
  });
});

describe('GET /v1/phone-numbers/{id}/events', () => {
  test('records create, update and delete with the acting key, changed fields and redacted before/after', async () => {
    const workspace = await h.workspace();
    const apiKey = await h.runtime.services.workspaces.createKey(workspace.id, ['numbers:read', 'numbers:write']);
    const key = apiKey.key;
    const created = await importNumber(key, { nickname: 'a', sip: { termination_uri: 'sip.example.com', auth_password: 'first-secret-pw' } });
    await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { nickname: 'b', sip: { transport: 'UDP' } } });
    await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { sip: { auth_password: 'second-secret-pw' } } });
    await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { sip: { auth_password: null } } });
    expect((await h.request('DELETE', `/v1/phone-numbers/${created.id}`, { key })).status).toBe(204);

    const res = await h.request('GET', `/v1/phone-numbers/${created.id}/events`, { key });
    expect(res.status).toBe(200);
    const events = res.json().data;
    expect(events.map((e: { action: string }) => e.action)).toEqual(['create', 'update', 'update', 'update', 'delete']);
    expect(events.every((e: { actor_key_id: string }) => e.actor_key_id === apiKey.id)).toBe(true);
    expect(events[0].changed_fields).toEqual(['phone_number', 'nickname', 'sip.termination_uri', 'sip.auth_password']);
    expect(events[0].before).toBeNull();
    expect(events[0].after).toMatchObject({ nickname: 'a', sip: { has_password: true } });
    expect(events[1].changed_fields).toEqual(['nickname', 'sip.transport']);
    expect(events[1].before).toMatchObject({ nickname: 'a', sip: { transport: 'TCP' } });
    expect(events[1].after).toMatchObject({ nickname: 'b', sip: { transport: 'UDP' } });
    expect(events[2].changed_fields).toEqual(['sip.auth_password']);
    expect(events[3].changed_fields).toEqual(['sip.auth_password']);
    expect(events[3].after.sip.has_password).toBe(false);
    expect(events[4]).toMatchObject({ changed_fields: ['status'], before: { status: 'active' }, after: { status: 'deleted' } });
    for (const event of events) expect(event.at).toMatch(ISO_UTC);
    expect(res.body).not.toContain('secret-pw');
    const stored = await h.runtime.database.db.selectFrom('phone_number_events').selectAll().where('phone_number_id', '=', created.id).execute();
    expect(JSON.stringify(stored)).not.toContain('secret-pw');
  });

  test('an update stores only what it changed; the trail still shows each whole record before and after', async () => {
    const workspace = await h.workspace();
    const key = await workspace.key(['numbers:read', 'numbers:write']);
    const view = ({ version: _version, ...rest }: Record<string, unknown>) => rest;
    const created = await importNumber(key, { nickname: 'a', inbound_agents: [{ agent_id: 'agent_1', weight: 1 }] });
    const renamed = (await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { nickname: 'b' } })).json();
    const moved = (await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { sip: { transport: 'UDP' }, inbound_agents: [] } })).json();
    const trail = async () => (await h.request('GET', `/v1/phone-numbers/${created.id}/events`, { key })).json().data;

    const events = await trail();
    expect(events.map((e: { before: unknown; after: unknown }) => [e.before, e.after])).toEqual([
      [null, view(created)],
      [view(created), view(renamed)],
      [view(renamed), view(moved)],
    ]);
    const db = h.runtime.database.db;
    const rows = await db.selectFrom('phone_number_events').selectAll().where('phone_number_id', '=', created.id).orderBy('id').execute();
    expect(JSON.parse(rows[1]!.before!)).toEqual({ nickname: 'a', updated_at: created.updated_at });
    expect(JSON.parse(rows[1]!.after!)).toEqual({ nickname: 'b', updated_at: renamed.updated_at });
    expect(JSON.parse(rows[2]!.after!)).toEqual({ inbound_agents: [], sip: { transport: 'UDP' }, updated_at: moved.updated_at });

    // An update event written whole (as earlier versions did) reads exactly the same.
    await db.updateTable('phone_number_events').set({ before: JSON.stringify(view(created)), after: JSON.stringify(view(renamed)) }).where('id', '=', rows[1]!.id).execute();
    expect(await trail()).toEqual(events);
  });

  test('a create stores only the fields away from the defaults; the trail shows the whole record, in its order', async () => {
    const workspace = await h.workspace();
    const key = await workspace.key(['numbers:read', 'numbers:write']);
    const actor = await keyActor(key);
    const view = ({ version: _version, ...rest }: Record<string, unknown>) => rest;
    const db = h.runtime.database.db;
    const everyField = {
      status: 'pending', source: 'twilio', provider_sid: 'PN1', nickname: 'n', capabilities: { voice: false, sms: true },
      sip: { termination_uri: 't.example.com', outbound_proxy: 'p.example.com', auth_username: 'u', auth_password: 'create-secret-pw', transport: 'UDP', uac_enabled: true, uac_register_expires: 60 },
      inbound_agents: [{ agent_id: 'a', weight: 1 }], outbound_agents: [{ agent_id: 'b', weight: 1, agent_version: 2 }],
      inbound_sms_agents: [{ agent_id: 'c', weight: 1 }], outbound_sms_agents: [{ agent_id: 'd', weight: 1 }],
      allowed_inbound_country_list: ['US'], allowed_outbound_country_list: ['CA'], inbound_webhook_url: 'https://hooks.example.com/in',
      inbound_sms_webhook_url: 'https://hooks.example.com/sms', fallback_number: freshNumber(), max_concurrent_calls: 3,
      calling_hours: { days: [1, 2], start: '09:00', end: '17:00' }, error_message: 'e',
    };
    const bodies = [{}, { nickname: 'only this', sip: { transport: 'TLS' } }, everyField];
    for (const body of bodies) {
      const created = await importNumber(key, body);
      const [event] = (await h.request('GET', `/v1/phone-numbers/${created.id}/events`, { key })).json().data;
      expect(event.after).toEqual(view(created));
      // In process too, key for key in the record's order (the HTTP answer follows its schema's order).
      const [served] = await h.runtime.services.phoneNumbers.events(actor, created.id);
      expect(Object.keys(served!.after!)).toEqual(Object.keys(view(created)));
      expect(Object.keys(served!.after!.sip)).toEqual(Object.keys(created.sip));
      expect(served!.after).toEqual(view(created));

      const row = await db.selectFrom('phone_number_events').selectAll().where('phone_number_id', '=', created.id).executeTakeFirstOrThrow();
      expect(row.after).not.toContain('create-secret-pw');
      const stored = JSON.parse(row.after!);
      // Always stored: the ids, the number and its facts, the timestamps; a default never.
      for (const field of ['id', 'workspace_id', 'phone_number', 'country', 'region', 'locality', 'area_code', 'number_type', 'time_zones', 'phone_number_pretty', 'created_at', 'updated_at']) {
        expect(stored).toHaveProperty(field);
      }
      if (body === bodies[0]) expect(Object.keys(stored)).not.toContain('status');
      if (body === bodies[1]) expect(stored.sip).toEqual({ transport: 'TLS' });
      if (body === everyField) {
        // Set away from its default, every field is stored; only those the import cannot set are left out.
        const unset = ['carrier_id', 'purchased'];
        expect(Object.keys(stored).sort()).toEqual(['$defaults', ...Object.keys(view(created)).filter((field) => !unset.includes(field))].sort());
      } else {
        expect(row.after!.length).toBeLessThan(JSON.stringify(view(created)).length / 2);
      }

      // A create event written whole (as earlier versions did) reads exactly the same.
      const trail = (await h.request('GET', `/v1/phone-numbers/${created.id}/events`, { key })).json().data;
      await db.updateTable('phone_number_events').set({ after: JSON.stringify(view(created)) }).where('id', '=', row.id).execute();
      expect((await h.request('GET', `/v1/phone-numbers/${created.id}/events`, { key })).json().data).toEqual(trail);
    }
  });

  test('updates after a create are laid over its whole record, defaults included', async () => {
    const workspace = await h.workspace();
    const key = await workspace.key(['numbers:read', 'numbers:write']);
    const view = ({ version: _version, ...rest }: Record<string, unknown>) => rest;
    const created = await importNumber(key);
    const changed = (await h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { sip: { uac_enabled: true }, nickname: 'x' } })).json();
    const events = (await h.request('GET', `/v1/phone-numbers/${created.id}/events`, { key })).json().data;
    expect(events.map((e: { before: unknown; after: unknown }) => [e.before, e.after])).toEqual([
      [null, view(created)],
      [view(created), view(changed)],
    ]);
  });
});

describe('secrets', () => {
  test('the trunk password is encrypted at rest and can be opened only by the service', async () => {
    const key = await newKey();
    const created = await importNumber(key, { sip: { auth_username: 'trunk', auth_password: 'plain-text-password-123' } });
    const row = await h.runtime.database.db.selectFrom('phone_numbers').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.sip_auth_password).toMatch(/^v1:/);
    expect(JSON.stringify(row)).not.toContain('plain-text-password-123');
    const actor = await keyActor(key);
    expect(await h.runtime.services.phoneNumbers.sipPassword(actor, created.id)).toBe('plain-text-password-123');
    for (const url of [`/v1/phone-numbers/${created.id}`, '/v1/phone-numbers', `/v1/phone-numbers/${created.id}/events`]) {
      expect((await h.request('GET', url, { key })).body).not.toContain('plain-text-password-123');
    }
  });
});

describe('validation rules through HTTP (each rejected request changes nothing)', () => {
  async function expectRejected(key: string, id: string, json: Record<string, unknown>, field: string) {
    const before = await h.request('GET', `/v1/phone-numbers/${id}`, { key });
    const eventsBefore = (await h.request('GET', `/v1/phone-numbers/${id}/events`, { key })).json().data.length;
    const res = await h.request('PATCH', `/v1/phone-numbers/${id}`, { key, json });
    expect(res.status, JSON.stringify(json)).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    const after = await h.request('GET', `/v1/phone-numbers/${id}`, { key });
    expect(after.body).toBe(before.body);
    expect((await h.request('GET', `/v1/phone-numbers/${id}/events`, { key })).json().data.length).toBe(eventsBefore);

    // The same values are refused on import (fallback rules depend on the record, tested on their own).
    if (field === 'fallback_number') return;
    const number = freshNumber();
    const imported = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: number, ...json } });
    expect(imported.status).toBe(400);
    expect(imported.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    expect((await h.request('GET', `/v1/phone-numbers/${number}`, { key })).status).toBe(404);
  }

  test('weights: > 0, sum to 1 within 1e-6, no duplicate agent', async () => {
    const key = await newKey();
    const { id } = await importNumber(key);
    await expectRejected(key, id, { inbound_agents: [{ agent_id: 'a', weight: 0 }, { agent_id: 'b', weight: 1 }] }, 'inbound_agents[0].weight');
    await expectRejected(key, id, { outbound_agents: [{ agent_id: 'a', weight: -0.5 }, { agent_id: 'b', weight: 1.5 }] }, 'outbound_agents[0].weight');
    await expectRejected(key, id, { inbound_agents: [{ agent_id: 'a', weight: 0.5 }, { agent_id: 'b', weight: 0.49 }] }, 'inbound_agents');
    await expectRejected(key, id, { inbound_sms_agents: [{ agent_id: 'a', weight: 0.5 }, { agent_id: 'a', weight: 0.5 }] }, 'inbound_sms_agents[1].agent_id');
    const ok = await h.request('PATCH', `/v1/phone-numbers/${id}`, {
      key,
      json: { inbound_agents: [{ agent_id: 'a', weight: 0.3333333 }, { agent_id: 'b', weight: 0.3333333 }, { agent_id: 'c', weight: 0.3333334 }] },
    });
    expect(ok.status).toBe(200);
  });

  test('SIP transport, REGISTER expiry, URLs and country codes', async () => {
    const key = await newKey();
    const { id } = await importNumber(key);
    await expectRejected(key, id, { sip: { transport: 'WSS' } }, 'sip.transport');
    await expectRejected(key, id, { sip: { transport: 'tcp' } }, 'sip.transport');
    await expectRejected(key, id, { sip: { uac_register_expires: 59 } }, 'sip.uac_register_expires');
    await expectRejected(key, id, { sip: { uac_register_expires: 3601 } }, 'sip.uac_register_expires');
    await expectRejected(key, id, { sip: { uac_register_expires: 300.5 } }, 'sip.uac_register_expires');
    await expectRejected(key, id, { inbound_webhook_url: 'ftp://example.com/x' }, 'inbound_webhook_url');
    await expectRejected(key, id, { inbound_webhook_url: '/relative/path' }, 'inbound_webhook_url');
    await expectRejected(key, id, { inbound_sms_webhook_url: 'not a url' }, 'inbound_sms_webhook_url');
    await expectRejected(key, id, { allowed_inbound_country_list: ['US', 'XX'] }, 'allowed_inbound_country_list[1]');
    await expectRejected(key, id, { allowed_outbound_country_list: ['USA'] }, 'allowed_outbound_country_list[0]');
    await expectRejected(key, id, { allowed_outbound_country_list: ['us'] }, 'allowed_outbound_country_list[0]');
    const ok = await h.request('PATCH', `/v1/phone-numbers/${id}`, {
      key,
      json: { sip: { transport: 'UDP', uac_register_expires: 3600 }, allowed_inbound_country_list: ['US', 'US', 'GB'] },
    });
    expect(ok.json()).toMatchObject({ sip: { transport: 'UDP', uac_register_expires: 3600 }, allowed_inbound_country_list: ['US', 'GB'] });
  });

  test('fallback number: not itself, and no chains in either direction', async () => {
    const key = await newKey();
    const a = await importNumber(key);
    const b = await importNumber(key);
    const c = await importNumber(key);
    await expectRejected(key, a.id, { fallback_number: a.phone_number }, 'fallback_number');
    await expectRejected(key, a.id, { fallback_number: a.phone_number.slice(1) }, 'fallback_number');
    const selfImport = freshNumber();
    const own = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: selfImport, fallback_number: selfImport } });
    expect(own.status).toBe(400);
    expect(own.json().errors[0].field).toBe('fallback_number');

    // b → c is fine; then a → b would be a chain (b has its own fallback).
    expect((await h.request('PATCH', `/v1/phone-numbers/${b.id}`, { key, json: { fallback_number: c.phone_number } })).status).toBe(200);
    await expectRejected(key, a.id, { fallback_number: b.phone_number }, 'fallback_number');
    const chainImport = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: freshNumber(), fallback_number: b.phone_number } });
    expect(chainImport.status).toBe(400);
    // c is b's fallback, so c cannot get one of its own.
    await expectRejected(key, c.id, { fallback_number: a.phone_number }, 'fallback_number');
    // Clearing b's fallback frees both directions.
    expect((await h.request('PATCH', `/v1/phone-numbers/${b.id}`, { key, json: { fallback_number: null } })).status).toBe(200);
    expect((await h.request('PATCH', `/v1/phone-numbers/${a.id}`, { key, json: { fallback_number: b.phone_number } })).status).toBe(200);
  });
});

describe('POST /v1/phone-numbers/bulk', () => {
  test('per-item results in request order', async () => {
    const key = await newKey();
    const taken = await importNumber(key);
    const fresh = freshNumber();
    const res = await h.request('POST', '/v1/phone-numbers/bulk', {
      key,
      json: {
        items: [
          { phone_number: fresh },
          { phone_number: taken.phone_number },
          { phone_number: fresh },
          { phone_number: '+1', nickname: 'bad' },
          { phone_number: freshNumber(), sip: { uac_register_expires: 30 } },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(res.json().errors[0].field).toBe('items[4].sip.uac_register_expires');
    const ok = await h.request('POST', '/v1/phone-numbers/bulk', {
      key,
      json: { items: [{ phone_number: fresh }, { phone_number: taken.phone_number }, { phone_number: fresh }, { phone_number: '+1' }] },
    });
    expect(ok.status).toBe(200);
    const body = ok.json();
    expect(body).toMatchObject({ created: 1, failed: 3 });
    expect(body.data.map((r: { status: string }) => r.status)).toEqual(['created', 'failed', 'failed', 'failed']);
    expect(body.data[1].error).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect(body.data[2].error).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect(body.data[3].error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ field: 'phone_number' }] });
  });

  test('refuses more than 10,000 items and an empty list', async () => {
    const key = await newKey();
    const items = Array.from({ length: 10_001 }, (_, i) => ({ phone_number: `+1650253${String(i % 10_000).padStart(4, '0')}` }));
    const tooMany = await h.request('POST', '/v1/phone-numbers/bulk', { key, json: { items } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json().errors).toEqual([{ field: 'items', message: 'must NOT have more than 10000 items' }]);
    expect((await h.request('POST', '/v1/phone-numbers/bulk', { key, json: { items: [] } })).status).toBe(400);
    expect((await h.request('GET', '/v1/phone-numbers', { key })).json().data).toEqual([]);
  });

  test('imports 10,000 numbers in one request, quickly', async () => {
    const key = await newKey();
    const items = Array.from({ length: 10_000 }, (_, i) => ({
      phone_number: `+1212555${String(i).padStart(4, '0')}`,
      nickname: `bulk ${i}`,
      inbound_agents: [{ agent_id: `agent_${i % 7}`, weight: 1 }],
    }));
    const started = performance.now();
    const res = await h.request('POST', '/v1/phone-numbers/bulk', { key, json: { items } });
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ created: 10_000, failed: 0 });
    console.info(`bulk import of 10,000 numbers (${h.runtime.database.engine}): ${Math.round(elapsed)} ms`);
    // A loose bound that only a per-row transaction or an N+1 query would break, even on a busy CI machine.
    expect(elapsed).toBeLessThan(90_000);
    const listed = (await h.request('GET', '/v1/phone-numbers?limit=1000&agent_id=agent_3', { key })).json();
    expect(listed.data).toHaveLength(1000);
    expect(listed.has_more).toBe(true);
  }, 240_000);

  test('a batch of no round size stores every created number whole: record, agent rows and create event', async () => {
    const workspace = await h.workspace();
    const key = await workspace.key();
    // 1,500 items, so the inserts run in several statements of different row counts, with
    // failures (bad, duplicate in the request) between them that must leave no trace.
    const items = Array.from({ length: 1_500 }, (_, i) => ({
      phone_number: i % 250 === 7 ? '+1' : i % 250 === 8 ? `+1628555${String(i - 2).padStart(4, '0')}` : `+1628555${String(i).padStart(4, '0')}`,
      ...(i % 3 === 0 ? { inbound_agents: [{ agent_id: 'agent_x', weight: 0.5 }, { agent_id: `agent_${i}`, weight: 0.5, agent_version: 2 }] } : {}),
      ...(i % 5 === 0 ? { nickname: `line ${i}`, sip: { termination_uri: 'trunk.example.com', auth_password: 'secret-1' } } : {}),
    }));
    const res = await h.request('POST', '/v1/phone-numbers/bulk', { key, json: { items } });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ created: 1_488, failed: 12 });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const created = body.data.filter((r: { status: string }) => r.status === 'created').map((r: { phone_number: unknown }) => r.phone_number);
    expect(body.data.filter((r: { index: number; status: string }) => r.status === 'failed').map((r: { index: number }) => r.index % 250)).toEqual(
      Array.from({ length: 12 }, (_, i) => 7 + (i % 2)),
    );

    const db = h.runtime.database.db;
    const events = await db.selectFrom('phone_number_events').selectAll().where('workspace_id', '=', workspace.id).execute();
    expect(events).toHaveLength(1_488);
    const eventByNumber = new Map(events.map((event) => [event.phone_number_id, event]));
    const agentRows = await db.selectFrom('phone_number_agents').selectAll().where('workspace_id', '=', workspace.id).execute();
    const withAgents = created.filter((record: { inbound_agents: unknown[] }) => record.inbound_agents.length > 0);
    expect(agentRows).toHaveLength(withAgents.length * 2);
    for (const record of created) {
      // The response carries exactly the fields a read returns (no `version`, no secret).
      const stored = await h.request('GET', `/v1/phone-numbers/${record.id}`, { key });
      expect(Object.keys(record)).toEqual(Object.keys(stored.json()));
      expect(stored.json()).toEqual(record);
      const event = eventByNumber.get(record.id)!;
      expect(event).toMatchObject({ action: 'create', before: null });
      const { version: _version, ...view } = record;
      // Stored without its defaults; the trail answers with the whole record.
      const [served] = (await h.request('GET', `/v1/phone-numbers/${record.id}/events`, { key })).json().data;
      expect(served.after).toEqual(view);
      expect(JSON.parse(event.after!)).toMatchObject({ id: record.id, phone_number: record.phone_number });
    }
    expect((await h.request('GET', '/v1/phone-numbers?limit=1000&agent_id=agent_x', { key })).json().data).toHaveLength(withAgents.length);
  }, 240_000);
});

async function keyActor(key: string) {
  return h.runtime.services.workspaces.authenticate(key);
}
