import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber, manualClock, routingWorkspace } from '../helpers/routing-fixtures.ts';
import type { ConnectDecision } from '../../src/services/routing/router.ts';

const clock = manualClock('2026-06-01T12:00:00.000Z');
let h: Harness;

beforeAll(async () => {
  h = await createHarness({ clock: clock.clock, env: { ROUTING_CALL_LEASE_SECONDS: '60' } });
});
afterAll(async () => {
  await h.close();
});

const UK_CALLER = '+442071234567';
const US_CALLER = '+12125551234';

async function inbound(key: string, body: Record<string, unknown>, path = '/v1/routing/inbound') {
  const response = await h.request('POST', path, { key, json: body });
  expect(response.status).toBe(200);
  return response.json();
}

describe('POST /v1/routing/inbound', () => {
  test('connects to the bound agent, passing the stored version through, with or without +', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({ inbound_agents: [{ agent_id: 'agent_a', weight: 1, agent_version: 'latest_published' }] });
    const decision = await inbound(ws.admin, { to: number.phone_number.slice(1), from: US_CALLER.slice(1), call_id: 'c1' });
    expect(decision).toEqual({
      action: 'connect',
      agent_id: 'agent_a',
      agent_version: 'latest_published',
      phone_number_id: number.id,
      dynamic_variables: {},
      decided_by: 'binding',
    });
    const numeric = await ws.importNumber({ inbound_agents: [{ agent_id: 'agent_b', weight: 1, agent_version: 7 }] });
    expect(await inbound(ws.admin, { to: numeric.phone_number, from: US_CALLER })).toMatchObject({ agent_id: 'agent_b', agent_version: 7 });
  });

  test('rejects unknown numbers, and another workspace\'s number exactly the same way', async () => {
    const ws = await routingWorkspace(h);
    const other = await routingWorkspace(h);
    const theirs = await other.importNumber({ inbound_agents: [{ agent_id: 'x', weight: 1 }] });
    expect(await inbound(ws.admin, { to: freshNumber('212'), from: US_CALLER })).toEqual({ action: 'reject', reason: 'number_not_found', decided_by: 'number_lookup' });
    expect(await inbound(ws.admin, { to: theirs.phone_number, from: US_CALLER })).toEqual({ action: 'reject', reason: 'number_not_found', decided_by: 'number_lookup' });
  });

  test('rejects inactive numbers and follows status changes at once', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({ status: 'inactive', inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER })).toMatchObject({ action: 'reject', reason: 'number_inactive', phone_number_id: number.id });
    await h.request('PATCH', `/v1/phone-numbers/${number.id}`, { key: ws.admin, json: { status: 'active' } });
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER })).toMatchObject({ action: 'connect', agent_id: 'a' });
    await h.request('DELETE', `/v1/phone-numbers/${number.id}`, { key: ws.admin });
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER })).toMatchObject({ action: 'reject', reason: 'number_not_found' });
  });

  test('checks the caller\'s country (from libphonenumber) against allowed_inbound_country_list', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({ allowed_inbound_country_list: ['US', 'CA'], inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    expect(await inbound(ws.admin, { to: number.phone_number, from: UK_CALLER })).toMatchObject({ action: 'reject', reason: 'country_not_allowed', decided_by: 'country_policy' });
    // +1 604 is Canada, not the US: the country comes from the whole number, not the calling code.
    expect(await inbound(ws.admin, { to: number.phone_number, from: '+16045551234' })).toMatchObject({ action: 'connect' });
    expect(await inbound(ws.admin, { to: number.phone_number, from: 'anonymous' })).toMatchObject({ reason: 'country_not_allowed' });
    await h.request('PATCH', `/v1/phone-numbers/${number.id}`, { key: ws.admin, json: { allowed_inbound_country_list: ['US'] } });
    expect(await inbound(ws.admin, { to: number.phone_number, from: '+16045551234' })).toMatchObject({ reason: 'country_not_allowed' });
  });

  test('rejects no_agent when the list is empty', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({});
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER })).toMatchObject({ action: 'reject', reason: 'no_agent', decided_by: 'binding' });
  });

  test('picks by weight: deterministic per call id, and the split over 10,000 call ids matches the weights', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({
      inbound_agents: [
        { agent_id: 'a', weight: 0.7 },
        { agent_id: 'b', weight: 0.2 },
        { agent_id: 'c', weight: 0.1 },
      ],
    });
    const first = await inbound(ws.admin, { to: number.phone_number, from: US_CALLER, call_id: 'call_42' });
    for (let i = 0; i < 5; i++) {
      expect((await inbound(ws.admin, { to: number.phone_number, from: US_CALLER, call_id: 'call_42' })).agent_id).toBe(first.agent_id);
    }
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const total = 10_000;
    for (let i = 0; i < total; i++) {
      const decision = await h.runtime.services.routing.inbound(ws.actor, { to: number.phone_number, from: US_CALLER, call_id: `call_${i}` }, 'voice');
      counts[(decision as ConnectDecision).agent_id]! += 1;
    }
    expect(Math.abs(counts.a! / total - 0.7)).toBeLessThan(0.02);
    expect(Math.abs(counts.b! / total - 0.2)).toBeLessThan(0.02);
    expect(Math.abs(counts.c! / total - 0.1)).toBeLessThan(0.02);
  });

  test('needs the routing scope', async () => {
    const ws = await routingWorkspace(h);
    const readOnly = await ws.key(['numbers:read']);
    const response = await h.request('POST', '/v1/routing/inbound', { key: readOnly, json: { to: freshNumber(), from: US_CALLER } });
    expect(response.status).toBe(403);
    expect((await h.request('POST', '/v1/routing/inbound', { json: { to: freshNumber(), from: US_CALLER } })).status).toBe(401);
  });

  test('rejects a malformed request with the field named', async () => {
    const ws = await routingWorkspace(h);
    const response = await h.request('POST', '/v1/routing/inbound', { key: ws.admin, json: { to: '+14157770000', from: US_CALLER, extra: 1 } });
    expect(response.status).toBe(400);
    expect(response.json().errors[0].field).toBe('extra');
  });

  test('inbound-sms uses the SMS agent list', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({
      capabilities: { voice: true, sms: true },
      inbound_agents: [{ agent_id: 'voice_agent', weight: 1 }],
      inbound_sms_agents: [{ agent_id: 'sms_agent', weight: 1, agent_version: 3 }],
    });
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER }, '/v1/routing/inbound-sms')).toMatchObject({ action: 'connect', agent_id: 'sms_agent', agent_version: 3 });
    const voiceOnly = await ws.importNumber({ inbound_agents: [{ agent_id: 'voice_agent', weight: 1 }] });
    expect(await inbound(ws.admin, { to: voiceOnly.phone_number, from: US_CALLER }, '/v1/routing/inbound-sms')).toMatchObject({ reason: 'no_agent' });
  });
});

