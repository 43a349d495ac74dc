import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function create(key: string, json: Record<string, unknown>) {
  return h.request('POST', '/v1/carriers', { key, json });
}

const staticIp = { name: 'Acme SIP', gateways: [{ address: '203.0.113.10' }] };

describe('POST /v1/carriers', () => {
  test('creates a static_ip carrier with gateway defaults, a Location header and the documented shape', async () => {
    const ws = await h.workspace();
    const key = await ws.key();
    const res = await create(key, { ...staticIp, description: 'main trunk' });
    expect(res.status).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(`/v1/carriers/${body.id}`);
    expect(body).toEqual({
      id: expect.stringMatching(UUID),
      workspace_id: ws.id,
      name: 'Acme SIP',
      description: 'main trunk',
      trunk_type: 'static_ip',
      gateways: [{ id: expect.stringMatching(UUID), address: '203.0.113.10', port: 5060, inbound: true, outbound: true, netmask: 32 }],
      registration: null,
      inbound_auth: null,
      created_at: expect.any(String),
      updated_at: body.created_at,
    });
    expect((await h.request('GET', `/v1/carriers/${body.id}`, { key })).json()).toEqual(body);
  });

  test('reg and auth trunks take write-only credentials: never returned, sealed in the store, readable by the service', async () => {
    const ws = await h.workspace();
    const key = await ws.key();
    const reg = await create(key, {
      name: 'Registered',
      trunk_type: 'reg',
      gateways: [{ address: 'sip.carrier.example', inbound: false }],
      registration: { username: 'acme', password: 'reg-secret-Pa55', realm: 'sip.carrier.example' },
    });
    expect(reg.status).toBe(201);
    expect(reg.json().registration).toEqual({ username: 'acme', realm: 'sip.carrier.example', has_password: true });
    const auth = await create(key, {
      name: 'Digest',
      trunk_type: 'auth',
      gateways: [{ address: '198.51.100.0', netmask: 24, outbound: false }],
      inbound_auth: { username: 'inbound', password: 'auth-secret-Pa55' },
    });
    expect(auth.status).toBe(201);
    expect(auth.json().inbound_auth).toEqual({ username: 'inbound', has_password: true });

    const list = await h.request('GET', '/v1/carriers', { key });
    for (const text of [reg.body, auth.body, list.body, (await h.request('GET', `/v1/carriers/${reg.json().id}`, { key })).body]) {
      expect(text).not.toContain('reg-secret-Pa55');
      expect(text).not.toContain('auth-secret-Pa55');
      expect(text).not.toContain('"password"');
    }
    const rows = await h.runtime.database.db.selectFrom('carriers').selectAll().where('workspace_id', '=', ws.id).execute();
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain('reg-secret-Pa55');
    expect(stored).not.toContain('auth-secret-Pa55');
    expect(rows.find((row) => row.name === 'Registered')!.register_password).toMatch(/^v1:/);

    const actor = await h.runtime.services.workspaces.authenticate(key);
    expect(await h.runtime.services.carriers.credentials(actor, reg.json().id)).toEqual({ registration_password: 'reg-secret-Pa55', inbound_auth_password: null });
    expect(await h.runtime.services.carriers.credentials(actor, auth.json().id)).toEqual({ registration_password: null, inbound_auth_password: 'auth-secret-Pa55' });
  });

  test('credentials are required by their trunk type and refused by the others, naming the field', async () => {
    const key = await (await h.workspace()).key();
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ ...staticIp, trunk_type: 'reg' }, 'registration', /required when trunk_type is reg/],
      [{ ...staticIp, trunk_type: 'auth' }, 'inbound_auth', /required when trunk_type is auth/],
      [{ ...staticIp, trunk_type: 'reg', registration: { username: 'u' } }, 'registration.password', /required/],
      [{ ...staticIp, trunk_type: 'auth', inbound_auth: { password: 'p' } }, 'inbound_auth.username', /required/],
      [{ ...staticIp, registration: { username: 'u', password: 'p' } }, 'registration', /only used when trunk_type is reg/],
      [{ ...staticIp, trunk_type: 'reg', registration: { username: 'u', password: 'p' }, inbound_auth: { username: 'u', password: 'p' } }, 'inbound_auth', /only used when trunk_type is auth/],
      [{ ...staticIp, trunk_type: 'reg', registration: { username: ' ', password: 'p' } }, 'registration.username', /must not be empty/],
      [{ ...staticIp, trunk_type: 'trunk' }, 'trunk_type', /./],
    ];
    for (const [json, field, message] of cases) {
      const res = await create(key, json);
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.find((issue: { field: string }) => issue.field === field)?.message, `${field} in ${res.body}`).toMatch(message);
    }
    expect((await h.request('GET', '/v1/carriers', { key })).json().data).toEqual([]);
  });

  test('gateway rules: inbound needs IPv4, ports 1..65535, netmask 1..32 on IPv4 only, a direction, no duplicates', async () => {
    const key = await (await h.workspace()).key();
    const gateway = (g: Record<string, unknown>) => ({ name: 'G', gateways: [g] });
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [gateway({ address: 'sip.example.com' }), 'gateways[0].address', /inbound gateway must be an IPv4 address/],
      [gateway({ address: '2001:db8::1', inbound: true }), 'gateways[0].address', /IPv4/],
      [gateway({ address: '2001:db8::1', inbound: false }), 'gateways[0].address', /IPv4 address or a DNS host name/],
      [gateway({ address: 'bad host!', inbound: false }), 'gateways[0].address', /host name/],
      [gateway({ address: '203.0.113.1', port: 0 }), 'gateways[0].port', /./],
      [gateway({ address: '203.0.113.1', port: 65536 }), 'gateways[0].port', /./],
      [gateway({ address: '203.0.113.1', netmask: 0 }), 'gateways[0].netmask', /./],
      [gateway({ address: '203.0.113.1', netmask: 33 }), 'gateways[0].netmask', /./],
      [gateway({ address: 'sip.example.com', inbound: false, netmask: 24 }), 'gateways[0].netmask', /IPv4 addresses only/],
      [gateway({ address: '203.0.113.1', inbound: false, outbound: false }), 'gateways[0]', /inbound, outbound or both/],
      [gateway({ address: '203.0.113.1', port: '5060' }), 'gateways[0].port', /integer/],
      [gateway({ address: '203.0.113.1', colour: 'red' }), 'gateways[0].colour', /not a known field/],
      [{ name: 'G', gateways: [] }, 'gateways', /./],
      [{ name: 'G', gateways: [{ address: '203.0.113.1' }, { address: '203.0.113.1', port: 5060 }] }, 'gateways[1].address', /already gateway 0/],
      [{ name: '', gateways: [{ address: '203.0.113.1' }] }, 'name', /./],
      [{ name: '   ', gateways: [{ address: '203.0.113.1' }] }, 'name', /must not be empty/],
      [{ name: 'x'.repeat(101), gateways: [{ address: '203.0.113.1' }] }, 'name', /./],
      [{ gateways: [{ address: '203.0.113.1' }] }, 'name', /required/],
    ];
    for (const [json, field, message] of cases) {
      const res = await create(key, json);
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.json().errors.find((issue: { field: string }) => issue.field === field)?.message, `${field} in ${res.body}`).toMatch(message);
    }
    // The accepted edges.
    for (const json of [
      gateway({ address: '203.0.113.1', port: 1, netmask: 1 }),
      gateway({ address: '203.0.113.1', port: 65535, netmask: 32 }),
      gateway({ address: 'sip.example.com', inbound: false }),
      gateway({ address: '10.0.0.0', netmask: 8, outbound: false }),
    ]) {
      expect((await create(key, json)).status, JSON.stringify(json)).toBe(201);
    }
  });

  test('needs numbers:write to create and numbers:read to read', async () => {
    const ws = await h.workspace();
    const reader = await ws.key(['numbers:read']);
    const writer = await ws.key(['numbers:write']);
    expect((await create(reader, staticIp)).status).toBe(403);
    const created = await create(writer, staticIp);
    expect(created.status).toBe(201);
    expect((await h.request('GET', `/v1/carriers/${created.json().id}`, { key: writer })).status).toBe(403);
    expect((await h.request('GET', `/v1/carriers/${created.json().id}`, { key: reader })).status).toBe(200);
    expect((await h.request('GET', '/v1/carriers')).status).toBe(401);
  });

  test('passwords never reach the logs', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logged = await createHarness({ logger: pino({ level: 'trace' }, stream) });
    try {
      const key = await (await logged.workspace()).key();
      const res = await logged.request('POST', '/v1/carriers', {
        key,
        json: { ...staticIp, trunk_type: 'reg', registration: { username: 'u', password: 'log-secret-Pa55' } },
      });
      expect(res.status).toBe(201);
      const bad = await logged.request('POST', '/v1/carriers', { key, json: { ...staticIp, registration: { username: 'u', password: 'log-secret-Pa55' } } });
      expect(bad.status).toBe(400);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('')).not.toContain('log-secret-Pa55');
    } finally {
      await logged.close();
    }
  });
});

