import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHarness, onPostgres, type Harness } from '../helpers/harness.ts';
import { routingWorkspace, type RoutingWorkspace } from '../helpers/routing-fixtures.ts';

// A 10,000-number bulk import on SQLite runs its statements on the event loop: it must give the
// loop a turn often enough that routing decisions are not held up. Before the import was cut
// into slices the loop stood still for the whole import (1.7 s on an idle machine).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-loop-'));
let h: Harness;
let ws: RoutingWorkspace;
let routed: { id: string; phone_number: string };

beforeAll(async () => {
  h = await createHarness(onPostgres ? {} : { databaseUrl: `sqlite:${path.join(dir, 'loop.db')}` });
  ws = await routingWorkspace(h);
  routed = await ws.importNumber({ phone_number: '+13125550100', inbound_agents: [{ agent_id: 'a', weight: 1 }] });
});

afterAll(async () => {
  await h.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function items(exchange: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    phone_number: `+1312${exchange + Math.floor(i / 10_000)}${String(i % 10_000).padStart(4, '0')}`,
    inbound_agents: [{ agent_id: 'a', weight: 0.7 }, { agent_id: 'b', weight: 0.3, agent_version: 3 }],
    outbound_agents: [{ agent_id: 'a', weight: 1 }],
  }));
}

/** Nanoseconds the main thread has run on a CPU (Linux schedstat), or null where /proc does not say. */
const mainThreadCpuNs = (() => {
  const file = `/proc/self/task/${process.pid}/schedstat`;
  return fs.existsSync(file) ? () => Number(fs.readFileSync(file, 'utf8').split(' ')[0]) : null;
})();

/**
 * Runs `work` while a 1 ms timer records the longest time the event loop went without a turn
 * (`stallMs`), and the most CPU time the main thread spent in any one such gap outside garbage
 * collection (`stallCpuMs`). On a loaded machine much of a long gap is time spent waiting for a
 * core, and a young-generation collection, whose parallel helpers get no core, was seen to take
 * 80-155 ms of the main thread (measured with a `gc` PerformanceObserver); neither says whether
 * the code gives the loop its turns, which is what these tests are about. The collections are
 * reported after the fact, so each gap is kept and the collections inside it subtracted at the end.
 */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number; stallCpuMs: number; tookMs: number }> {
  const gaps: Array<{ from: number; to: number; cpuMs: number }> = [];
  const collections: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => collections.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  let last = performance.now();
  let lastCpu = mainThreadCpuNs?.() ?? 0;
  let stallMs = 0;
  const tick = () => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    if (mainThreadCpuNs) {
      const cpu = mainThreadCpuNs();
      // Gaps of under 5 ms of running cannot matter to a bound many times that.
      if (cpu - lastCpu > 5e6) gaps.push({ from: last, to: now, cpuMs: (cpu - lastCpu) / 1e6 });
      lastCpu = cpu;
    }
    last = now;
  };
  const probe = setInterval(tick, 1);
  const started = performance.now();
  try {
    const result = await work();
    tick();
    const tookMs = performance.now() - started;
    // The observer hears of the last collections on a later turn.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const collecting = (gap: { from: number; to: number }) =>
      collections.reduce((sum, gc) => sum + Math.max(0, Math.min(gap.to, gc.startTime + gc.duration) - Math.max(gap.from, gc.startTime)), 0);
    const stallCpuMs = Math.max(0, ...gaps.map((gap) => gap.cpuMs - collecting(gap)));
    return { result, stallMs, stallCpuMs, tookMs };
  } finally {
    clearInterval(probe);
    observer.disconnect();
  }
}