describe('outage mode', () => {
  test('forwards to the fallback number while on; rejects numbers without one', async () => {
    const ws = await routingWorkspace(h);
    const fallback = freshNumber('212');
    const number = await ws.importNumber({ fallback_number: fallback, inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    const bare = await ws.importNumber({ inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    const on = await h.request('PUT', '/v1/workspace/outage', { key: ws.admin, json: { enabled: true } });
    expect(on.status).toBe(200);
    expect(on.json()).toMatchObject({ outage: true });
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER })).toEqual({
      action: 'forward',
      forward_to: fallback,
      phone_number_id: number.id,
      decided_by: 'outage',
    });
    expect(await inbound(ws.admin, { to: bare.phone_number, from: US_CALLER })).toMatchObject({ action: 'reject', reason: 'outage_without_fallback' });
    // Only this workspace is in outage.
    const other = await routingWorkspace(h);
    const theirs = await other.importNumber({ inbound_agents: [{ agent_id: 'z', weight: 1 }] });
    expect(await inbound(other.admin, { to: theirs.phone_number, from: US_CALLER })).toMatchObject({ action: 'connect' });
    await h.request('PUT', '/v1/workspace/outage', { key: ws.admin, json: { enabled: false } });
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER })).toMatchObject({ action: 'connect', agent_id: 'a' });
  });

  test('needs the admin scope', async () => {
    const ws = await routingWorkspace(h);
    const routingOnly = await ws.key(['routing']);
    expect((await h.request('PUT', '/v1/workspace/outage', { key: routingOnly, json: { enabled: true } })).status).toBe(403);
    expect((await h.request('PUT', '/v1/workspace/outage', { key: ws.admin, json: { enabled: 'yes' } })).status).toBe(400);
  });
});

