import { describe, expect, test } from 'vitest';
import type { PhoneNumber, RoutingDecision } from '../../clients/typescript/index.ts';
import { decisionInWords } from '../../console/src/lib/decision.ts';
import { changesOf, errorFor, formOf } from '../../console/src/lib/number-form.ts';
import { checkWeights, formatShare, rowsOf, splitEvenly } from '../../console/src/lib/weights.ts';

const row = (agent_id: string, weight: string, agent_version = '') => ({ agent_id, weight, agent_version });

describe('weight editor rules', () => {
  test('a list summing to 1 is sent as typed, versions as numbers or references', () => {
    const check = checkWeights([row('agent_a', '0.7', '3'), row('agent_b', '.3', 'latest')]);
    expect(check.errors).toEqual({});
    expect(check.list).toEqual([
      { agent_id: 'agent_a', weight: 0.7, agent_version: 3 },
      { agent_id: 'agent_b', weight: 0.3, agent_version: 'latest' },
    ]);
    expect(check.shares.map(formatShare)).toEqual(['70.0 %', '30.0 %']);
  });

  test('refuses a list that does not sum to 1, and shows the split it would make', () => {
    const check = checkWeights([row('agent_a', '0.5'), row('agent_b', '0.3')]);
    expect(check.list).toBeNull();
    expect(check.errors).toEqual({ list: 'weights must sum to 1; they sum to 0.8' });
    expect(check.shares.map(formatShare)).toEqual(['62.5 %', '37.5 %']);
  });

  test('names the row and field of each problem: empty or repeated agent, bad weight', () => {
    const check = checkWeights([row('', '0.5'), row('agent_b', 'half'), row('agent_b', '0'), row('agent_c', '1.5')]);
    expect(check.list).toBeNull();
    expect(check.errors).toEqual({
      '0.agent_id': 'agent id is required',
      '1.weight': 'weight must be a number such as 0.5',
      '2.agent_id': 'agent_b is already in this list',
      '2.weight': 'weight must be greater than 0 and at most 1',
      '3.weight': 'weight must be greater than 0 and at most 1',
    });
  });

  test('an empty list is valid (it unbinds); floating-point sums within the tolerance pass', () => {
    expect(checkWeights([])).toEqual({ list: [], total: 0, shares: [], errors: {} });
    expect(checkWeights([row('a', '0.1'), row('b', '0.2'), row('c', '0.7')]).list).not.toBeNull();
  });

  test('split evenly sums to 1 for any count', () => {
    for (const count of [1, 2, 3, 6, 7]) {
      const rows = splitEvenly(Array.from({ length: count }, (_, i) => row(`agent_${i}`, '')));
      expect(checkWeights(rows).errors, `${count} agents`).toEqual({});
    }
    expect(splitEvenly([row('a', ''), row('b', ''), row('c', '')]).map((r) => r.weight)).toEqual(['0.3333', '0.3333', '0.3334']);
  });

  test('rows round-trip a stored list', () => {
    const list = [{ agent_id: 'a', weight: 0.25, agent_version: 2 }, { agent_id: 'b', weight: 0.75 }];
    expect(checkWeights(rowsOf(list)).list).toEqual(list);
  });
});

