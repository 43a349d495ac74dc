import { describe, expect, test } from 'vitest';
import { callingWindow, nextAllowedTime } from '../../src/services/routing/calling-hours.ts';

const WEEKDAYS = callingWindow({ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' });
const at = (iso: string) => Date.parse(iso);
const next = (windows: Parameters<typeof nextAllowedTime>[0], zone: string, iso: string) => nextAllowedTime(windows, zone, at(iso))?.toISOString() ?? null;

describe('calling hours', () => {
  test('inside the window: allowed now (null)', () => {
    // Wednesday 2026-06-03 10:00 in New York (EDT, UTC-4).
    expect(next([WEEKDAYS], 'America/New_York', '2026-06-03T14:00:00.000Z')).toBeNull();
  });

  test('before the start: today at the start, in the given zone', () => {
    expect(next([WEEKDAYS], 'America/New_York', '2026-06-03T11:00:00.000Z')).toBe('2026-06-03T13:00:00.000Z');
    expect(next([WEEKDAYS], 'America/Los_Angeles', '2026-06-03T11:00:00.000Z')).toBe('2026-06-03T16:00:00.000Z');
  });

  test('the same instant in different zones: Tokyo is past its window, Los Angeles has not reached it', () => {
    const instant = '2026-06-03T09:30:00.000Z'; // Tokyo 18:30, Los Angeles 02:30.
    expect(next([WEEKDAYS], 'Asia/Tokyo', instant)).toBe('2026-06-04T00:00:00.000Z');
    expect(next([WEEKDAYS], 'America/Los_Angeles', instant)).toBe('2026-06-03T16:00:00.000Z');
  });

  test('after the end: the next allowed day, over the night and the weekend', () => {
    // Wednesday 18:00 New York → Thursday 09:00.
    expect(next([WEEKDAYS], 'America/New_York', '2026-06-03T22:00:00.000Z')).toBe('2026-06-04T13:00:00.000Z');
    // Friday 17:00 exactly (the end is exclusive) → Monday 09:00.
    expect(next([WEEKDAYS], 'America/New_York', '2026-06-05T21:00:00.000Z')).toBe('2026-06-08T13:00:00.000Z');
    // Saturday noon → Monday 09:00.
    expect(next([WEEKDAYS], 'America/New_York', '2026-06-06T16:00:00.000Z')).toBe('2026-06-08T13:00:00.000Z');
  });

  test('a window to 24:00 runs to midnight, and the next day it starts again', () => {
    const evenings = callingWindow({ days: [1, 2, 3, 4, 5, 6, 7], start: '20:00', end: '24:00' });
    expect(next([evenings], 'UTC', '2026-06-03T23:59:00.000Z')).toBeNull();
    expect(next([evenings], 'UTC', '2026-06-04T00:00:00.000Z')).toBe('2026-06-04T20:00:00.000Z');
  });

  test('several windows (number and pool): the earliest instant inside all of them', () => {
    const afternoons = callingWindow({ days: [3, 4], start: '12:00', end: '20:00' });
    // Wednesday 10:00 UTC: the number allows it, the pool only from 12:00.
    expect(next([WEEKDAYS, afternoons], 'UTC', '2026-06-03T10:00:00.000Z')).toBe('2026-06-03T12:00:00.000Z');
    // Thursday 18:00: past the number's window → Friday, when the pool does not allow → next Wednesday 12:00.
    expect(next([WEEKDAYS, afternoons], 'UTC', '2026-06-04T18:00:00.000Z')).toBe('2026-06-10T12:00:00.000Z');
  });

  test('windows that never overlap give an instant, not a loop', () => {
    const mornings = callingWindow({ days: [1], start: '08:00', end: '09:00' });
    const evenings = callingWindow({ days: [1], start: '18:00', end: '19:00' });
    expect(nextAllowedTime([mornings, evenings], 'UTC', at('2026-06-01T10:00:00.000Z'))).toBeInstanceOf(Date);
  });

  test('across daylight-saving changes: the window is wall-clock time in the zone', () => {
    // New York, Sunday 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT.
    const sundays = callingWindow({ days: [7], start: '09:00', end: '17:00' });
    expect(next([sundays], 'America/New_York', '2026-03-08T05:00:00.000Z')).toBe('2026-03-08T13:00:00.000Z'); // 09:00 EDT
    expect(next([sundays], 'America/New_York', '2026-03-01T05:00:00.000Z')).toBe('2026-03-01T14:00:00.000Z'); // 09:00 EST
    // A start inside the skipped hour (02:30) is moved forward by the gap (luxon): 03:30 EDT.
    const inGap = callingWindow({ days: [7], start: '02:30', end: '05:00' });
    expect(next([inGap], 'America/New_York', '2026-03-08T05:00:00.000Z')).toBe('2026-03-08T07:30:00.000Z');
    // Sunday 2026-11-01: 01:00-02:00 happens twice; a 01:30 start is the first (EDT) one.
    const repeated = callingWindow({ days: [7], start: '01:30', end: '05:00' });
    expect(next([repeated], 'America/New_York', '2026-11-01T04:00:00.000Z')).toBe('2026-11-01T05:30:00.000Z');
  });
});
