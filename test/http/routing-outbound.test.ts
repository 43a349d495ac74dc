import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber, manualClock, routingWorkspace, type RoutingWorkspace } from '../helpers/routing-fixtures.ts';

// 2026-06-03 is a Wednesday; 16:00Z is 12:00 in New York and 09:00 in San Francisco.
const clock = manualClock('2026-06-03T16:00:00.000Z');
let h: Harness;

beforeAll(async () => {
  h = await createHarness({ clock: clock.clock });
});
afterAll(async () => {
  await h.close();
});

const NY_CALLEE = '+12125551234';
const SF_CALLEE = '+14155550100';
const LA_CALLEE = '+13105550123';
const TX_CALLEE = '+15125551234';
const UK_CALLEE = '+442071234567';

async function outbound(key: string, body: Record<string, unknown>) {
  const response = await h.request('POST', '/v1/routing/outbound', { key, json: body });
  expect(response.status).toBe(200);
  return response.json();
}

describe('POST /v1/routing/outbound with from', () => {
  test('connects from a live voice number with the weighted outbound agent', async () => {
    clock.set('2026-06-03T16:00:00.000Z');
    const ws = await routingWorkspace(h);
    const from = await ws.importNumber({ outbound_agents: [{ agent_id: 'out', weight: 1, agent_version: 4 }] });
    expect(await outbound(ws.admin, { to: NY_CALLEE.slice(1), from: from.phone_number.slice(1) })).toEqual({
      action: 'connect',
      agent_id: 'out',
      agent_version: 4,
      phone_number_id: from.id,
      caller_id: from.phone_number,
      dynamic_variables: {},
      decided_by: 'binding',
      // Where to dial: no carrier, so the number's (empty) SIP settings; the admin key may see the (absent) password.
      carrier_id: null,
      trunk: { type: 'sip', termination_uri: null, outbound_proxy: null, transport: 'TCP', auth_username: null, auth_password: null },
    });
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: from.phone_number, agent_id: 'other' })).toMatchObject({
      action: 'connect',
      agent_id: 'other',
      caller_id: from.phone_number,
      decided_by: 'agent_override',
    });
  });

  test('rejects numbers that are not the workspace\'s, not active, or not voice-capable', async () => {
    const ws = await routingWorkspace(h);
    const other = await routingWorkspace(h);
    const theirs = await other.importNumber({ outbound_agents: [{ agent_id: 'a', weight: 1 }] });
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: theirs.phone_number })).toEqual({ action: 'reject', reason: 'number_not_found', decided_by: 'number_lookup' });
    const smsOnly = await ws.importNumber({ capabilities: { voice: false, sms: true }, outbound_agents: [{ agent_id: 'a', weight: 1 }] });
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: smsOnly.phone_number })).toMatchObject({ action: 'reject', reason: 'number_inactive' });
    const inactive = await ws.importNumber({ status: 'inactive', outbound_agents: [{ agent_id: 'a', weight: 1 }] });
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: inactive.phone_number })).toMatchObject({ action: 'reject', reason: 'number_inactive' });
    const noAgent = await ws.importNumber({});
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: noAgent.phone_number })).toMatchObject({ action: 'reject', reason: 'no_agent' });
  });

  test('rejects destinations outside allowed_outbound_country_list', async () => {
    const ws = await routingWorkspace(h);
    const from = await ws.importNumber({ allowed_outbound_country_list: ['US'], outbound_agents: [{ agent_id: 'a', weight: 1 }] });
    expect(await outbound(ws.admin, { to: UK_CALLEE, from: from.phone_number })).toMatchObject({ action: 'reject', reason: 'destination_not_allowed', decided_by: 'country_policy' });
    expect(await outbound(ws.admin, { to: '+16045551234', from: from.phone_number })).toMatchObject({ reason: 'destination_not_allowed' });
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: from.phone_number })).toMatchObject({ action: 'connect' });
  });

  test('rejects over the number\'s cap', async () => {
    const ws = await routingWorkspace(h);
    const from = await ws.importNumber({ max_concurrent_calls: 1, outbound_agents: [{ agent_id: 'a', weight: 1 }] });
    await h.request('POST', '/v1/calls/o1/start', { key: ws.admin, json: { phone_number_id: from.id, direction: 'outbound' } });
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: from.phone_number })).toMatchObject({ action: 'reject', reason: 'over_capacity', decided_by: 'number_capacity' });
  });

  test('names the field of a bad request', async () => {
    const ws = await routingWorkspace(h);
    const both = await h.request('POST', '/v1/routing/outbound', { key: ws.admin, json: { to: NY_CALLEE, from: SF_CALLEE, pool_id: 'x' } });
    expect(both.status).toBe(400);
    expect(both.json().errors[0].field).toBe('from');
    const none = await h.request('POST', '/v1/routing/outbound', { key: ws.admin, json: { to: NY_CALLEE } });
    expect(none.status).toBe(400);
    const badTo = await h.request('POST', '/v1/routing/outbound', { key: ws.admin, json: { to: 'call me', from: SF_CALLEE } });
    expect(badTo.status).toBe(400);
    expect(badTo.json().errors[0].field).toBe('to');
  });
});