test.skipIf(onPostgres)('a 10,000-number import never holds the event loop for long, and decisions are answered meanwhile', async () => {
  const routing = h.runtime.services.routing;
  let decided = 0;
  let importing = true;
  const deciding = (async () => {
    while (importing) {
      const decision = await routing.inbound(ws.actor, { to: routed.phone_number, from: '+12125551234' }, 'voice');
      expect(decision.action).toBe('connect');
      decided++;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  const { result, stallMs, tookMs } = await longestStall(() => h.runtime.services.phoneNumbers.importMany(ws.actor, items(200, 10_000) as never));
  importing = false;
  await deciding;
  expect(result.filter((item) => item.status === 'created')).toHaveLength(10_000);
  // Generous bounds for a shared, loaded machine (measured: BENCHMARKS.md; up to 1.3 s under a
  // load average of 20); one unbroken import would stall the loop for all of `tookMs`.
  expect(stallMs).toBeLessThan(Math.min(2500, tookMs / 4));
  expect(decided).toBeGreaterThan(10);
  // Every number is routable once the import has returned: the index took them all in.
  const last = result.at(-1) as { phone_number: { id: string; phone_number: string } };
  expect(routing.router.index.get(last.phone_number.id)).toBeDefined();
}, 120_000);

test.skipIf(onPostgres)('the bulk endpoint keeps per-item results and one transaction: a failing item fails alone', async () => {
  const batch = items(210, 3);
  batch[1]!.phone_number = 'not a number';
  const response = await h.request('POST', '/v1/phone-numbers/bulk', { key: ws.admin, json: { items: [...batch, batch[0]] } });
  expect(response.status).toBe(200);
  const body = response.json();
  expect(body).toMatchObject({ created: 2, failed: 2 });
  expect(body.data.map((item: { status: string }) => item.status)).toEqual(['created', 'failed', 'created', 'failed']);
  expect(body.data[3].error.code).toBe('CONFLICT');
  expect(body.data[0].phone_number).not.toHaveProperty('version');
});

// On a SQLite file, imports of 100 numbers or more run on the bulk-import worker thread: the
// validation, inserts, commit and WAL checkpoint stall only that thread, and a large body is parsed
// and validated there too. What is left on this thread (handing the body over, decoding the
// results, indexing the records, writing the response) runs in slices. Measured: BENCHMARKS.md,
// "Decisions during a bulk import" (longest stall ≈ 20-40 ms of main-thread CPU on a loaded 2-core
// machine; the whole body parsed and validated here was one stall of ≈ 60-110 ms). The bound is on
// the main thread's own running time outside garbage collection (see `longestStall`): on a loaded
// machine a gap's wall time is mostly waiting for a core (a 372 ms gap held 18 ms of running), which
// says nothing of the code. Where the kernel does not say (no /proc schedstat), the old generous
// wall-clock bound stands in. The bound is generous (the benchmark shows the 50 ms figure).
const STALL_CPU_MS = 80;
const STALL_WALL_MS = 250;

function expectShortStalls(stallMs: number, stallCpuMs: number): void {
  const measured = `longest stall ${stallMs.toFixed(1)} ms, ${stallCpuMs.toFixed(1)} ms of it running`
  if (mainThreadCpuNs) expect(stallCpuMs, measured).toBeLessThan(STALL_CPU_MS);
  else expect(stallMs, measured).toBeLessThan(STALL_WALL_MS);
}

test.skipIf(onPostgres)(`on a SQLite file a 10,000-number import never runs the event loop's thread for ${STALL_CPU_MS} ms at a time`, async () => {
  const { result, stallMs, stallCpuMs } = await longestStall(() => h.runtime.services.phoneNumbers.importMany(ws.actor, items(220, 10_000) as never));
  expect(result.filter((item) => item.status === 'created')).toHaveLength(10_000);
  expectShortStalls(stallMs, stallCpuMs);
}, 120_000);

test.skipIf(onPostgres)(`on a SQLite file a 10,000-number POST /v1/phone-numbers/bulk never runs the event loop's thread for ${STALL_CPU_MS} ms at a time`, async () => {
  // Encoded before the clock starts: the client's work is not the server's.
  const payload = Buffer.from(JSON.stringify({ items: items(240, 10_000) }));
  const headers = { authorization: `Bearer ${ws.admin}`, 'content-type': 'application/json' };
  const { result, stallMs, stallCpuMs } = await longestStall(async () => {
    const response = await h.app.inject({ method: 'POST', url: '/v1/phone-numbers/bulk', headers, payload, payloadAsStream: true });
    // The count only: decoding the 10 MB answer here would be the client's stall, not the server's.
    let head = '';
    for await (const chunk of response.stream()) if (head.length < 100) head += (chunk as Buffer).subarray(0, 100).toString();
    return { status: response.statusCode, head };
  });
  expect(result.status).toBe(200);
  expect(result.head).toMatch(/^\{"created":10000,"failed":0,/);
  expectShortStalls(stallMs, stallCpuMs);
}, 120_000);

test.skipIf(onPostgres)('an import on the worker thread answers, audits, routes and replays exactly as in process', async () => {
  const taken = await ws.importNumber({ inbound_agents: [{ agent_id: 'a', weight: 1 }] });
  const batch: Array<Record<string, unknown>> = items(230, 150);
  batch[3] = { phone_number: 'not a number' };
  batch[7] = { ...batch[5] };
  batch[9] = { phone_number: taken.phone_number };
  batch[11] = { ...batch[11], sip: { auth_username: 'u', auth_password: 'secret-1' } };
  const send = () => h.request('POST', '/v1/phone-numbers/bulk', { key: ws.admin, json: { items: batch }, headers: { 'idempotency-key': 'bulk-worker-0001' } });
  const response = await send();
  expect(response.status).toBe(200);
  const body = response.json();
  expect(body).toMatchObject({ created: 147, failed: 3 });
  expect(body.data[3]).toMatchObject({ index: 3, status: 'failed', error: { status: 400, code: 'VALIDATION_FAILED' } });
  expect(body.data[7]).toMatchObject({ index: 7, status: 'failed', error: { status: 409, code: 'CONFLICT' } });
  expect(body.data[9]).toMatchObject({ index: 9, status: 'failed', error: { status: 409, code: 'CONFLICT', errors: [{ field: 'phone_number', message: 'already registered' }] } });
  const created = body.data[11].phone_number;
  expect(created).toMatchObject({ sip: { auth_username: 'u', has_password: true } });
  // Sealed on the worker with the process's key: the main thread opens it.
  expect(await h.runtime.services.phoneNumbers.sipPassword(ws.actor, created.id)).toBe('secret-1');
  // The audit trail names the key, and the main thread's index routes the number at once.
  const events = await h.request('GET', `/v1/phone-numbers/${created.id}/events`, { key: ws.admin });
  expect(events.json().data).toMatchObject([{ action: 'create', actor_key_id: ws.actor.keyId ?? expect.any(String) }]);
  expect(h.runtime.services.routing.router.index.get(created.id)).toBeDefined();
  const decision = await h.runtime.services.routing.inbound(ws.actor, { to: body.data[0].phone_number.phone_number, from: '+12125551234' }, 'voice');
  expect(decision.action).toBe('connect');
  // The same request again is the same answer (Idempotency-Key), not 150 conflicts.
  const replay = await send();
  expect(replay.status).toBe(200);
  expect(replay.json()).toEqual(body);
});
