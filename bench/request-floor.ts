/**
 * Where the CPU of a GET goes, step by step: the same load (autocannon, 50 connections, the
 * seeded sample ids) against a bare Fastify route, then with what the real server adds, one
 * feature at a time (bench/floor-server.ts), then the real server. Prints CPU µs per request
 * (server process, from /proc) and req/s, each the median of three rounds.
 *
 *   node --import tsx bench/request-floor.ts            # uses the quick SQLite store
 *   chrt -f 10 node --import tsx bench/request-floor.ts # shielded from other jobs (root)
 *   node --import tsx bench/request-floor.ts ../other-checkout   # also that checkout's server (before/after)
 *
 * Needs a seeded store: `npm run bench -- --quick --stores sqlite --seed-only`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runLoad, type LoadResult } from './lib/load.ts';
import { freePort, startProcess, ROOT, type Child } from './lib/processes.ts';
import { openStore, readState } from './lib/store.ts';
import { startSwitchboard } from './lib/switchboard.ts';

const handle = await openStore('sqlite', '20000', false);
const state = readState(handle);
if (!state) throw new Error('no seeded store: run `npm run bench -- --quick --stores sqlite --seed-only` first');
const headers = { authorization: `Bearer ${state.key}` };
const requests = state.sampleIds.map((id) => ({ method: 'GET', path: `/v1/phone-numbers/${id}` }));
const logDir = path.join(handle.dir, 'logs');

async function floorServer(features: string, responseFile: string): Promise<Child> {
  const port = await freePort();
  return startProcess({
    name: `floor-${features || 'bare'}`,
    args: ['--import', 'tsx', path.join(ROOT, 'bench', 'floor-server.ts'), String(port), features, responseFile],
    env: {},
    port,
    readyPath: '/healthz',
    logDir,
  });
}

async function measure(server: Child): Promise<{ cpu: number; rps: number }> {
  const rounds: LoadResult[] = [];
  let failed = 0;
  for (let round = 0; round < 4; round++) {
    const result = await runLoad({ url: server.url, pid: server.pid, connections: 50, durationSec: round === 0 ? 1 : 3, headers, requests, specDir: path.join(handle.dir, 'specs') });
    if (result.non2xx > 0) throw new Error(`${server.url}: ${JSON.stringify(result.statusCodes)}`);
    // Now and then an autocannon run on this VM gets no response at all (no status, no error
    // count); such a round is repeated rather than counted.
    if (result.ok === 0) {
      if (++failed > 3) throw new Error(`${server.url}: no responses in ${failed} rounds`);
      round--;
      continue;
    }
    if (round > 0) rounds.push(result);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;
  return { cpu: median(rounds.map((r) => r.cpuUsPerRequest!)), rps: median(rounds.map((r) => r.rps)) };
}

const others = process.argv.slice(2).map((checkout) => path.resolve(checkout));
const real = await startSwitchboard(handle, 'floor-switchboard');
const responseFile = path.join(handle.dir, 'floor-response.json');
try {
  const sample = await fetch(`${real.url}${requests[0]!.path}`, { headers });
  fs.writeFileSync(responseFile, await sample.text());
  // Bare first and again last: the spread between the two is this run's noise.
  const steps = ['', 'schema', 'schema,log', 'schema,log,auth', 'schema,log,auth,ratelimit', ''];
  const rows: Array<[string, { cpu: number; rps: number }]> = [];
  for (const features of steps) {
    const server = await floorServer(features, responseFile);
    try {
      rows.push([features === '' ? `bare Fastify (same bytes)${rows.length > 0 ? ', again' : ''}` : `+ ${features.split(',').at(-1)}`, await measure(server)]);
    } finally {
      await server.stop();
    }
  }
  rows.push(['Switchboard GET /v1/phone-numbers/{id}', await measure(real)]);
  for (const checkout of others) {
    const server = await startSwitchboard(handle, `floor-switchboard-${path.basename(checkout)}`, {}, [], checkout);
    try {
      rows.push([`Switchboard GET, checkout ${path.relative(ROOT, checkout) || checkout}`, await measure(server)]);
    } finally {
      await server.stop();
    }
  }
  const bare = { rps: (rows[0]![1].rps + rows[steps.length - 1]![1].rps) / 2 };
  process.stdout.write('| step | CPU µs/req | req/s | req/s vs bare (mean of both bare runs) |\n| --- | ---: | ---: | ---: |\n');
  for (const [label, figure] of rows) {
    process.stdout.write(`| ${label} | ${figure.cpu.toFixed(0)} | ${Math.round(figure.rps).toLocaleString('en-US')} | ${((100 * figure.rps) / bare.rps).toFixed(0)}% |\n`);
  }
} finally {
  await real.stop();
}