describe('calling hours (callee\'s time zone, luxon)', () => {
  const weekdays = { days: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '20:00' };

  test('outside the window → outside_calling_hours with the next allowed time, across the US spring-forward change', async () => {
    const ws = await routingWorkspace(h);
    const from = await ws.importNumber({ calling_hours: weekdays, outbound_agents: [{ agent_id: 'a', weight: 1 }] });
    // Saturday 2026-03-07 23:30 EST (UTC-5); clocks go forward on Sunday 2026-03-08 at 02:00.
    clock.set('2026-03-08T04:30:00.000Z');
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: from.phone_number })).toEqual({
      action: 'reject',
      reason: 'outside_calling_hours',
      decided_by: 'calling_hours',
      // 09:00 EDT (UTC-4), not 09:00 EST.
      next_allowed_at: '2026-03-08T13:00:00.000Z',
      phone_number_id: from.id,
      caller_id: from.phone_number,
    });
    // 13:30Z is 09:30 EDT: inside (a fixed UTC-5 offset would say 08:30, outside).
    clock.set('2026-03-08T13:30:00.000Z');
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: from.phone_number })).toMatchObject({ action: 'connect' });
    // The same instant is 06:30 in San Francisco: the callee's zone decides, not the caller ID's.
    expect(await outbound(ws.admin, { to: SF_CALLEE, from: from.phone_number })).toMatchObject({
      reason: 'outside_calling_hours',
      next_allowed_at: '2026-03-08T16:00:00.000Z',
    });
    // The end is exclusive: 20:00 EDT = 00:00Z next day.
    clock.set('2026-03-09T00:00:00.000Z');
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: from.phone_number })).toMatchObject({ next_allowed_at: '2026-03-09T13:00:00.000Z' });
  });

  test('weekdays only: Sunday evening waits for Monday; the autumn change is honoured too', async () => {
    const ws = await routingWorkspace(h);
    const from = await ws.importNumber({ calling_hours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }, outbound_agents: [{ agent_id: 'a', weight: 1 }] });
    // Sunday 2026-11-01 is the US fall-back day (EDT → EST at 02:00).
    clock.set('2026-11-01T15:00:00.000Z');
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: from.phone_number })).toMatchObject({
      reason: 'outside_calling_hours',
      next_allowed_at: '2026-11-02T14:00:00.000Z',
    });
    clock.set('2026-11-02T14:00:00.000Z');
    expect(await outbound(ws.admin, { to: NY_CALLEE, from: from.phone_number })).toMatchObject({ action: 'connect' });
  });
});

async function poolOf(ws: RoutingWorkspace, members: string[], extra: Record<string, unknown> = {}) {
  const response = await h.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: `pool-${Math.random()}`, members, ...extra } });
  expect(response.status).toBe(201);
  return response.json();
}