describe('GET /v1/carriers', () => {
  test('pages with limit and cursor, oldest first, and only shows the caller\'s workspace', async () => {
    const key = await (await h.workspace()).key();
    const other = await (await h.workspace()).key();
    await create(other, staticIp);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create(key, { ...staticIp, name: `c${i}` })).json().id);
    const first = (await h.request('GET', '/v1/carriers?limit=2', { key })).json();
    expect(first.data.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, 2));
    expect(first.has_more).toBe(true);
    const second = (await h.request('GET', `/v1/carriers?limit=2&cursor=${first.next_cursor}`, { key })).json();
    expect(second.data.map((c: { id: string }) => c.id)).toEqual(ids.slice(2, 4));
    const last = (await h.request('GET', `/v1/carriers?limit=2&cursor=${second.next_cursor}`, { key })).json();
    expect(last).toMatchObject({ has_more: false, next_cursor: null });
    expect(last.data.map((c: { id: string }) => c.id)).toEqual(ids.slice(4));
    expect((await h.request('GET', '/v1/carriers?cursor=nonsense', { key })).status).toBe(400);
    expect((await h.request('GET', '/v1/carriers?limit=0', { key })).status).toBe(400);
  });
});

describe('PATCH /v1/carriers/{id}', () => {
  test('absent keeps, null clears, credentials merge and passwords rotate without being shown', async () => {
    const ws = await h.workspace();
    const key = await ws.key();
    const created = (
      await create(key, {
        name: 'R',
        description: 'd',
        trunk_type: 'reg',
        gateways: [{ address: '203.0.113.20' }, { address: 'sip.example.net', inbound: false, port: 5080 }],
        registration: { username: 'one', password: 'first-Pa55', realm: 'example.net' },
      })
    ).json();
    const sealed = async () =>
      (await h.runtime.database.db.selectFrom('carriers').select('register_password').where('id', '=', created.id).executeTakeFirstOrThrow()).register_password;
    const firstSealed = await sealed();

    const renamed = await h.request('PATCH', `/v1/carriers/${created.id}`, { key, json: { name: 'Renamed', description: null } });
    expect(renamed.status).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Renamed', description: null, trunk_type: 'reg', registration: { username: 'one', realm: 'example.net', has_password: true } });
    expect(renamed.json().gateways).toEqual(created.gateways);
    expect(await sealed()).toBe(firstSealed);

    const rotated = await h.request('PATCH', `/v1/carriers/${created.id}`, { key, json: { registration: { password: 'second-Pa55', realm: null } } });
    expect(rotated.json().registration).toEqual({ username: 'one', realm: null, has_password: true });
    expect(rotated.body).not.toContain('second-Pa55');
    const actor = await h.runtime.services.workspaces.authenticate(key);
    expect((await h.runtime.services.carriers.credentials(actor, created.id)).registration_password).toBe('second-Pa55');

    // A gateway keeps its id while its address and port stay.
    const regateway = await h.request('PATCH', `/v1/carriers/${created.id}`, {
      key,
      json: { gateways: [{ address: 'sip.example.net', inbound: false, port: 5080 }, { address: '203.0.113.21' }] },
    });
    expect(regateway.status).toBe(200);
    expect(regateway.json().gateways[0].id).toBe(created.gateways[1].id);
    expect(regateway.json().gateways[1].id).not.toBe(created.gateways[0].id);

    // Switching trunk type must drop the credentials the new type does not use, explicitly.
    const switched = await h.request('PATCH', `/v1/carriers/${created.id}`, { key, json: { trunk_type: 'static_ip' } });
    expect(switched.status).toBe(400);
    expect(switched.json().errors).toContainEqual({ field: 'registration', message: expect.stringMatching(/send null/) });
    expect((await h.request('GET', `/v1/carriers/${created.id}`, { key })).json().trunk_type).toBe('reg');
    const dropped = await h.request('PATCH', `/v1/carriers/${created.id}`, { key, json: { trunk_type: 'static_ip', registration: null } });
    expect(dropped.json()).toMatchObject({ trunk_type: 'static_ip', registration: null });
    expect(await sealed()).toBeNull();

    expect((await h.request('PATCH', `/v1/carriers/${created.id}`, { key, json: { name: null } })).status).toBe(400);
    expect((await h.request('PATCH', `/v1/carriers/${created.id}`, { key, json: { trunk_type: 'auth', inbound_auth: { username: 'x' } } })).json().errors).toContainEqual({
      field: 'inbound_auth.password',
      message: 'is required',
    });
  });
});

