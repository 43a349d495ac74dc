import { expect, test } from 'vitest';
import { reconnectDelayMs } from '../../src/services/routing/sync.ts';

test('reconnect delays grow exponentially from 100 ms, are capped at 3 s, and are jittered by up to half', () => {
  const lowest = (attempt: number) => reconnectDelayMs(attempt, () => 0);
  const highest = (attempt: number) => reconnectDelayMs(attempt, () => 1);
  expect([0, 1, 2, 3, 4, 5].map(highest)).toEqual([100, 200, 400, 800, 1600, 3000]);
  expect([0, 1, 2, 3, 4, 5].map(lowest)).toEqual([50, 100, 200, 400, 800, 1500]);
  // Forever means forever: a very late attempt is still a bounded, finite delay.
  expect(highest(10_000)).toBe(3000);
  expect(lowest(10_000)).toBe(1500);
});
