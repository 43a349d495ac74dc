import { setImmediate as nextTurn } from 'node:timers/promises';

/** The longest stretch of synchronous work a long write runs before giving the event loop a turn. */
export const SLICE_MS = 10;

/**
 * Long synchronous work (a 10,000-number bulk import validates, encodes and writes for seconds
 * on a busy machine) cut into slices: `breathe()` yields one turn of the event loop once
 * `sliceMs` of work has run since the last turn, so routing decisions, health checks and
 * other requests run in between. Callers call it between steps that are each well under a
 * slice (one item, one multi-row statement), which bounds every stall to a slice plus a step.
 */
export class LoopBudget {
  private since = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  async breathe(): Promise<void> {
    if (performance.now() - this.since < this.sliceMs) return;
    await nextTurn();
    this.since = performance.now();
  }
}
