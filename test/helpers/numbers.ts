import crypto from 'node:crypto';

let next = crypto.randomInt(0, 5000);

/**
 * A valid US number not used before in this test process (San Francisco 415-777-xxxx). Each test
 * file has its own store, so numbers only need to be unique within a file.
 */
export function freshNumber(): string {
  next = (next + 1) % 10_000;
  return `+1415777${String(next).padStart(4, '0')}`;
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
