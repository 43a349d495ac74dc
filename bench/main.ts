/**
 * `npm run bench [-- --quick] [--stores sqlite,postgres] [--only get-by-id,import] [--no-write]`
 *
 * Every measurement runs against `node bin/switchboard.mjs serve` in its own process, with the
 * load generator (autocannon) in another, and the bare-Fastify baseline in a third, measured in
 * the same run right before each scenario. Figures go to the console and to BENCHMARKS.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeCursor } from '../src/services/pages.ts';
import { runLoad, sequentialLatency, type LoadRequest, type LoadResult } from './lib/load.ts';
import { assertValidSample, benchNumber, WRITE_SPACE_START } from './lib/numbers.ts';
import { freePort, memoryOf, startProcess, ROOT, type Child } from './lib/processes.ts';
import { analyzeStore, BENCH_DIR, openStore, postgresAvailable, readState, writeState, type SeedState, type StoreHandle, type StoreName } from './lib/store.ts';
import { createKey, registeredRoutes, startSwitchboard, switchboardCli } from './lib/switchboard.ts';
import { renderReport, writeBenchmarksMd, type Report, type StoreReport } from './report.ts';
import { HTTP_SCENARIOS, seedItem, type HttpScenario, type ScenarioContext, type Target } from './scenarios.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    stores: { type: 'string', default: 'sqlite,postgres' },
    only: { type: 'string' },
    size: { type: 'string' },
    duration: { type: 'string' },
    'import-size': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    'log-compare': { type: 'boolean' },
    reseed: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'seed-only': { type: 'boolean', default: false },
    checkout: { type: 'string' },
  },
  allowPositionals: false,
});

const QUICK = args.quick;
const profile = {
  mode: QUICK ? ('quick' as const) : ('full' as const),
  size: Number(args.size ?? (QUICK ? 20_000 : 1_000_000)),
  importSize: Number(args['import-size'] ?? (QUICK ? 5_000 : 100_000)),
  // Quick: a smoke run in under two minutes for both stores; the full run is the reference.
  durationSec: Number(args.duration ?? (QUICK ? 1.5 : 10)),
  rounds: 2,
  warmupSec: QUICK ? 0.5 : 3,
  connections: 50,
  bulkChunk: 10_000,
  sequentialSamples: QUICK ? 30 : 200,
  logCompare: args['log-compare'] ?? !QUICK,
};
const only = args.only ? new Set(args.only.split(',')) : null;
const stores = args.stores.split(',').filter(Boolean) as StoreName[];

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

const authHeaders = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

async function post(url: string, key: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: authHeaders(key), body: JSON.stringify(body) });
}

/** Imports `numbers` through POST /v1/phone-numbers/bulk, `inFlight` requests at a time. */
async function bulkImport(
  server: Child,
  key: string,
  numbers: string[],
  chunk: number,
  inFlight: number,
  onCreated?: (ids: string[]) => void,
): Promise<{ seconds: number; created: number; failed: number }> {
  let created = 0;
  let failed = 0;
  let nextChunk = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const start = nextChunk;
      nextChunk += chunk;
      if (start >= numbers.length) return;
      const items = numbers.slice(start, start + chunk).map(seedItem);
      const response = await post(`${server.url}/v1/phone-numbers/bulk`, key, { items });
      if (!response.ok) throw new Error(`bulk import: ${response.status} ${await response.text()}`);
      const result = (await response.json()) as { created: number; failed: number; data: Array<{ status: string; phone_number?: { id: string }; error?: unknown }> };
      created += result.created;
      failed += result.failed;
      if (result.failed > 0) log(`  ! ${result.failed} failed, e.g. ${JSON.stringify(result.data.find((d) => d.status === 'failed'))}`);
      onCreated?.(result.data.filter((d) => d.phone_number).map((d) => d.phone_number!.id));
      if (numbers.length >= 100_000) process.stdout.write(`\r  ${Math.min(start + chunk, numbers.length).toLocaleString('en-US')} / ${numbers.length.toLocaleString('en-US')}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  if (numbers.length >= 100_000) process.stdout.write('\n');
  return { seconds: (performance.now() - started) / 1000, created, failed };
}

/** Seeds `size` numbers into one workspace through the bulk API and remembers where they are. */
async function seed(handle: StoreHandle, size: number): Promise<SeedState> {
  log(`  seeding ${size.toLocaleString('en-US')} numbers through POST /v1/phone-numbers/bulk …`);
  const workspace = 'bench';
  const key = await createKey(handle, workspace);
  const server = await startSwitchboard(handle, 'seed', { LOG_LEVEL: 'warn' });
  try {
    const numbers = Array.from({ length: size }, (_, index) => benchNumber(index));
    const idsByIndex: string[] = [];
    const result = await bulkImport(server, key.key, numbers, profile.bulkChunk, 2, (ids) => idsByIndex.push(...ids));
    if (result.created !== size) throw new Error(`seeding created ${result.created} of ${size} numbers`);
    const sorted = [...idsByIndex].sort();
    const step = Math.max(1, Math.floor(size / 1000));
    // Sample ids and numbers over the whole set (numbers by import index, ids by cursor order).
    const sampleIndexes = Array.from({ length: Math.min(1000, size) }, (_, i) => i * step);
    const state: SeedState = {
      size,
      workspace,
      workspaceId: key.workspace_id,
      key: key.key,
      sampleIds: sampleIndexes.map((i) => sorted[i]!),
      sampleNumbers: sampleIndexes.map((i) => numbers[i]!),
      tailIds: sorted.slice(-200),
      seed: { numbersPerSecond: size / result.seconds, seconds: result.seconds, at: new Date().toISOString() },
      nextWrite: WRITE_SPACE_START,
    };
    writeState(handle, state);
    log(`  seeded in ${result.seconds.toFixed(1)} s (${Math.round(size / result.seconds).toLocaleString('en-US')} numbers/s)`);
    return state;
  } finally {
    await server.stop();
  }
}

async function seededStore(store: StoreName, size: number): Promise<{ handle: StoreHandle; state: SeedState; seededNow: boolean }> {
  let handle = await openStore(store, String(size), args.reseed);
  let state = readState(handle);
  // The state file is trusted (benchStore checks a sample right after the server starts);
  // --reseed starts over.
  if (state && state.size === size) return { handle, state, seededNow: false };
  handle = await openStore(store, String(size), true);
  state = await seed(handle, size);
  return { handle, state, seededNow: true };
}

async function capture(server: Child, key: string, request: LoadRequest) {
  const response = await fetch(`${server.url}${request.path}`, {
    method: request.method,
    headers: request.body === undefined ? { authorization: `Bearer ${key}` } : authHeaders(key),
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`${request.method} ${request.path}: ${response.status} ${body.slice(0, 500)}`);
  return { status: response.status, contentType: response.headers.get('content-type') ?? 'application/json', body };
}

export interface HttpFigure {
  scenario: string;
  label: string;
  real: LoadResult;
  bare: LoadResult;
  /** Median over rounds of real/bare throughput, each round measured back to back. */
  ratio: number;
  rounds: number[];
  target?: Target;
  variant?: string;
}

async function measureHttp(
  handle: StoreHandle,
  server: Child,
  state: SeedState,
  scenarios: HttpScenario[],
  notes: string[],
  variant?: string,
): Promise<HttpFigure[]> {
  const context: ScenarioContext = {
    seed: state,
    freshNumbers: (count) => {
      const numbers = Array.from({ length: count }, (_, i) => benchNumber(state.nextWrite + i));
      state.nextWrite += count;
      writeState(handle, state);
      return numbers;
    },
  };
  if (!state.writeKey) {
    state.writeKey = (await createKey(handle, 'bench-writes')).key;
    writeState(handle, state);
  }
  const keyOf = (scenario: HttpScenario) => (scenario.workspace === 'writes' ? state.writeKey! : state.key);
  const routes = await registeredRoutes(server.url);
  const runnable = scenarios.filter((scenario) => {
    if (routes.has(scenario.route)) return true;
    notes.push(`${handle.store}: skipped "${scenario.label}": the server does not register ${scenario.route} yet`);
    log(`  - skip ${scenario.label}: ${scenario.route} is not registered`);
    return false;
  });
  if (runnable.length === 0) return [];
  // The baseline answers every route with the bytes the real server sent for it.
  const bareRoutes = [];
  for (const scenario of runnable) {
    const sample = await capture(server, keyOf(scenario), scenario.requests(context, 1)[0]!);
    bareRoutes.push({ ...scenario.bareRoute, ...sample });
  }
  const routesFile = path.join(handle.dir, 'bare-routes.json');
  fs.writeFileSync(routesFile, JSON.stringify(bareRoutes));
  const barePort = await freePort();
  const bare = await startProcess({
    name: 'bare-fastify',
    args: [path.join(ROOT, 'bench', 'bare-server.mjs'), routesFile, String(barePort)],
    env: {},
    port: barePort,
    readyPath: '/healthz',
    logDir: path.join(handle.dir, 'logs'),
  });
  const figures: HttpFigure[] = [];
  try {
    for (const scenario of runnable) {
      // A write scenario gets fresh requests for each run: an import is never repeated.
      const budget = (seconds: number) => Math.ceil(seconds * 25_000);
      const load = (target: Child, seconds: number) =>
        runLoad({
          url: target.url,
          pid: target.pid,
          connections: profile.connections,
          durationSec: seconds,
          headers: authHeaders(keyOf(scenario)),
          requests: scenario.requests(context, scenario.writes ? budget(seconds) : 0),
          specDir: path.join(handle.dir, 'specs'),
        });
      await load(bare, Math.min(1, profile.warmupSec));
      await load(server, profile.warmupSec);
      // Bare and real alternate in short rounds and each round's ratio pairs two neighbouring
      // measurements: on a shared machine the load from others drifts within seconds.
      const bareRounds: LoadResult[] = [];
      const realRounds: LoadResult[] = [];
      for (let round = 0; round < profile.rounds; round++) {
        bareRounds.push(await load(bare, profile.durationSec / profile.rounds));
        realRounds.push(await load(server, profile.durationSec / profile.rounds));
      }
      const bareResult = combine(bareRounds);
      const real = combine(realRounds);
      const figure: HttpFigure = {
        scenario: scenario.id,
        label: scenario.label,
        real,
        bare: bareResult,
        ratio: median(realRounds.map((result, round) => result.rps / bareRounds[round]!.rps)),
        rounds: realRounds.map((result, round) => result.rps / bareRounds[round]!.rps),
        ...(targetOn(scenario, handle.store) ? { target: targetOn(scenario, handle.store) } : {}),
        ...(variant ? { variant } : {}),
      };
      figures.push(figure);
      const bad = real.non2xx + real.errors + real.timeouts;
      log(
        `  ${scenario.label.padEnd(40)} ${Math.round(real.rps).toString().padStart(6)} req/s  p50 ${fmt(real.p50)} ms  p99 ${fmt(real.p99)} ms  | bare ${Math.round(bareResult.rps)} req/s  → ratio ${(figure.ratio * 100).toFixed(0)}%  | CPU/req ${fmt(real.cpuUsPerRequest, 0)} µs vs bare ${fmt(bareResult.cpuUsPerRequest, 0)} µs${bad ? `  (${bad} non-2xx/errors: ${JSON.stringify(real.statusCodes)})` : ''}`,
      );
    }
  } finally {
    await bare.stop();
  }
  return figures;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Rounds of one target as one figure: throughput over all rounds, the median round's latencies. */
function combine(rounds: LoadResult[]): LoadResult {
  const sum = (pick: (result: LoadResult) => number) => rounds.reduce((total, result) => total + pick(result), 0);
  const durationSec = sum((r) => r.durationSec);
  const ok = sum((r) => r.ok);
  const cpu = rounds.every((r) => r.cpuUsPerRequest !== null) ? sum((r) => r.cpuUsPerRequest! * r.ok) / ok : null;
  const statusCodes: Record<string, number> = {};
  for (const result of rounds) for (const [code, count] of Object.entries(result.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  const medianOf = (pick: (result: LoadResult) => number | null) => {
    const values = rounds.map(pick).filter((value): value is number => value !== null);
    return values.length === 0 ? null : median(values);
  };
  return {
    durationSec,
    total: sum((r) => r.total),
    ok,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    statusCodes,
    rps: ok / durationSec,
    p50: medianOf((r) => r.p50),
    p90: medianOf((r) => r.p90),
    p99: medianOf((r) => r.p99),
    max: Math.max(...rounds.map((r) => r.max ?? 0)),
    cpuUsPerRequest: cpu,
  };
}

const fmt = (value: number | null | undefined, digits = 2) => (value === null || value === undefined ? '–' : value.toFixed(digits));

async function measureScale(server: Child, state: SeedState, notes: string[], store: StoreName): Promise<StoreReport['scale']> {
  const headers = { authorization: `Bearer ${state.key}` };
  const get = (url: string) => fetch(`${server.url}${url}`, { headers });
  const samples = profile.sequentialSamples;
  const firstPage = await sequentialLatency(samples, () => get('/v1/phone-numbers?limit=50'));
  const lastCursor = encodeCursor(state.tailIds.at(-51)!);
  const lastPage = await sequentialLatency(samples, () => get(`/v1/phone-numbers?limit=50&cursor=${lastCursor}`));
  const check = await (await get(`/v1/phone-numbers?limit=50&cursor=${lastCursor}`)).json();
  if ((check as { data: unknown[]; has_more: boolean }).data.length !== 50 || (check as { has_more: boolean }).has_more) {
    notes.push(`${store}: the last-page request did not return the final 50 numbers; check the seed state`);
  }
  const byNumber = await sequentialLatency(samples, (i) => get(`/v1/phone-numbers/${encodeURIComponent(state.sampleNumbers[i % state.sampleNumbers.length]!)}`));
  const byId = await sequentialLatency(samples, (i) => get(`/v1/phone-numbers/${state.sampleIds[i % state.sampleIds.length]}`));
  let offsetFirst: Awaited<ReturnType<typeof sequentialLatency>> | null = null;
  let offsetLast: Awaited<ReturnType<typeof sequentialLatency>> | null = null;
  const routes = await registeredRoutes(server.url);
  if (routes.has('GET /synthflow/v2/numbers')) {
    const query = (offset: number) => `/synthflow/v2/numbers?workspace=${state.workspaceId}&offset=${offset}&limit=20`;
    const offsetSamples = Math.max(5, Math.floor(samples / 10));
    offsetFirst = await sequentialLatency(offsetSamples, () => get(query(0)));
    offsetLast = await sequentialLatency(offsetSamples, () => get(query(state.size - 20)));
  } else {
    notes.push(`${store}: skipped Synthflow offset pages: the server does not register GET /synthflow/v2/numbers yet`);
  }
  return { firstPage, lastPage, byNumber, byId, offsetFirst, offsetLast };
}

async function measureImport(store: StoreName, notes: string[]): Promise<StoreReport['import']> {
  const handle = await openStore(store, 'import', true);
  // Both keys at once: each is a CLI process start (seconds of the quick run's budget).
  const [key] = await Promise.all([createKey(handle, 'bench-import'), createKey(handle, 'bench-cli')]);
  const server = await startSwitchboard(handle, 'import', { LOG_LEVEL: 'info' });
  const numbers = Array.from({ length: profile.importSize }, (_, index) => benchNumber(index));
  let bulk: StoreReport['import']['bulk'];
  try {
    const result = await bulkImport(server, key.key, numbers, profile.bulkChunk, 2);
    bulk = { numbers: result.created, seconds: result.seconds, perSecond: result.created / result.seconds };
    if (result.created !== numbers.length) notes.push(`${store}: bulk import created ${result.created} of ${numbers.length}`);
    log(`  bulk API: ${result.created.toLocaleString('en-US')} numbers in ${result.seconds.toFixed(2)} s → ${Math.round(bulk.perSecond).toLocaleString('en-US')} numbers/s`);
  } finally {
    await server.stop();
  }
  let cli: StoreReport['import']['cli'] = null;
  const help = await switchboardCli(handle, ['numbers', '--help']).catch((error: Error) => ({ stdout: error.message, ms: 0 }));
  if (!/\bimport\b/.test(help.stdout)) {
    notes.push(`${store}: skipped CLI CSV import: \`switchboard numbers import\` does not exist yet`);
    log('  - skip CLI import: `switchboard numbers import` does not exist yet');
  } else {
    const csv = path.join(handle.dir, 'numbers.csv');
    const cliNumbers = Array.from({ length: profile.importSize }, (_, index) => benchNumber(WRITE_SPACE_START + index));
    fs.writeFileSync(csv, `phone_number\n${cliNumbers.join('\n')}\n`);
    try {
      const { ms } = await switchboardCli(handle, ['numbers', 'import', csv, '--workspace', 'bench-cli']);
      cli = { numbers: cliNumbers.length, seconds: ms / 1000, perSecond: cliNumbers.length / (ms / 1000) };
      log(`  CLI CSV:  ${cliNumbers.length.toLocaleString('en-US')} numbers in ${(ms / 1000).toFixed(2)} s → ${Math.round(cli.perSecond).toLocaleString('en-US')} numbers/s (process start included)`);
    } catch (error) {
      notes.push(`${store}: CLI CSV import failed: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`);
    }
  }
  return { bulk, cli };
}

