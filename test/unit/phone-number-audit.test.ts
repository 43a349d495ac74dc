import { expect, test } from 'vitest';
import { changedFields, eventRow, givenFields } from '../../src/services/phone-numbers/audit.ts';
import { mergeRow, newRow, rowToPhoneNumber } from '../../src/services/phone-numbers/rows.ts';

const NOW = '2026-12-01T10:00:00.000Z';
const seal = (plain: string) => `sealed(${plain})`;

test('givenFields names nested SIP settings by their path and skips absent fields', () => {
  expect(givenFields({ phone_number: '+14157774444', nickname: null, sip: { transport: 'TLS', auth_password: 'x', outbound_proxy: undefined }, status: undefined })).toEqual([
    'phone_number',
    'nickname',
    'sip.transport',
    'sip.auth_password',
  ]);
});

test('changedFields lists what differs, a password change by its write-only name, never the timestamps', () => {
  const current = newRow('ws', { number: '+14157774444', pseudo: false }, {}, NOW, seal);
  const before = rowToPhoneNumber(current);
  const after = rowToPhoneNumber({ ...mergeRow(current, { nickname: 'n', sip: { auth_password: 'x' }, inbound_agents: [{ agent_id: 'a', weight: 1 }] }, '2026-12-02T00:00:00.000Z', seal), version: 2 });
  expect(changedFields(before, after)).toEqual(['nickname', 'sip.auth_password', 'inbound_agents']);
  expect(changedFields(before, before)).toEqual([]);
  // Told which fields the change named, only those are compared (in the record's order still).
  expect(changedFields(before, after, new Set(['inbound_agents', 'sip', 'nickname']))).toEqual(['nickname', 'sip.auth_password', 'inbound_agents']);
  expect(changedFields(before, after, new Set(['inbound_agents']))).toEqual(['inbound_agents']);
});

test('an event row keeps the record without its version and without the sealed password', () => {
  const record = rowToPhoneNumber(newRow('ws', { number: '+14157774444', pseudo: false }, { sip: { auth_password: 'hunter2' } }, NOW, seal));
  const row = eventRow({ workspaceId: 'ws', keyId: 'key', scopes: new Set() }, { action: 'create', phoneNumberId: record.id, changed: ['sip.auth_password'], before: null, after: record, at: NOW });
  expect(row).toMatchObject({ workspace_id: 'ws', phone_number_id: record.id, action: 'create', actor_key_id: 'key', before: null, at: NOW });
  const after = JSON.parse(row.after!);
  expect(after.version).toBeUndefined();
  expect(after.sip.has_password).toBe(true);
  expect(row.after).not.toContain('hunter2');
  expect(JSON.parse(row.changed_fields)).toEqual(['sip.auth_password']);
});
