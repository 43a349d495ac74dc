/**
 * Routing decisions while bulk imports run, in one process on embedded SQLite (a file, WAL):
 *
 *   node --import tsx bench/decisions-during-import.ts [--imports 3] [--size 10000] [--interval-ms 2] [checkout-root]
 *
 * `--imports` bulk imports of `--size` numbers go through `POST /v1/phone-numbers/bulk`
 * (app.inject: body parsing, validation, the service, the response), one after another, while an
 * inbound decision is sent every `--interval-ms` through `POST /v1/routing/inbound`. Prints one JSON
 * line: decision latency p50/p99/max over the decisions that overlapped an import, and the longest
 * event-loop stall (perf_hooks.monitorEventLoopDelay max, and the largest gap of a 1 ms timer),
 * and the most CPU time the main thread itself spent in any one gap of that timer (Linux): on a
 * loaded machine a gap is partly time spent waiting for a core, which no code change removes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { benchNumber, NUMBER_SPACE } from './lib/numbers.ts';
import { seedItem } from './scenarios.ts';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    imports: { type: 'string', default: '3' },
    size: { type: 'string', default: '10000' },
    'interval-ms': { type: 'string', default: '2' },
  },
});
const root = path.resolve(positionals[0] ?? path.join(import.meta.dirname, '..'));
const { loadConfig } = (await import(path.join(root, 'src/config.ts'))) as typeof import('../src/config.ts');
const { openRuntime, buildServer } = (await import(path.join(root, 'src/runtime.ts'))) as typeof import('../src/runtime.ts');

const size = Number(args.size);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-during-import-'));
const config = loadConfig({ DATABASE_URL: `sqlite:${path.join(dir, 'bench.db')}`, SWITCHBOARD_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_LEVEL: 'silent' });
const runtime = await openRuntime(config);
const app = await buildServer(config, runtime);
await app.ready();
await runtime.services.routing.indexLoaded();
const workspace = await runtime.services.workspaces.ensureWorkspace('bench');
const key = (await runtime.services.workspaces.createKey(workspace.id, ['numbers:read', 'numbers:write', 'routing'])).key;
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
const routed = benchNumber(0);
await app.inject({ method: 'POST', url: '/v1/phone-numbers', headers, payload: JSON.stringify(seedItem(routed)) });
const decisionBody = JSON.stringify({ to: routed, from: '+12125551234', call_id: 'bench' });
const decide = () => app.inject({ method: 'POST', url: '/v1/routing/inbound', headers, payload: decisionBody });
for (let i = 0; i < 200; i++) await decide(); // warm: compiled validators, JIT
// The bulk route's validator and serializer are compiled on its first use, and 200 numbers start
// the bulk-import worker thread of a SQLite file (bulk-worker-client.ts): not part of the figure.
const warm = Array.from({ length: 200 }, (_, i) => seedItem(benchNumber(NUMBER_SPACE - 1 - i)));
await app.inject({ method: 'POST', url: '/v1/phone-numbers/bulk', headers, payload: JSON.stringify({ items: warm }) });

const payloads = Array.from({ length: Number(args.imports) }, (_, round) =>
  JSON.stringify({ items: Array.from({ length: size }, (_, i) => seedItem(benchNumber(1 + round * size + i))) }),
);

const loop = monitorEventLoopDelay({ resolution: 1 });
let largestGapMs = 0;
// On a loaded machine most of a long gap can be time the main thread waited for a core (other
// processes, or this import's own worker thread): Linux's schedstat says how much of each gap the
// main thread spent running, i.e. how long our own code held the loop.
const cpuNs = mainThreadCpuNs();
let largestGapCpuMs = 0;
let lastTick = performance.now();
let lastCpu = cpuNs?.() ?? 0;
const probe = setInterval(() => {
  const now = performance.now();
  largestGapMs = Math.max(largestGapMs, now - lastTick);
  lastTick = now;
  if (cpuNs) {
    const cpu = cpuNs();
    largestGapCpuMs = Math.max(largestGapCpuMs, (cpu - lastCpu) / 1e6);
    lastCpu = cpu;
  }
}, 1);

let importing = true;
const latencies: number[] = [];
const deciding = (async () => {
  const interval = Number(args['interval-ms']);
  while (importing) {
    const started = performance.now();
    const response = await decide();
    if (response.statusCode !== 200) throw new Error(`decision: ${response.statusCode} ${response.body}`);
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
})();

loop.enable();
const importStarted = performance.now();
for (const payload of payloads) {
  // As a stream, and the count only: decoding (let alone parsing) ten megabytes of records here
  // would be the client's stall, not the server's (light-my-request otherwise decodes the whole
  // body into one string).
  const response = await app.inject({ method: 'POST', url: '/v1/phone-numbers/bulk', headers, payload, payloadAsStream: true });
  const chunks: Buffer[] = [];
  for await (const chunk of response.stream()) chunks.push(chunk as Buffer);
  const head = chunks[0]?.subarray(0, 100).toString() ?? '';
  if (response.statusCode !== 200 || Number(/^\{"created":(\d+)/.exec(head)?.[1]) !== size) throw new Error(`bulk: ${response.statusCode} ${head}`);
}
const importMs = performance.now() - importStarted;
importing = false;
await deciding;
loop.disable();
clearInterval(probe);
await app.close();
await runtime.close();
fs.rmSync(dir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
const quantile = (q: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1));
process.stdout.write(
  `${JSON.stringify({
    root,
    imports: payloads.length,
    numbersPerImport: size,
    importMsEach: Math.round(importMs / payloads.length),
    decisions: latencies.length,
    decisionMs: { p50: quantile(0.5), p99: quantile(0.99), max: Number(latencies.at(-1)!.toFixed(1)) },
    loopDelayMaxMs: Number((loop.max / 1e6).toFixed(1)),
    timerGapMaxMs: Number(largestGapMs.toFixed(1)),
    // The most main-thread CPU time between two turns of the 1 ms timer (null where /proc has no schedstat).
    timerGapCpuMaxMs: cpuNs ? Number(largestGapCpuMs.toFixed(1)) : null,
  })}\n`,
);

/** Nanoseconds the main thread has run on a CPU (Linux: /proc/self/task/<pid>/schedstat), or null. */
function mainThreadCpuNs(): (() => number) | null {
  const file = `/proc/self/task/${process.pid}/schedstat`;
  if (!fs.existsSync(file)) return null;
  return () => Number(fs.readFileSync(file, 'utf8').split(' ')[0]);
}
