import { describe, expect, test } from 'vitest';
import { Router, type Decision, type PendingInbound } from '../../src/services/routing/router.ts';
import { callingWindow } from '../../src/services/routing/calling-hours.ts';
import { routingRow, WORKSPACE, type NumberFields } from './rows.ts';

const NOW = Date.parse('2026-06-03T18:00:00.000Z'); // Wednesday 11:00 in San Francisco, 14:00 in New York.
const US_CALLER = '+12127360099';
const GB_CALLER = '+442079460000';
const SF_CALLEE = '+14157789999';
const NY_CALLEE = '+12127369999';

function routerWith(...numbers: NumberFields[]): Router {
  const router = new Router();
  for (const number of numbers) router.index.upsertRow(routingRow(number));
  return router;
}

function lease(router: Router, numberId: string, callId: string, workspaceId = WORKSPACE): void {
  router.leases.put({ workspaceId, callId, numberId, expiresMs: NOW + 60_000 });
}

const inbound = (router: Router, to: string, from = US_CALLER, callId?: string) =>
  router.inbound(WORKSPACE, { to, from, ...(callId ? { call_id: callId } : {}) }, 'voice', NOW) as Decision;

const AGENT = { agent_id: 'agent_in', weight: 1, agent_version: 4 };
const SF = { id: 'sf', e164: '+14157780001', inbound: [AGENT] };

describe('Router inbound', () => {
  test('connects to the bound agent, with its version', () => {
    expect(inbound(routerWith(SF), SF.e164)).toEqual({
      action: 'connect',
      agent_id: 'agent_in',
      agent_version: 4,
      phone_number_id: 'sf',
      dynamic_variables: {},
      decided_by: 'binding',
    });
  });

  test('an unknown number and another workspace\'s number are both number_not_found', () => {
    const router = routerWith(SF, { id: 'other', e164: '+14157780002', workspace: 'ws_other', inbound: [AGENT] });
    expect(inbound(router, '+14157780009')).toEqual({ action: 'reject', reason: 'number_not_found', decided_by: 'number_lookup' });
    expect(inbound(router, '+14157780002')).toEqual({ action: 'reject', reason: 'number_not_found', decided_by: 'number_lookup' });
  });

  test('rejects: inactive number, caller country not allowed, no agent bound', () => {
    const router = routerWith(
      { ...SF, status: 'inactive' },
      { id: 'us_only', e164: '+14157780002', allowedInbound: ['US'], inbound: [AGENT] },
      { id: 'unbound', e164: '+14157780003' },
    );
    expect(inbound(router, SF.e164)).toMatchObject({ action: 'reject', reason: 'number_inactive', decided_by: 'number_status', phone_number_id: 'sf' });
    expect(inbound(router, '+14157780002', GB_CALLER)).toMatchObject({ action: 'reject', reason: 'country_not_allowed', decided_by: 'country_policy' });
    expect(inbound(router, '+14157780002', US_CALLER)).toMatchObject({ action: 'connect', agent_id: 'agent_in' });
    expect(inbound(router, '+14157780003')).toMatchObject({ action: 'reject', reason: 'no_agent', decided_by: 'binding', phone_number_id: 'unbound' });
  });

  test('during an outage: forwarded to the fallback number, or rejected without one', () => {
    const router = routerWith({ ...SF, fallbackNumber: '+14155550199' }, { id: 'bare', e164: '+14157780002', inbound: [AGENT] });
    router.workspaces.set(WORKSPACE, { outage: true, maxConcurrentCalls: 0, signingSecret: null });
    expect(inbound(router, SF.e164)).toEqual({ action: 'forward', forward_to: '+14155550199', decided_by: 'outage', phone_number_id: 'sf' });
    expect(inbound(router, '+14157780002')).toMatchObject({ action: 'reject', reason: 'outage_without_fallback', decided_by: 'outage' });
  });

  test('caps: a full number forwards (or rejects), and so does a full workspace; expired leases do not count', () => {
    const router = routerWith({ ...SF, maxConcurrentCalls: 1, fallbackNumber: '+14155550199' }, { id: 'ny', e164: '+12127360001', inbound: [AGENT] });
    lease(router, 'sf', 'call-1');
    expect(inbound(router, SF.e164)).toMatchObject({ action: 'forward', decided_by: 'number_capacity' });
    expect(inbound(router, '+12127360001')).toMatchObject({ action: 'connect' });
    router.workspaces.set(WORKSPACE, { outage: false, maxConcurrentCalls: 1, signingSecret: null });
    expect(inbound(router, '+12127360001')).toMatchObject({ action: 'reject', reason: 'over_capacity', decided_by: 'workspace_capacity' });
    router.leases.put({ workspaceId: WORKSPACE, callId: 'call-1', numberId: 'sf', expiresMs: NOW - 1 });
    expect(inbound(router, SF.e164)).toMatchObject({ action: 'connect' });
  });

  test('weighted choice is stable per call id', () => {
    const router = routerWith({ id: 'split', e164: '+14157780001', inbound: [{ agent_id: 'a', weight: 1 }, { agent_id: 'b', weight: 1 }] });
    const chosen = new Set<string>();
    for (let call = 0; call < 40; call++) {
      const first = inbound(router, '+14157780001', US_CALLER, `call-${call}`);
      expect(inbound(router, '+14157780001', US_CALLER, `call-${call}`)).toEqual(first);
      if (first.action === 'connect') chosen.add(first.agent_id);
    }
    expect(chosen).toEqual(new Set(['a', 'b']));
  });

  test('a number with a webhook leaves the decision pending, with the agent the binding would pick', () => {
    const router = routerWith({ ...SF, inboundWebhookUrl: 'https://hooks.example.com/in' });
    const pending = router.inbound(WORKSPACE, { to: SF.e164, from: US_CALLER }, 'voice', NOW) as PendingInbound;
    expect(pending.webhookUrl).toBe('https://hooks.example.com/in');
    expect(pending.agent).toEqual(AGENT);
    expect(pending.entry.id).toBe('sf');
    // SMS has its own agent list and webhook: none here.
    expect(router.inbound(WORKSPACE, { to: SF.e164, from: US_CALLER }, 'sms', NOW)).toMatchObject({ action: 'reject', reason: 'no_agent' });
  });
});