describe('DELETE /v1/carriers/{id}', () => {
  test('is refused (409, with the count) while live numbers use the carrier, then soft-deletes', async () => {
    const key = await (await h.workspace()).key();
    const carrier = (await create(key, staticIp)).json();
    const numbers: string[] = [];
    for (const phone_number of ['+14155550181', '+14155550182']) {
      const res = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number, carrier_id: carrier.id } });
      expect(res.status).toBe(201);
      numbers.push(res.json().id);
    }
    const refused = await h.request('DELETE', `/v1/carriers/${carrier.id}`, { key });
    expect(refused.status).toBe(409);
    expect(refused.json().detail).toMatch(/used by 2 live phone numbers/);
    await h.request('DELETE', `/v1/phone-numbers/${numbers[0]}`, { key });
    expect((await h.request('DELETE', `/v1/carriers/${carrier.id}`, { key })).json().detail).toMatch(/used by 1 live phone number;/);
    await h.request('DELETE', `/v1/phone-numbers/${numbers[1]}`, { key });

    const deleted = await h.request('DELETE', `/v1/carriers/${carrier.id}`, { key });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBe('');
    expect((await h.request('GET', `/v1/carriers/${carrier.id}`, { key })).status).toBe(404);
    expect((await h.request('DELETE', `/v1/carriers/${carrier.id}`, { key })).status).toBe(404);
    expect((await h.request('GET', '/v1/carriers', { key })).json().data).toEqual([]);
    // A deleted carrier cannot be attached any more.
    const attach = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: '+14155550183', carrier_id: carrier.id } });
    expect(attach.status).toBe(400);
    expect(attach.json().errors[0].field).toBe('carrier_id');
  });
});

describe('another workspace', () => {
  test('sees 404 for the carrier on every verb and cannot attach numbers to it', async () => {
    const owner = await (await h.workspace()).key();
    const stranger = await (await h.workspace()).key();
    const carrier = (await create(owner, staticIp)).json();
    expect((await h.request('GET', `/v1/carriers/${carrier.id}`, { key: stranger })).status).toBe(404);
    expect((await h.request('PATCH', `/v1/carriers/${carrier.id}`, { key: stranger, json: { name: 'mine' } })).status).toBe(404);
    expect((await h.request('DELETE', `/v1/carriers/${carrier.id}`, { key: stranger })).status).toBe(404);
    expect((await h.request('GET', '/v1/carriers/not-an-id', { key: stranger })).status).toBe(404);
    const attach = await h.request('POST', '/v1/phone-numbers', { key: stranger, json: { phone_number: '+14155550184', carrier_id: carrier.id } });
    expect(attach.status).toBe(400);
    expect(attach.json().errors[0]).toEqual({ field: 'carrier_id', message: `carrier ${carrier.id} not found` });
    expect((await h.request('GET', `/v1/carriers/${carrier.id}`, { key: owner })).json().name).toBe('Acme SIP');
  });
});
