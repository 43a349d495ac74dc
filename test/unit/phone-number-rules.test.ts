import { expect, test } from 'vitest';
import { issuesByNumber, ruleIssues, type StoredFacts } from '../../src/services/phone-numbers/rules.ts';

// The cross-record rules as verdicts over a batch and the facts the store supplied.
const CARRIER = '019a8f3e-7c1d-7b2a-9f00-5d3c2b1a0e9f';
const none: StoredFacts = { carriers: new Set(), fallbackOf: new Map(), referrerOf: new Map() };
let ids = 0;
const row = (e164: string, fields: { carrier_id?: string; fallback_number?: string } = {}) => ({
  id: `id-${++ids}`,
  e164,
  carrier_id: fields.carrier_id ?? null,
  fallback_number: fields.fallback_number ?? null,
});

test('a carrier must be one the store knows in the workspace', () => {
  const rows = [row('+14157770001', { carrier_id: CARRIER }), row('+14157770002', { carrier_id: 'nope' }), row('+14157770003')];
  expect(ruleIssues(rows, { ...none, carriers: new Set([CARRIER]) })).toEqual([
    { e164: '+14157770002', issue: { field: 'carrier_id', message: 'carrier nope not found' } },
  ]);
});

test('no fallback chains within the batch, in either direction', () => {
  const rows = [row('+14157770001', { fallback_number: '+14157770002' }), row('+14157770002', { fallback_number: '+14157770003' })];
  expect(ruleIssues(rows, none)).toEqual([
    { e164: '+14157770001', issue: { field: 'fallback_number', message: '+14157770002 has its own fallback number (+14157770003); fallback chains are not allowed' } },
    { e164: '+14157770002', issue: { field: 'fallback_number', message: '+14157770002 is the fallback number of +14157770001, so it cannot have a fallback of its own' } },
  ]);
});

test('no fallback chains with stored numbers, in either direction', () => {
  const facts: StoredFacts = { ...none, fallbackOf: new Map([['+14157770009', '+14157770008']]), referrerOf: new Map([['+14157770002', '+14157770007']]) };
  const issues = ruleIssues([row('+14157770001', { fallback_number: '+14157770009' }), row('+14157770002', { fallback_number: '+14157770005' })], facts);
  expect(issues.map(({ e164, issue }) => [e164, issue.message])).toEqual([
    ['+14157770001', '+14157770009 has its own fallback number (+14157770008); fallback chains are not allowed'],
    ['+14157770002', '+14157770002 is the fallback number of +14157770007, so it cannot have a fallback of its own'],
  ]);
  // A stored fallback target without a fallback of its own is fine.
  expect(ruleIssues([row('+14157770001', { fallback_number: '+14157770006' })], { ...none, fallbackOf: new Map([['+14157770006', null]]) })).toEqual([]);
});

test('issues are grouped by the row they belong to, in the order found', () => {
  const grouped = issuesByNumber([
    { e164: '+1a', issue: { field: 'carrier_id', message: 'one' } },
    { e164: '+1b', issue: { field: 'fallback_number', message: 'two' } },
    { e164: '+1a', issue: { field: 'fallback_number', message: 'three' } },
  ]);
  expect([...grouped]).toEqual([
    ['+1a', [{ field: 'carrier_id', message: 'one' }, { field: 'fallback_number', message: 'three' }]],
    ['+1b', [{ field: 'fallback_number', message: 'two' }]],
  ]);
});
