import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

/** Runs `work` while a 1 ms timer records the longest time the event loop went without a turn. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number; tookMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  try {
    const result = await work();
    return { result, stallMs: Math.max(stallMs, performance.now() - last), tookMs: performance.now() - started };
  } finally {
    clearInterval(probe);
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
