/**
 * Memory under a steady mixed load, in one process on embedded SQLite (a file, WAL):
 *
 *   node --expose-gc --import tsx bench/memory-soak.ts [--minutes 10] [--live 20000] [checkout-root]
 *
 * Seeds `--live` numbers, then loops for `--minutes` through the HTTP surface (app.inject): a
 * bulk import of 500 fresh numbers, PATCHes that bind fresh agent ids and calling hours (new
 * entries in the routing index's agent and calling-window caches) and move numbers between
 * countries' policies, deletes of as many old numbers as were imported (so the live set stays
 * `--live`), and routing decisions (inbound from callers all over the world, outbound by agent).
 * Every 10 s it records RSS and the heap after a full GC; prints one JSON line: RSS and heap
 * after the first minute and at the end, and their ratio (the target: within 15 %).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchNumber } from './lib/numbers.ts';
import { seedItem } from './scenarios.ts';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { minutes: { type: 'string', default: '10' }, live: { type: 'string', default: '20000' } },
});
const root = path.resolve(positionals[0] ?? path.join(import.meta.dirname, '..'));
const { loadConfig } = (await import(path.join(root, 'src/config.ts'))) as typeof import('../src/config.ts');
const { openRuntime, buildServer } = (await import(path.join(root, 'src/runtime.ts'))) as typeof import('../src/runtime.ts');

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const durationMs = Number(args.minutes) * 60_000;
const liveTarget = Number(args.live);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-soak-'));
const config = loadConfig({ DATABASE_URL: `sqlite:${path.join(dir, 'soak.db')}`, SWITCHBOARD_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '1000000000' });
const runtime = await openRuntime(config);
const app = await buildServer(config, runtime);
await app.ready();
await runtime.services.routing.indexLoaded();
const workspace = await runtime.services.workspaces.ensureWorkspace('soak');
const key = (await runtime.services.workspaces.createKey(workspace.id, ['numbers:read', 'numbers:write', 'routing', 'admin'])).key;
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<string> {
  const response = await app.inject({ method, url, ...(body === undefined ? { headers: { authorization: headers.authorization } } : { headers, payload: JSON.stringify(body) }) });
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body.slice(0, 300)}`);
  return response.body;
}

/** Live numbers, oldest first: [id, e164]. */
const live: Array<[string, string]> = [];
let nextIndex = 0;
async function importBatch(count: number): Promise<void> {
  const items = Array.from({ length: count }, () => seedItem(benchNumber(nextIndex++)));
  const body = JSON.parse(await call('POST', '/v1/phone-numbers/bulk', { items })) as { data: Array<{ phone_number: { id: string; phone_number: string } }> };
  for (const item of body.data) live.push([item.phone_number.id, item.phone_number.phone_number]);
}
for (let seeded = 0; seeded < liveTarget; seeded += 5000) await importBatch(Math.min(5000, liveTarget - seeded));

const COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'SE', 'AU', 'JP', 'BR', 'MX', 'IN'];
const CALLERS = ['+1212555', '+1416555', '+4420712', '+4930123', '+3314123', '+3491123', '+3906123', '+3120123', '+4687123', '+6129123', '+8131234', '+5511912', '+5255123', '+9198123'];
let round = 0;
const random = (n: number) => Math.floor(Math.random() * n);

async function mixedRound(): Promise<void> {
  round++;
  await importBatch(500);
  for (let i = 0; i < 50; i++) {
    const [id] = live[random(live.length)]!;
    const start = 8 + random(4);
    await call('PATCH', `/v1/phone-numbers/${id}`, {
      // A fresh agent id each time: entries that must leave the caches when no number names them any more.
      inbound_agents: [{ agent_id: `agent_${round}_${i}`, weight: 1 }],
      outbound_agents: [{ agent_id: `out_${round % 7}`, weight: 1 }],
      calling_hours: { days: [1, 2, 3, 4, 5], start: `${String(start).padStart(2, '0')}:00`, end: `${start + 8}:${random(2) === 0 ? '00' : '30'}` },
      allowed_inbound_country_list: [COUNTRIES[random(COUNTRIES.length)]!, COUNTRIES[random(COUNTRIES.length)]!],
    });
  }
  for (const [id] of live.splice(0, 500)) await call('DELETE', `/v1/phone-numbers/${id}`);
  for (let i = 0; i < 400; i++) {
    const [, e164] = live[random(live.length)]!;
    const caller = `${CALLERS[random(CALLERS.length)]!}${String(random(10_000)).padStart(4, '0')}`;
    await call('POST', '/v1/routing/inbound', { to: e164, from: caller, call_id: `c${round}_${i}` });
    if (i % 4 === 0) await call('POST', '/v1/routing/outbound', { to: caller, agent_id: `out_${random(7)}` });
  }
}

function sample(elapsedMs: number) {
  gc!();
  const memory = process.memoryUsage();
  return { atSeconds: Math.round(elapsedMs / 1000), rssMb: Math.round(memory.rss / 2 ** 20), heapMb: Math.round(memory.heapUsed / 2 ** 20) };
}

const started = performance.now();
const samples: Array<ReturnType<typeof sample>> = [];
let nextSample = 10_000;
while (performance.now() - started < durationMs) {
  await mixedRound();
  const elapsed = performance.now() - started;
  if (elapsed >= nextSample) {
    samples.push(sample(elapsed));
    nextSample += 10_000;
  }
}
samples.push(sample(performance.now() - started));
const afterFirstMinute = samples.find((s) => s.atSeconds >= 60) ?? samples[0]!;
const end = samples.at(-1)!;
await app.close();
await runtime.close();
fs.rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    root,
    minutes: Number(args.minutes),
    live: liveTarget,
    rounds: round,
    afterFirstMinute,
    end,
    rssRatio: Number((end.rssMb / afterFirstMinute.rssMb).toFixed(3)),
    heapRatio: Number((end.heapMb / afterFirstMinute.heapMb).toFixed(3)),
    samples: samples.map((s) => [s.atSeconds, s.rssMb, s.heapMb]),
  })}\n`,
);
