import { DateTime } from 'luxon';
import type { CallingHours } from '../phone-numbers/model.ts';
import { minutesOfDay } from '../phone-numbers/validate.ts';

/** A calling window prepared for checks: weekday bit set and minute bounds. */
export interface CallingWindow {
  hours: CallingHours;
  /** Bit n set = ISO weekday n allowed. */
  dayMask: number;
  startMinute: number;
  endMinute: number;
}

export function callingWindow(hours: CallingHours): CallingWindow {
  let dayMask = 0;
  for (const day of hours.days) dayMask |= 1 << day;
  return { hours, dayMask, startMinute: minutesOfDay(hours.start) ?? 0, endMinute: minutesOfDay(hours.end) ?? 1440 };
}

/**
 * Null when `atMs` lies inside every window in `zone`; otherwise the earliest instant at or
 * after `atMs` that does. Wall-clock arithmetic is luxon's (IANA zones, DST gaps and folds):
 * a window start that falls in a spring-forward gap is moved forward by the gap (02:30 → 03:30
 * on a one-hour change), and a start in a repeated hour is its first occurrence.
 */
export function nextAllowedTime(windows: readonly CallingWindow[], zone: string, atMs: number): Date | null {
  let candidate = atMs;
  // Each step moves to a later window start; a fortnight of steps per window covers every weekly pattern.
  for (let step = 0; step < 16 * Math.max(1, windows.length); step++) {
    let moved = false;
    for (const window of windows) {
      const next = nextInWindow(window, zone, candidate);
      if (next > candidate) {
        candidate = next;
        moved = true;
      }
    }
    if (!moved) return candidate === atMs ? null : new Date(candidate);
  }
  return new Date(candidate);
}

function nextInWindow(window: CallingWindow, zone: string, atMs: number): number {
  const local = DateTime.fromMillis(atMs, { zone });
  for (let offset = 0; offset <= 7; offset++) {
    const day = local.startOf('day').plus({ days: offset });
    if ((window.dayMask & (1 << day.weekday)) === 0) continue;
    const start = day.set({ hour: Math.floor(window.startMinute / 60), minute: window.startMinute % 60 });
    const end =
      window.endMinute === 1440
        ? day.plus({ days: 1 })
        : day.set({ hour: Math.floor(window.endMinute / 60), minute: window.endMinute % 60 });
    if (atMs < start.toMillis()) return start.toMillis();
    if (atMs < end.toMillis()) return atMs;
  }
  return atMs;
}
