import { describe, expect, test } from 'vitest';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { agentRowsOf, mergeRow, newRow, rowToPhoneNumber } from '../../src/services/phone-numbers/rows.ts';
import { PhoneNumberSchema } from '../../src/services/phone-numbers/schema.ts';

// The record↔row codec, without a store: defaults, "absent keeps, null resets", the derived
// columns, and that every record it decodes satisfies the response schema.
const NOW = '2026-12-01T10:00:00.000Z';
const LATER = '2026-12-01T11:00:00.000Z';
const seal = (plain: string) => `sealed(${plain})`;
// The response schema as the HTTP layer's validator reads it (formats included).
const isResponseRecord = addFormats.default(new Ajv({ strict: false })).compile(PhoneNumberSchema);

describe('newRow', () => {
  test('takes the facts of the number and the defaults of every other field', () => {
    const record = rowToPhoneNumber(newRow('ws', { number: '+14157774444', pseudo: false }, {}, NOW, seal));
    expect(record).toMatchObject({
      workspace_id: 'ws',
      phone_number: '+14157774444',
      status: 'active',
      source: 'manual',
      country: 'US',
      capabilities: { voice: true, sms: false },
      sip: { transport: 'TCP', uac_enabled: false, uac_register_expires: 300, has_password: false },
      inbound_agents: [],
      allowed_inbound_country_list: [],
      calling_hours: null,
      max_concurrent_calls: null,
      created_at: NOW,
      updated_at: NOW,
      version: 1,
    });
    expect(record.time_zones).toContain('America/Los_Angeles');
    expect(isResponseRecord(record), JSON.stringify(isResponseRecord.errors)).toBe(true);
  });

  test('applies the given fields, sealing the SIP password', () => {
    const row = newRow(
      'ws',
      { number: '+14157774444', pseudo: false },
      {
        nickname: 'front desk',
        capabilities: { sms: true },
        sip: { auth_password: 'hunter2', transport: 'TLS' },
        inbound_agents: [{ agent_id: 'a', weight: 1, agent_version: 'latest' }],
        calling_hours: { days: [1, 2], start: '09:00', end: '17:00' },
      },
      NOW,
      seal,
    );
    expect(row.sip_auth_password).toBe('sealed(hunter2)');
    expect(row.has_inbound_agent).toBe(1);
    const record = rowToPhoneNumber(row);
    expect(record).toMatchObject({
      nickname: 'front desk',
      capabilities: { voice: true, sms: true },
      sip: { transport: 'TLS', has_password: true },
      inbound_agents: [{ agent_id: 'a', weight: 1, agent_version: 'latest' }],
      calling_hours: { days: [1, 2], start: '09:00', end: '17:00' },
    });
    expect(isResponseRecord(record), JSON.stringify(isResponseRecord.errors)).toBe(true);
  });
});

describe('mergeRow', () => {
  const current = newRow(
    'ws',
    { number: '+14157774444', pseudo: false },
    { nickname: 'old', sip: { termination_uri: 'sip.example.com', auth_password: 'x' }, inbound_agents: [{ agent_id: 'a', weight: 1 }], max_concurrent_calls: 3 },
    NOW,
    seal,
  );

  test('absent keeps every field, and only the update time moves', () => {
    const next = mergeRow(current, {}, LATER, seal);
    expect(next).toEqual({ ...current, updated_at: LATER });
  });

  test('null resets to the default: SIP settings, lists, limits', () => {
    const next = rowToPhoneNumber(mergeRow(current, { nickname: null, sip: null, inbound_agents: null, max_concurrent_calls: null }, LATER, seal));
    expect(next).toMatchObject({
      nickname: null,
      sip: { termination_uri: null, transport: 'TCP', has_password: false },
      inbound_agents: [],
      max_concurrent_calls: null,
    });
    expect(mergeRow(current, { inbound_agents: [] }, LATER, seal).has_inbound_agent).toBe(0);
  });

  test('a nested SIP change keeps the SIP fields it does not name', () => {
    const next = mergeRow(current, { sip: { transport: 'UDP' } }, LATER, seal);
    expect(next.sip_termination_uri).toBe('sip.example.com');
    expect(next.sip_auth_password).toBe('sealed(x)');
    expect(next.sip_transport).toBe('UDP');
  });
});

test('agentRowsOf lists each agent of any list once', () => {
  const row = newRow(
    'ws',
    { number: '+14157774444', pseudo: false },
    { inbound_agents: [{ agent_id: 'a', weight: 1 }], outbound_agents: [{ agent_id: 'a', weight: 0.5 }, { agent_id: 'b', weight: 0.5 }], inbound_sms_agents: [{ agent_id: 'c', weight: 1 }] },
    NOW,
    seal,
  );
  expect(agentRowsOf(row)).toEqual(['a', 'b', 'c'].map((agent_id) => ({ phone_number_id: row.id, workspace_id: 'ws', agent_id })));
});