describe('concurrency caps and call leases', () => {
  test('over the number cap: forward to fallback if set, else reject over_capacity; end frees the slot', async () => {
    const ws = await routingWorkspace(h);
    const fallback = freshNumber('212');
    const capped = await ws.importNumber({ max_concurrent_calls: 1, fallback_number: fallback, inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    const noFallback = await ws.importNumber({ max_concurrent_calls: 1, inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    expect(await inbound(ws.admin, { to: capped.phone_number, from: US_CALLER })).toMatchObject({ action: 'connect' });

    const started = await h.request('POST', '/v1/calls/call-1/start', { key: ws.admin, json: { phone_number_id: capped.id } });
    expect(started.status).toBe(200);
    expect(started.json()).toMatchObject({ call_id: 'call-1', phone_number_id: capped.id, direction: 'inbound', ended_at: null });
    expect(await inbound(ws.admin, { to: capped.phone_number, from: US_CALLER })).toMatchObject({ action: 'forward', forward_to: fallback, decided_by: 'number_capacity' });

    await h.request('POST', '/v1/calls/call-2/start', { key: ws.admin, json: { phone_number: noFallback.phone_number } });
    expect(await inbound(ws.admin, { to: noFallback.phone_number, from: US_CALLER })).toMatchObject({ action: 'reject', reason: 'over_capacity' });

    const ended = await h.request('POST', '/v1/calls/call-1/end', { key: ws.admin });
    expect(ended.status).toBe(200);
    expect(ended.json().ended_at).not.toBeNull();
    // Idempotent: ending again returns the same record.
    expect((await h.request('POST', '/v1/calls/call-1/end', { key: ws.admin })).json()).toEqual(ended.json());
    expect(await inbound(ws.admin, { to: capped.phone_number, from: US_CALLER })).toMatchObject({ action: 'connect' });
    // A start after the end does not resurrect the call.
    expect((await h.request('POST', '/v1/calls/call-1/start', { key: ws.admin, json: { phone_number_id: capped.id } })).json().ended_at).not.toBeNull();
    expect(await inbound(ws.admin, { to: capped.phone_number, from: US_CALLER })).toMatchObject({ action: 'connect' });
    expect((await h.request('POST', '/v1/calls/unknown/end', { key: ws.admin })).status).toBe(404);
    const nul = await h.request('POST', '/v1/calls/bad%00id/start', { key: ws.admin, json: { phone_number_id: capped.id } });
    expect(nul.status).toBe(400);
  });

  test('start is idempotent per call id (one slot), and renews the lease', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({ max_concurrent_calls: 2, inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    const first = await h.request('POST', '/v1/calls/same/start', { key: ws.admin, json: { phone_number_id: number.id } });
    clock.advance(30_000);
    const again = await h.request('POST', '/v1/calls/same/start', { key: ws.admin, json: { phone_number_id: number.id } });
    expect(again.json().started_at).toBe(first.json().started_at);
    expect(Date.parse(again.json().lease_expires_at) - Date.parse(first.json().lease_expires_at)).toBe(30_000);
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER })).toMatchObject({ action: 'connect' });
    expect((await h.request('GET', '/v1/workspace', { key: ws.admin })).json().active_calls).toBe(1);
    const elsewhere = await ws.importNumber({});
    expect((await h.request('POST', '/v1/calls/same/start', { key: ws.admin, json: { phone_number_id: elsewhere.id } })).status).toBe(409);
  });

  test('an expired lease stops counting (a crashed runtime does not hold the slot)', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({ max_concurrent_calls: 1, inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    await h.request('POST', '/v1/calls/crashy/start', { key: ws.admin, json: { phone_number_id: number.id } });
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER })).toMatchObject({ reason: 'over_capacity' });
    clock.advance(59_000);
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER })).toMatchObject({ reason: 'over_capacity' });
    clock.advance(2_000);
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER })).toMatchObject({ action: 'connect' });
    // A custom lease length applies too.
    await h.request('POST', '/v1/calls/long/start', { key: ws.admin, json: { phone_number_id: number.id, lease_seconds: 3600 } });
    clock.advance(120_000);
    expect(await inbound(ws.admin, { to: number.phone_number, from: US_CALLER })).toMatchObject({ reason: 'over_capacity' });
  });

  test('the workspace cap counts calls on every number', async () => {
    const ws = await routingWorkspace(h);
    const one = await ws.importNumber({ inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    const two = await ws.importNumber({ inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    const set = await h.request('PATCH', '/v1/workspace', { key: ws.admin, json: { max_concurrent_calls: 2 } });
    expect(set.json()).toMatchObject({ max_concurrent_calls: 2 });
    await h.request('POST', '/v1/calls/w1/start', { key: ws.admin, json: { phone_number_id: one.id } });
    expect(await inbound(ws.admin, { to: two.phone_number, from: US_CALLER })).toMatchObject({ action: 'connect' });
    await h.request('POST', '/v1/calls/w2/start', { key: ws.admin, json: { phone_number_id: one.id, direction: 'outbound' } });
    expect(await inbound(ws.admin, { to: two.phone_number, from: US_CALLER })).toMatchObject({ action: 'reject', reason: 'over_capacity', decided_by: 'workspace_capacity' });
    await h.request('PATCH', '/v1/workspace', { key: ws.admin, json: { max_concurrent_calls: null } });
    expect(await inbound(ws.admin, { to: two.phone_number, from: US_CALLER })).toMatchObject({ action: 'connect' });
  });

  test('max_concurrent_calls and calling_hours are part of the phone number', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({ max_concurrent_calls: 5, calling_hours: { days: [5, 1, 2], start: '09:00', end: '17:30' } });
    const read = (await h.request('GET', `/v1/phone-numbers/${number.id}`, { key: ws.admin })).json();
    expect(read).toMatchObject({ max_concurrent_calls: 5, calling_hours: { days: [1, 2, 5], start: '09:00', end: '17:30' } });
    const bad = await h.request('PATCH', `/v1/phone-numbers/${number.id}`, {
      key: ws.admin,
      json: { max_concurrent_calls: 0, calling_hours: { days: [1], start: '18:00', end: '09:00' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['max_concurrent_calls']);
    const inverted = await h.request('PATCH', `/v1/phone-numbers/${number.id}`, { key: ws.admin, json: { calling_hours: { days: [1], start: '18:00', end: '09:00' } } });
    expect(inverted.status).toBe(400);
    expect(inverted.json().errors[0].field).toBe('calling_hours.end');
    const cleared = await h.request('PATCH', `/v1/phone-numbers/${number.id}`, { key: ws.admin, json: { max_concurrent_calls: null, calling_hours: null } });
    expect(cleared.json()).toMatchObject({ max_concurrent_calls: null, calling_hours: null });
  });
});

describe('workspace signing secret', () => {
  test('rotate returns a new secret once; GET only says whether one is set', async () => {
    const ws = await routingWorkspace(h);
    expect((await h.request('GET', '/v1/workspace', { key: ws.admin })).json()).toMatchObject({ workspace_id: ws.id, outage: false, signing_secret_set: false, max_concurrent_calls: null });
    const first = (await h.request('POST', '/v1/workspace/signing-secret/rotate', { key: ws.admin })).json();
    const second = (await h.request('POST', '/v1/workspace/signing-secret/rotate', { key: ws.admin })).json();
    expect(first.signing_secret).toMatch(/^whsec_/);
    expect(second.signing_secret).not.toBe(first.signing_secret);
    const view = await h.request('GET', '/v1/workspace', { key: ws.admin });
    expect(view.json().signing_secret_set).toBe(true);
    expect(view.body).not.toContain(second.signing_secret);
  });
});
