import { describe, expect, test } from 'vitest';
import { isPseudoShape, isStrictE164, numberKeys, pseudoFacts } from '../../src/domain/phone.ts';

describe('pseudo numbers', () => {
  test('the shape: digits with an optional "+", or letters, digits, "-", "_", at most 64 characters', () => {
    for (const value of ['75992295', '+75992295', 'agent-line-1', 'A_b-9', 'x'.repeat(64)]) expect(isPseudoShape(value), value).toBe(true);
    for (const value of ['', 'x'.repeat(65), 'a b', 'a.b', '+a1', '+1-2', '1+2', 'ü']) expect(isPseudoShape(value), value).toBe(false);
  });

  test('strict E.164 is the "+" form of a number some country assigns', () => {
    expect(isStrictE164('+14157774444')).toBe(true);
    expect(isStrictE164('14157774444')).toBe(false);
    expect(isStrictE164('+75992295')).toBe(false);
  });

  test('a reference names its exact key first, then its E.164 form', () => {
    expect(numberKeys('+14157774444')).toEqual(['+14157774444']);
    expect(numberKeys('14157774444')).toEqual(['14157774444', '+14157774444']);
    expect(numberKeys('agent-line-1')).toEqual(['agent-line-1']);
    expect(numberKeys('+1 (415) 777-4444')).toEqual(['+14157774444']);
    expect(numberKeys('a b')).toEqual([]);
  });

  test('a pseudo number derives nothing', () => {
    expect(pseudoFacts('75992295')).toEqual({
      e164: '75992295',
      country: null,
      region: null,
      locality: null,
      area_code: null,
      number_type: 'pseudo',
      time_zones: [],
      pretty: '75992295',
    });
  });
});