describe('caller-ID pools', () => {
  test('local presence: same area code → same region → same country → any, least recently used first', async () => {
    clock.set('2026-06-03T16:00:00.000Z');
    const ws = await routingWorkspace(h);
    const agents = { outbound_agents: [{ agent_id: 'seller', weight: 1 }] };
    const sf1 = await ws.importNumber({ phone_number: freshNumber('415'), ...agents });
    const sf2 = await ws.importNumber({ phone_number: freshNumber('415'), ...agents });
    const mv = await ws.importNumber({ phone_number: freshNumber('650'), ...agents });
    const ny = await ws.importNumber({ phone_number: freshNumber('212'), ...agents });
    const bc = await ws.importNumber({ phone_number: freshNumber('604'), ...agents });
    const pool = await poolOf(ws, [bc.id, ny.id, mv.id, sf1.id, sf2.id]);
    expect(pool).toMatchObject({ strategy: 'local_presence', members: [bc.id, ny.id, mv.id, sf1.id, sf2.id], calling_hours: null });

    const pick = async (to: string) => {
      clock.advance(1000);
      return outbound(ws.admin, { to, pool_id: pool.id });
    };
    // Two 415 numbers: they alternate (least recently used first).
    const first = await pick(SF_CALLEE);
    const second = await pick(SF_CALLEE);
    const third = await pick(SF_CALLEE);
    expect(first).toMatchObject({ action: 'connect', agent_id: 'seller', caller_id_match: 'area_code', decided_by: 'pool' });
    expect(new Set([first.caller_id, second.caller_id])).toEqual(new Set([sf1.phone_number, sf2.phone_number]));
    expect(third.caller_id).toBe(first.caller_id);
    // 310 is California but no member has it: region match, the least recently used Californian (650, never used).
    expect(await pick(LA_CALLEE)).toMatchObject({ caller_id: mv.phone_number, caller_id_match: 'region' });
    expect(await pick(NY_CALLEE)).toMatchObject({ caller_id: ny.phone_number, caller_id_match: 'area_code' });
    // Texas: same country (US), least recently used among the US numbers → the next 415.
    expect(await pick(TX_CALLEE)).toMatchObject({ caller_id: second.caller_id, caller_id_match: 'country' });
    // UK: no local number; the least recently used of all, which is the Canadian one (never used).
    expect(await pick(UK_CALLEE)).toMatchObject({ caller_id: bc.phone_number, caller_id_match: 'any' });
  });

  test('skips members that are inactive, at their cap, outside their calling hours or not allowed to call there', async () => {
    clock.set('2026-06-03T16:00:00.000Z'); // 12:00 in New York
    const ws = await routingWorkspace(h);
    const agents = { outbound_agents: [{ agent_id: 'seller', weight: 1 }] };
    const inactive = await ws.importNumber({ phone_number: freshNumber('212'), status: 'inactive', ...agents });
    const busy = await ws.importNumber({ phone_number: freshNumber('212'), max_concurrent_calls: 1, ...agents });
    const asleep = await ws.importNumber({ phone_number: freshNumber('212'), calling_hours: { days: [1, 2, 3, 4, 5], start: '18:00', end: '20:00' }, ...agents });
    const domesticOnly = await ws.importNumber({ phone_number: freshNumber('212'), allowed_outbound_country_list: ['CA'], ...agents });
    const fine = await ws.importNumber({ phone_number: freshNumber('650'), ...agents });
    await h.request('POST', '/v1/calls/busy-1/start', { key: ws.admin, json: { phone_number_id: busy.id } });
    const pool = await poolOf(ws, [inactive.id, busy.id, asleep.id, domesticOnly.id, fine.id]);
    expect(await outbound(ws.admin, { to: NY_CALLEE, pool_id: pool.id })).toMatchObject({ action: 'connect', caller_id: fine.phone_number, caller_id_match: 'country' });

    // Without the last one, the closest rejection is reported: outside calling hours, with when to retry.
    await h.request('DELETE', `/v1/number-pools/${pool.id}/members/${fine.id}`, { key: ws.admin });
    expect(await outbound(ws.admin, { to: NY_CALLEE, pool_id: pool.id })).toEqual({
      action: 'reject',
      reason: 'outside_calling_hours',
      decided_by: 'calling_hours',
      next_allowed_at: '2026-06-03T22:00:00.000Z',
    });
  });

  test('pool-wide calling hours apply to every member', async () => {
    clock.set('2026-06-03T16:00:00.000Z'); // 12:00 in New York
    const ws = await routingWorkspace(h);
    const member = await ws.importNumber({ outbound_agents: [{ agent_id: 'a', weight: 1 }] });
    const pool = await poolOf(ws, [member.id], { calling_hours: { days: [3], start: '13:00', end: '14:00' } });
    expect(await outbound(ws.admin, { to: NY_CALLEE, pool_id: pool.id })).toMatchObject({ reason: 'outside_calling_hours', next_allowed_at: '2026-06-03T17:00:00.000Z' });
    await h.request('PATCH', `/v1/number-pools/${pool.id}`, { key: ws.admin, json: { calling_hours: null } });
    expect(await outbound(ws.admin, { to: NY_CALLEE, pool_id: pool.id })).toMatchObject({ action: 'connect', caller_id: member.phone_number });
  });

  test('round_robin ignores locality; random picks among eligible members', async () => {
    clock.set('2026-06-03T16:00:00.000Z');
    const ws = await routingWorkspace(h);
    const agents = { outbound_agents: [{ agent_id: 'a', weight: 1 }] };
    const a = await ws.importNumber({ phone_number: freshNumber('415'), ...agents });
    const b = await ws.importNumber({ phone_number: freshNumber('212'), ...agents });
    const pool = await poolOf(ws, [a.id, b.id], { strategy: 'round_robin' });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      seen.push((await outbound(ws.admin, { to: SF_CALLEE, pool_id: pool.id })).caller_id);
    }
    expect(seen[0]).not.toBe(seen[1]);
    expect(seen[2]).toBe(seen[0]);
    expect(seen[3]).toBe(seen[1]);
    await h.request('PATCH', `/v1/number-pools/${pool.id}`, { key: ws.admin, json: { strategy: 'random' } });
    const picked = new Set<string>();
    for (let i = 0; i < 40; i++) picked.add((await outbound(ws.admin, { to: SF_CALLEE, pool_id: pool.id })).caller_id);
    expect(picked).toEqual(new Set([a.phone_number, b.phone_number]));
  });

  test('CRUD: membership changes without recreating the pool; other workspaces see 404', async () => {
    const ws = await routingWorkspace(h);
    const one = await ws.importNumber({});
    const two = await ws.importNumber({});
    const pool = await poolOf(ws, [one.id], { name: 'east-coast' });
    expect((await h.request('GET', `/v1/number-pools/${pool.id}`, { key: ws.admin })).json()).toMatchObject({ id: pool.id, name: 'east-coast', members: [one.id] });
    const added = await h.request('POST', `/v1/number-pools/${pool.id}/members`, { key: ws.admin, json: { members: [two.id, one.id] } });
    expect(added.status).toBe(200);
    expect(added.json()).toMatchObject({ id: pool.id, members: [one.id, two.id] });
    const removed = await h.request('DELETE', `/v1/number-pools/${pool.id}/members/${one.id}`, { key: ws.admin });
    expect(removed.json().members).toEqual([two.id]);
    expect((await h.request('DELETE', `/v1/number-pools/${pool.id}/members/${one.id}`, { key: ws.admin })).status).toBe(404);
    const renamed = await h.request('PATCH', `/v1/number-pools/${pool.id}`, { key: ws.admin, json: { name: 'west', members: [one.id] } });
    expect(renamed.json()).toMatchObject({ name: 'west', members: [one.id] });
    expect((await h.request('GET', '/v1/number-pools', { key: ws.admin })).json().data.map((p: { id: string }) => p.id)).toEqual([pool.id]);

    const duplicate = await h.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: 'west' } });
    expect(duplicate.status).toBe(409);
    const foreign = await routingWorkspace(h);
    const theirs = await foreign.importNumber({});
    const bad = await h.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: 'x', members: [one.id, theirs.id] } });
    expect(bad.status).toBe(400);
    expect(bad.json().errors).toEqual([{ field: 'members[1]', message: expect.stringContaining('not found') }]);
    expect((await h.request('GET', `/v1/number-pools/${pool.id}`, { key: foreign.admin })).status).toBe(404);
    expect((await h.request('POST', '/v1/routing/outbound', { key: foreign.admin, json: { to: NY_CALLEE, pool_id: pool.id } })).status).toBe(404);
    expect((await h.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: 'y', strategy: 'fastest' } })).status).toBe(400);

    // A deleted number leaves the pool's view.
    await h.request('DELETE', `/v1/phone-numbers/${one.id}`, { key: ws.admin });
    expect((await h.request('GET', `/v1/number-pools/${pool.id}`, { key: ws.admin })).json().members).toEqual([]);
    expect((await h.request('DELETE', `/v1/number-pools/${pool.id}`, { key: ws.admin })).status).toBe(204);
    expect((await h.request('GET', `/v1/number-pools/${pool.id}`, { key: ws.admin })).status).toBe(404);
  });

  test('a pool name taken in the workspace is 409 on `name`, on create and on rename, and changes nothing', async () => {
    const ws = await routingWorkspace(h);
    const one = await ws.importNumber({});
    const two = await ws.importNumber({});
    const west = await poolOf(ws, [one.id], { name: 'west' });
    const east = await poolOf(ws, [two.id], { name: 'east' });
    const conflict = { code: 'CONFLICT', errors: [{ field: 'name', message: 'already used by another pool' }] };

    const created = await h.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: ' west ', members: [two.id] } });
    expect(created.status).toBe(409);
    expect(created.json()).toMatchObject(conflict);
    const renamed = await h.request('PATCH', `/v1/number-pools/${east.id}`, { key: ws.admin, json: { name: 'west', members: [one.id, two.id] } });
    expect(renamed.status).toBe(409);
    expect(renamed.json()).toMatchObject(conflict);
    // Neither write left anything behind: no third pool, east's name and members as they were.
    const pools = (await h.request('GET', '/v1/number-pools', { key: ws.admin })).json().data;
    expect(pools.map((p: { id: string; name: string; members: string[] }) => [p.id, p.name, p.members]).sort()).toEqual(
      [[west.id, 'west', [one.id]], [east.id, 'east', [two.id]]].sort(),
    );
    // Names are per workspace.
    expect((await h.request('POST', '/v1/number-pools', { key: (await routingWorkspace(h)).admin, json: { name: 'west' } })).status).toBe(201);
  });
});