const OUT = { agent_id: 'agent_out', weight: 1, agent_version: 'v2' };

describe('Router outbound', () => {
  test('from a given number: its agent, its caller ID; an explicit agent keeps the version bound on the number', () => {
    const router = routerWith({ id: 'sf', e164: '+14157780001', outbound: [OUT] });
    expect(router.outbound(WORKSPACE, { to: NY_CALLEE, from: '+14157780001' }, NY_CALLEE, NOW)).toEqual({
      action: 'connect',
      agent_id: 'agent_out',
      agent_version: 'v2',
      phone_number_id: 'sf',
      caller_id: '+14157780001',
      dynamic_variables: {},
      decided_by: 'binding',
    });
    expect(router.outbound(WORKSPACE, { to: NY_CALLEE, from: '+14157780001', agent_id: 'agent_out' }, NY_CALLEE, NOW)).toMatchObject({
      agent_version: 'v2',
      decided_by: 'agent_override',
    });
    expect(router.outbound(WORKSPACE, { to: NY_CALLEE, from: '+14157780001', agent_id: 'other' }, NY_CALLEE, NOW)).toMatchObject({
      agent_id: 'other',
      decided_by: 'agent_override',
    });
  });

  test('from a given number: rejected when it cannot place the call', () => {
    const router = routerWith(
      { id: 'sms_only', e164: '+14157780001', voice: false, outbound: [OUT] },
      { id: 'us_only', e164: '+14157780002', allowedOutbound: ['US'], outbound: [OUT] },
      { id: 'unbound', e164: '+14157780003' },
      { id: 'nights', e164: '+14157780004', outbound: [OUT], callingHours: { days: [1, 2, 3, 4, 5, 6, 7], start: '20:00', end: '22:00' } },
    );
    const from = (number: string, to = NY_CALLEE) => router.outbound(WORKSPACE, { to, from: number }, to, NOW);
    expect(from('+14157780001')).toMatchObject({ reason: 'number_inactive', phone_number_id: 'sms_only', caller_id: '+14157780001' });
    expect(from('+14157780002', GB_CALLER)).toMatchObject({ reason: 'destination_not_allowed', decided_by: 'country_policy' });
    expect(from('+14157780002')).toMatchObject({ action: 'connect' });
    expect(from('+14157780003')).toMatchObject({ reason: 'no_agent' });
    // The window is the callee's wall clock: 20:00 in New York is 00:00Z.
    expect(from('+14157780004')).toMatchObject({ reason: 'outside_calling_hours', decided_by: 'calling_hours', next_allowed_at: '2026-06-04T00:00:00.000Z' });
    expect(from('+14157780009')).toEqual({ action: 'reject', reason: 'number_not_found', decided_by: 'number_lookup' });
  });

  test('a local-presence pool picks the caller ID closest to the callee, least recently used among equals', () => {
    const router = routerWith(
      { id: 'sf1', e164: '+14157780001', outbound: [OUT] },
      { id: 'sf2', e164: '+14157780002', outbound: [OUT] },
      { id: 'mv', e164: '+16502530001', areaCode: '650', outbound: [OUT] },
      { id: 'ny', e164: '+12127360001', areaCode: '212', region: 'New York, NY', timeZones: ['America/New_York'], outbound: [OUT] },
    );
    router.pools.set('pool', pool(['mv', 'ny', 'sf1', 'sf2'], 'local_presence'));
    const call = (to: string) => router.outbound(WORKSPACE, { to, pool_id: 'pool' }, to, NOW);
    expect(call(NY_CALLEE)).toMatchObject({ caller_id: '+12127360001', caller_id_match: 'area_code', decided_by: 'pool' });
    // Two San Francisco numbers: the lower first, then the other (least recently used).
    expect(call(SF_CALLEE)).toMatchObject({ caller_id: '+14157780001', caller_id_match: 'area_code' });
    expect(call(SF_CALLEE)).toMatchObject({ caller_id: '+14157780002', caller_id_match: 'area_code' });
    // Another California area code: same region beats same country.
    expect(call('+13105550123')).toMatchObject({ caller_id: '+16502530001', caller_id_match: 'region' });
    expect(call(GB_CALLER)).toMatchObject({ caller_id_match: 'any' });
  });

  test('a round-robin pool cycles through its members, the lower number first', () => {
    const router = routerWith({ id: 'a', e164: '+14157780001', outbound: [OUT] }, { id: 'b', e164: '+12127360001', outbound: [OUT] });
    router.pools.set('pool', pool(['a', 'b'], 'round_robin'));
    let clock = NOW;
    const picks = Array.from({ length: 4 }, () => {
      const decision = router.outbound(WORKSPACE, { to: SF_CALLEE, pool_id: 'pool' }, SF_CALLEE, (clock += 1000));
      return decision.action === 'connect' ? decision.phone_number_id : decision.action;
    });
    // b (+1212…) sorts before a (+1415…); locality does not count in round robin.
    expect(picks).toEqual(['b', 'a', 'b', 'a']);
  });

  test('a pool with no member able to call: the rejection closest to success, earliest retry first', () => {
    const early = { days: [1, 2, 3, 4, 5, 6, 7], start: '20:00', end: '22:00' };
    const late = { days: [1, 2, 3, 4, 5, 6, 7], start: '21:00', end: '22:00' };
    const router = routerWith(
      { id: 'off', e164: '+14157780001', status: 'inactive', outbound: [OUT] },
      { id: 'full', e164: '+14157780002', maxConcurrentCalls: 1, outbound: [OUT] },
      { id: 'late', e164: '+14157780003', callingHours: late, outbound: [OUT] },
      { id: 'early', e164: '+14157780004', callingHours: early, outbound: [OUT] },
    );
    lease(router, 'full', 'busy');
    router.pools.set('pool', pool(['off', 'full', 'late', 'early'], 'round_robin'));
    expect(router.outbound(WORKSPACE, { to: NY_CALLEE, pool_id: 'pool' }, NY_CALLEE, NOW)).toEqual({
      action: 'reject',
      reason: 'outside_calling_hours',
      decided_by: 'calling_hours',
      next_allowed_at: '2026-06-04T00:00:00.000Z',
    });
    router.pools.set('pool', pool(['off', 'full'], 'round_robin'));
    expect(router.outbound(WORKSPACE, { to: NY_CALLEE, pool_id: 'pool' }, NY_CALLEE, NOW)).toMatchObject({ reason: 'over_capacity', decided_by: 'number_capacity' });
    // The pool's own window applies to every member.
    router.pools.set('pool', { ...pool(['late'], 'round_robin'), callingHours: callingWindow({ days: [4], start: '09:00', end: '22:00' }) });
    expect(router.outbound(WORKSPACE, { to: NY_CALLEE, pool_id: 'pool' }, NY_CALLEE, NOW)).toMatchObject({ next_allowed_at: '2026-06-05T01:00:00.000Z' });
  });

  test('by agent alone: among the numbers whose outbound agents list it, and none is number_not_found', () => {
    const router = routerWith(
      { id: 'sf', e164: '+14157780001', outbound: [OUT] },
      { id: 'ny', e164: '+12127360001', areaCode: '212', outbound: [OUT] },
      { id: 'elsewhere', e164: '+14157780002', workspace: 'ws_other', outbound: [OUT] },
    );
    expect(router.outbound(WORKSPACE, { to: NY_CALLEE, agent_id: 'agent_out' }, NY_CALLEE, NOW)).toMatchObject({
      action: 'connect',
      caller_id: '+12127360001',
      agent_version: 'v2',
      decided_by: 'agent_numbers',
    });
    expect(router.outbound(WORKSPACE, { to: NY_CALLEE, agent_id: 'nobody' }, NY_CALLEE, NOW)).toEqual({ action: 'reject', reason: 'number_not_found', decided_by: 'agent_numbers' });
  });
});

function pool(members: string[], strategy: 'local_presence' | 'round_robin' | 'random') {
  return { id: 'pool', workspaceId: WORKSPACE, name: 'pool', strategy, callingHours: null, members, createdAt: '', updatedAt: '' };
}
