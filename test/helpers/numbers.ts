import crypto from 'node:crypto';

let next = crypto.randomInt(0, 5000);

// Exchanges no test spells out literally (tests do hard-code 415-777-xxxx numbers), so a
// generated number never collides with a fixed one in the same store.
const EXCHANGES = { '415': '778', '650': '253', '212': '736', '604': '555', '214': '222' } as const;

/**
 * A valid North American number not used before in this test process, in the given area code.
 * Each test file has its own store, so numbers only need to be unique within a file.
 */
export function freshNumber(area: keyof typeof EXCHANGES = '415'): string {
  next = (next + 1) % 10_000;
  return `+1${area}${EXCHANGES[area]}${String(next).padStart(4, '0')}`;
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