describe('decision in words', () => {
  const decision = (fields: Partial<RoutingDecision>): RoutingDecision => ({ action: 'connect', decided_by: 'binding', ...fields }) as RoutingDecision;
  test.each([
    [decision({ agent_id: 'agent_sales', agent_version: 3 }), 'connect agent_sales v3 (binding)'],
    [decision({ agent_id: 'agent_sales', agent_version: 'latest_published' }), 'connect agent_sales (latest_published) (binding)'],
    [decision({ agent_id: 'agent_sales', decided_by: 'binding_after_webhook_failure', webhook_error: 'timeout' }), 'connect agent_sales (binding after webhook failure; webhook not used: timeout)'],
    [decision({ action: 'forward', forward_to: '+14155550100', decided_by: 'outage' }), 'forward to +14155550100 (outage)'],
    [decision({ action: 'forward', forward_to: '+14155550100', decided_by: 'number_capacity' }), 'forward to +14155550100 (number at capacity)'],
    [decision({ action: 'reject', reason: 'country_not_allowed', decided_by: 'country_policy' }), 'reject: country_not_allowed'],
    [decision({ action: 'reject', reason: 'outside_calling_hours', decided_by: 'calling_hours', next_allowed_at: '2026-12-02T14:00:00.000Z' }), 'reject: outside_calling_hours (next allowed 2026-12-02T14:00:00.000Z)'],
    [decision({ agent_id: 'agent_out', caller_id: '+14155550123', decided_by: 'pool', caller_id_match: 'area_code' }), 'connect agent_out calling from +14155550123 (pool, area code match)'],
  ])('%j → %s', (input, words) => {
    expect(decisionInWords(input)).toBe(words);
  });
});

describe('number form', () => {
  const number = {
    id: 'n1', nickname: 'front desk', status: 'active', capabilities: { voice: true, sms: false },
    allowed_inbound_country_list: [], allowed_outbound_country_list: ['US'], inbound_webhook_url: null, inbound_sms_webhook_url: null,
    fallback_number: null, max_concurrent_calls: null, carrier_id: null, calling_hours: null,
    sip: { termination_uri: null, outbound_proxy: null, auth_username: null, transport: 'TCP', uac_enabled: false, uac_register_expires: 3600, has_password: true },
    inbound_agents: [{ agent_id: 'a', weight: 1 }], outbound_agents: [], inbound_sms_agents: [], outbound_sms_agents: [],
  } as unknown as PhoneNumber;

  test('an untouched form changes nothing; the write-only password is sent only when typed', () => {
    expect(changesOf(number, formOf(number))).toEqual({ changes: {}, refused: {}, invalid: {} });
    expect(changesOf(number, { ...formOf(number), sip_password: 's3cret-pass' }).changes).toEqual({ sip: { auth_password: 's3cret-pass' } });
    expect(changesOf(number, { ...formOf(number), sip_password_remove: true }).changes).toEqual({ sip: { auth_password: null } });
  });

  test('sends only the changed fields; empty text clears; a bad split is refused', () => {
    const form = { ...formOf(number), nickname: '', allowed_inbound_country_list: 'us, ca', max_concurrent_calls: '5' };
    form.agents = { ...form.agents, inbound_agents: [row('a', '0.5'), row('b', '0.5')], outbound_agents: [row('c', '0.4')] };
    expect(changesOf(number, form)).toEqual({
      changes: { nickname: null, allowed_inbound_country_list: ['US', 'CA'], max_concurrent_calls: 5, inbound_agents: [{ agent_id: 'a', weight: 0.5 }, { agent_id: 'b', weight: 0.5 }] },
      refused: { outbound_agents: 'weights must sum to 1; they sum to 0.4' },
      invalid: {},
    });
  });

  test('a count that is not a whole number is named by its API field, not sent', () => {
    expect(changesOf(number, { ...formOf(number), max_concurrent_calls: '2.5', sip_uac_register_expires: 'soon' }).invalid).toEqual({
      max_concurrent_calls: 'must be a whole number',
      'sip.uac_register_expires': 'must be a whole number',
    });
  });

  test("finds the server's message for a field or anything inside it", () => {
    const errors = { fallback_number: 'must be a valid phone number', 'inbound_agents[1].weight': 'must be a number greater than 0' };
    expect(errorFor(errors, 'fallback_number')).toBe('must be a valid phone number');
    expect(errorFor(errors, 'inbound_agents')).toBe('inbound_agents[1].weight: must be a number greater than 0');
    expect(errorFor(errors, 'nickname')).toBeUndefined();
  });
});
