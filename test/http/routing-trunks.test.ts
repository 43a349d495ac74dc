import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatewaysContain } from '../../src/services/routing/trunks.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
let serial = 0;
const number = () => `+1415${String(7_600_000 + ++serial * 7).padStart(7, '0')}`;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

async function setup() {
  const workspace = await h.workspace();
  const admin = await workspace.key();
  const router = await workspace.key(['routing']);
  const credentialed = await workspace.key(['routing', 'routing:credentials']);
  const carrier = await h.request('POST', '/v1/carriers', {
    key: admin,
    json: {
      name: 'Telco One',
      trunk_type: 'reg',
      gateways: [
        { address: '203.0.113.10' },
        { address: '198.51.100.0', netmask: 24, outbound: false },
        { address: 'sip.telco.example', port: 5080, inbound: false },
      ],
      registration: { username: 'acme', password: 'carrier-Secr3t', realm: 'telco.example' },
    },
  });
  expect(carrier.status).toBe(201);
  const onCarrier = number();
  const own = number();
  for (const [e164, extra] of [
    [onCarrier, { carrier_id: carrier.json().id, sip: { transport: 'TLS' } }],
    [own, { sip: { termination_uri: 'acme.pstn.twilio.com', outbound_proxy: 'proxy.example.com', auth_username: 'u1', auth_password: 'number-Secr3t', transport: 'UDP' } }],
  ] as const) {
    const created = await h.request('POST', '/v1/phone-numbers', {
      key: admin,
      json: { phone_number: e164, inbound_agents: [{ agent_id: 'agent_in', weight: 1 }], outbound_agents: [{ agent_id: 'agent_out', weight: 1 }], ...extra },
    });
    expect(created.status, created.body).toBe(201);
  }
  return { admin, router, credentialed, carrierId: carrier.json().id as string, onCarrier, own };
}

describe('routing decisions a runtime can dial with', () => {
  test('outbound connect carries the carrier trunk (outbound gateways in order) and carrier_id; no password without routing:credentials', async () => {
    const s = await setup();
    const decision = await h.request('POST', '/v1/routing/outbound', { key: s.router, json: { from: s.onCarrier, to: '+14155550123' } });
    expect(decision.status).toBe(200);
    expect(decision.json()).toMatchObject({
      action: 'connect',
      caller_id: s.onCarrier,
      carrier_id: s.carrierId,
      trunk: {
        type: 'carrier',
        carrier_id: s.carrierId,
        name: 'Telco One',
        gateways: [
          { address: '203.0.113.10', port: 5060, transport: 'TLS' },
          { address: 'sip.telco.example', port: 5080, transport: 'TLS' },
        ],
        auth_username: 'acme',
        auth_realm: 'telco.example',
      },
    });
    expect(decision.json().trunk).not.toHaveProperty('auth_password');
    expect(decision.body).not.toContain('carrier-Secr3t');

    const withCredentials = await h.request('POST', '/v1/routing/outbound', { key: s.credentialed, json: { from: s.onCarrier, to: '+14155550123' } });
    expect(withCredentials.json().trunk.auth_password).toBe('carrier-Secr3t');
    const id = withCredentials.json().phone_number_id;
    const events = (await h.request('GET', `/v1/phone-numbers/${id}/events`, { key: s.admin })).json().data;
    const disclosed = events.filter((event: { action: string }) => event.action === 'credentials_disclosed');
    expect(disclosed).toHaveLength(1);
    expect(disclosed[0]).toMatchObject({ changed_fields: ['carrier.registration.password'], before: null, after: null });
    expect(disclosed[0].actor_key_id).not.toBeNull();
    expect(JSON.stringify(events)).not.toContain('carrier-Secr3t');
  });

  test('without a carrier the trunk is the number\'s SIP settings; the password only with routing:credentials', async () => {
    const s = await setup();
    const plain = await h.request('POST', '/v1/routing/outbound', { key: s.router, json: { from: s.own, to: '+14155550123' } });
    expect(plain.json()).toMatchObject({
      action: 'connect',
      carrier_id: null,
      trunk: { type: 'sip', termination_uri: 'acme.pstn.twilio.com', outbound_proxy: 'proxy.example.com', transport: 'UDP', auth_username: 'u1' },
    });
    expect(plain.body).not.toContain('number-Secr3t');
    const secret = await h.request('POST', '/v1/routing/outbound', { key: s.credentialed, json: { from: s.own, to: '+14155550123' } });
    expect(secret.json().trunk.auth_password).toBe('number-Secr3t');
    const events = (await h.request('GET', `/v1/phone-numbers/${secret.json().phone_number_id}/events`, { key: s.admin })).json().data;
    expect(events.at(-1)).toMatchObject({ action: 'credentials_disclosed', changed_fields: ['sip.auth_password'] });
  });

  test('inbound source_ip: inside a gateway connects, outside is rejected by carrier_source, absent or carrier-less changes nothing', async () => {
    const s = await setup();
    const decide = (to: string, sourceIp?: string) =>
      h.request('POST', '/v1/routing/inbound', { key: s.router, json: { to, from: '+14155550100', ...(sourceIp ? { source_ip: sourceIp } : {}) } });
    for (const inside of ['203.0.113.10', '198.51.100.0', '198.51.100.255']) {
      expect((await decide(s.onCarrier, inside)).json(), inside).toMatchObject({ action: 'connect', agent_id: 'agent_in' });
    }
    for (const outside of ['203.0.113.11', '198.51.101.0', '198.51.99.255', '10.0.0.1']) {
      expect((await decide(s.onCarrier, outside)).json(), outside).toMatchObject({ action: 'reject', reason: 'source_not_allowed', decided_by: 'carrier_source' });
    }
    expect((await decide(s.onCarrier)).json()).toMatchObject({ action: 'connect' });
    expect((await decide(s.own, '10.0.0.1')).json()).toMatchObject({ action: 'connect' });
    const bad = await decide(s.onCarrier, 'not-an-ip');
    expect(bad.status).toBe(400);
    expect(bad.json().errors[0].field).toBe('source_ip');
  });
});

describe('gatewaysContain (IPv4 netmask edges, node BlockList)', () => {
  test('/32 is one address, /24 and /31 and /1 are subnets with both ends inside', () => {
    expect(gatewaysContain([{ address: '192.0.2.7', netmask: 32 }], '192.0.2.7')).toBe(true);
    expect(gatewaysContain([{ address: '192.0.2.7', netmask: 32 }], '192.0.2.8')).toBe(false);
    expect(gatewaysContain([{ address: '192.0.2.6', netmask: 31 }], '192.0.2.7')).toBe(true);
    expect(gatewaysContain([{ address: '192.0.2.6', netmask: 31 }], '192.0.2.5')).toBe(false);
    expect(gatewaysContain([{ address: '192.0.2.0', netmask: 24 }], '192.0.2.255')).toBe(true);
    expect(gatewaysContain([{ address: '192.0.2.0', netmask: 24 }], '192.0.3.0')).toBe(false);
    expect(gatewaysContain([{ address: '128.0.0.0', netmask: 1 }], '255.255.255.255')).toBe(true);
    expect(gatewaysContain([{ address: '128.0.0.0', netmask: 1 }], '127.255.255.255')).toBe(false);
    expect(gatewaysContain([{ address: '192.0.2.0', netmask: 24 }], '::ffff:192.0.2.1')).toBe(false);
  });
});