/** Polls /healthz until `routing_index` is `ready` (servers that do not report it: null). */
async function routingIndexReady(server: Child, readyMs: number): Promise<StoreReport['indexReady']> {
  const started = performance.now();
  for (;;) {
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { routing_index?: string };
    if (health.routing_index === undefined) return null;
    if (health.routing_index === 'ready') return { ms: readyMs + performance.now() - started, memory: memoryOf(server.pid) };
    if (performance.now() - started > 900_000) throw new Error('the routing index did not finish loading within 15 minutes');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function benchStore(store: StoreName, notes: string[]): Promise<StoreReport> {
  log(`\n== ${store} ==`);
  const { handle, state } = await seededStore(store, profile.size);
  await analyzeStore(handle);
  // --cpu-prof: profile the measured server (`.bench-tmp/profiles/*.cpuprofile`, open in Chrome DevTools).
  const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(BENCH_DIR, 'profiles')}`] : [];
  // --checkout: measure another checkout's server on the same store (a "before" figure).
  const server = await startSwitchboard(handle, 'server', {}, nodeArgs, args.checkout ? path.resolve(args.checkout) : undefined);
  const readyMs = server.readyMs;
  const sample = await fetch(`${server.url}/v1/phone-numbers/${state.sampleIds.at(-1)}`, { headers: authHeaders(state.key) });
  if (!sample.ok) {
    await server.stop();
    throw new Error(`the seeded store in ${handle.dir} does not hold what its state.json says (${sample.status}); run with --reseed`);
  }
  const atReady = memoryOf(server.pid);
  log(`  ready in ${(readyMs / 1000).toFixed(2)} s with ${state.size.toLocaleString('en-US')} numbers; RSS ${fmt(atReady?.rssMb, 0)} MB`);
  // The routing index loads in the background after ready; the HTTP figures are taken once it is
  // complete (until then decisions also read the store), and the time it took is reported.
  const indexReady = await routingIndexReady(server, readyMs);
  if (indexReady) log(`  routing index loaded ${(indexReady.ms / 1000).toFixed(2)} s after start; RSS ${fmt(indexReady.memory?.rssMb, 0)} MB`);
  let http: HttpFigure[] = [];
  let scale: StoreReport['scale'];
  let afterLoad: ReturnType<typeof memoryOf>;
  try {
    const scenarios = HTTP_SCENARIOS.filter((scenario) => !only || only.has(scenario.id));
    http = await measureHttp(handle, server, state, scenarios, notes);
    scale = await measureScale(server, state, notes, store);
    afterLoad = memoryOf(server.pid);
    log(
      `  list page 1 p50 ${fmt(scale.firstPage.p50)} ms, last page p50 ${fmt(scale.lastPage.p50)} ms (×${fmt(scale.lastPage.p50 / scale.firstPage.p50)}); lookup by number p50 ${fmt(scale.byNumber.p50)} ms` +
        (scale.offsetLast ? `; Synthflow offset≈end p50 ${fmt(scale.offsetLast.p50)} ms vs offset 0 ${fmt(scale.offsetFirst!.p50)} ms` : ''),
    );
  } finally {
    await server.stop();
  }
  if (profile.logCompare) {
    const quiet = await startSwitchboard(handle, 'server-warn', { LOG_LEVEL: 'warn' });
    try {
      await routingIndexReady(quiet, quiet.readyMs);
      log('  with LOG_LEVEL=warn (no per-request log lines):');
      const scenarios = HTTP_SCENARIOS.filter((scenario) => ['get-by-id', 'routing-inbound'].includes(scenario.id) && (!only || only.has(scenario.id)));
      http.push(...(await measureHttp(handle, quiet, state, scenarios, [], 'LOG_LEVEL=warn')));
    } finally {
      await quiet.stop();
    }
  }
  const imports = only && !only.has('bulk') ? { bulk: null, cli: null } : await measureImport(store, notes);
  return {
    store,
    size: state.size,
    seed: state.seed,
    readyMs,
    indexReady,
    memory: { atReady, afterLoad: afterLoad! },
    http,
    scale: scale!,
    import: imports,
  };
}

async function main(): Promise<void> {
  assertValidSample();
  const startedAt = new Date();
  const notes: string[] = [];
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  log(`switchboard bench (${profile.mode}): ${profile.size.toLocaleString('en-US')} numbers, ${profile.durationSec} s per HTTP measurement, ${profile.connections} connections`);
  const reports: StoreReport[] = [];
  for (const store of stores) {
    if (store === 'postgres') {
      const unavailable = await postgresAvailable();
      if (unavailable) {
        notes.push(`postgres: skipped: ${unavailable}`);
        log(`\n== postgres ==\n  - skip: ${unavailable}`);
        continue;
      }
    }
    if (args['seed-only']) {
      log(`\n== ${store} ==`);
      const { state, seededNow } = await seededStore(store, profile.size);
      log(`  ${seededNow ? 'seeded' : 'already seeded'}: ${state.size.toLocaleString('en-US')} numbers`);
      continue;
    }
    try {
      reports.push(await benchStore(store, notes));
    } catch (error) {
      // One store failing (e.g. a server that does not start) is a finding, not the end of the run.
      const message = (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 4).join(' ');
      notes.push(`${store}: the run failed: ${message}`);
      log(`  ! ${store} failed: ${message}`);
    }
  }
  if (args['seed-only']) return;
  const cpus = os.cpus();
  const report: Report = {
    mode: profile.mode,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: { cpu: cpus[0]?.model.trim() ?? 'unknown', cores: os.availableParallelism(), memoryGb: os.totalmem() / 2 ** 30, node: process.version, os: `${os.type()} ${os.release()}` },
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    profile,
    stores: reports,
    notes,
  };
  fs.writeFileSync(path.join(BENCH_DIR, `last-${profile.mode}.json`), JSON.stringify(report, null, 2));
  const markdown = renderReport(report);
  log(`\n${markdown}`);
  if (!args['no-write']) {
    writeBenchmarksMd(profile.mode, markdown);
    log(`figures written to BENCHMARKS.md (${profile.mode} run section)`);
  }
}

await main();

/** A scenario's target on one store (PostgreSQL may have its own). */
function targetOn(scenario: HttpScenario, store: StoreName): Target | undefined {
  return store === 'postgres' && scenario.postgresTarget ? scenario.postgresTarget : scenario.target;
}

