import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

describe('POST /v1/phone-numbers', () => {
  test('imports a number with derived metadata, a Location header and no password in the response', async () => {
    const key = await (await h.workspace()).key();
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
    expect(body).toMatchObject({
      phone_number: '+14157774444',
      country: 'US',
      region: 'California',
      locality: 'San Francisco, CA',
      area_code: '415',
      phone_number_pretty: '+1 (415) 777-4444',
      time_zones: ['America/Los_Angeles'],
      sip: { termination_uri: 'acme.pstn.twilio.com', transport: 'TCP', uac_register_expires: 300, has_password: true },
    });
    expect(body.inbound_agents[1].agent_version).toBe('latest_published');
    expect(res.body).not.toContain('hunter2-secret');
  });

  test('rejects unknown fields and weights that do not sum to 1, naming the fields, and stores nothing', async () => {
    const key = await (await h.workspace()).key();
    const res = await h.request('POST', '/v1/phone-numbers', {
      key,
      json: { phone_number: '+14157770001', colour: 'red' },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors).toContainEqual({ field: 'colour', message: 'is not a known field' });

    const weights = await h.request('POST', '/v1/phone-numbers', {
      key,
      json: { phone_number: '+14157770001', inbound_agents: [{ agent_id: 'a', weight: 0.5 }] },
    });
    expect(weights.status).toBe(400);
    expect(weights.json().errors[0].field).toBe('inbound_agents');
    expect((await h.request('GET', '/v1/phone-numbers/+14157770001', { key })).status).toBe(404);
  });

  test('a live number is unique across workspaces (409), and another workspace sees 404', async () => {
    const a = await (await h.workspace()).key();
    const b = await (await h.workspace()).key();
    expect((await h.request('POST', '/v1/phone-numbers', { key: a, json: { phone_number: '+14157770002' } })).status).toBe(201);
    const dup = await h.request('POST', '/v1/phone-numbers', { key: b, json: { phone_number: '+14157770002', nickname: 'mine' } });
    expect(dup.status).toBe(409);
    expect((await h.request('GET', '/v1/phone-numbers/+14157770002', { key: b })).status).toBe(404);
    expect((await h.request('GET', '/v1/phone-numbers/+14157770002', { key: a })).json().nickname).toBeNull();
  });
});