describe('agent-only outbound (Synthflow attachments)', () => {
  test('chooses among the numbers whose outbound_agents contain the agent, by local presence', async () => {
    clock.set('2026-06-03T16:00:00.000Z');
    const ws = await routingWorkspace(h);
    const sf = await ws.importNumber({ phone_number: freshNumber('415'), outbound_agents: [{ agent_id: 'closer', weight: 1, agent_version: 5 }] });
    const ny = await ws.importNumber({ phone_number: freshNumber('212'), outbound_agents: [{ agent_id: 'closer', weight: 0.5 }, { agent_id: 'other', weight: 0.5 }] });
    await ws.importNumber({ phone_number: freshNumber('212'), outbound_agents: [{ agent_id: 'other', weight: 1 }] });
    expect(await outbound(ws.admin, { to: SF_CALLEE, agent_id: 'closer' })).toMatchObject({
      action: 'connect',
      agent_id: 'closer',
      agent_version: 5,
      caller_id: sf.phone_number,
      caller_id_match: 'area_code',
      decided_by: 'agent_numbers',
    });
    expect(await outbound(ws.admin, { to: NY_CALLEE, agent_id: 'closer' })).toMatchObject({ caller_id: ny.phone_number, caller_id_match: 'area_code' });
    expect(await outbound(ws.admin, { to: NY_CALLEE, agent_id: 'nobody' })).toEqual({ action: 'reject', reason: 'number_not_found', decided_by: 'agent_numbers' });
    // Detaching the agent takes effect at once.
    await h.request('PATCH', `/v1/phone-numbers/${sf.id}`, { key: ws.admin, json: { outbound_agents: [] } });
    expect(await outbound(ws.admin, { to: SF_CALLEE, agent_id: 'closer' })).toMatchObject({ caller_id: ny.phone_number, caller_id_match: 'country' });
  });
});
