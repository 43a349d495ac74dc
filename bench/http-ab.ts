/**
 * Before/after over HTTP on a shared machine: each checkout's real server and a bare Fastify
 * route sending the same bytes, all started at once on the quick SQLite store, take turns round
 * by round (autocannon, 50 connections), so that drifting load from other jobs falls on all of
 * them alike. Prints the server CPU µs per 2xx response (from /proc) as min and median over the
 * rounds, the median of the per-round CPU ratios against bare, and p99.
 *
 *   node --import tsx bench/http-ab.ts [--only get-by-id,routing-inbound] [--rounds 5] [--seconds 1.5] [checkout[,NAME=value…]…]
 *   node --import tsx bench/http-ab.ts --cpu-prof --only list .   # profile into .bench-tmp/profiles/
 *
 * Default checkout: this one. Needs the quick store: `npm run bench -- --quick --stores sqlite --seed-only`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad, type LoadRequest, type LoadResult } from './lib/load.ts';
import { freePort, startProcess, ROOT, type Child } from './lib/processes.ts';
import { BENCH_DIR, openStore, readState } from './lib/store.ts';
import { startSwitchboard } from './lib/switchboard.ts';
import { HTTP_SCENARIOS } from './scenarios.ts';

const { values: args, positionals } = parseArgs({
  options: {
    only: { type: 'string', default: 'get-by-id,retell-get,list,retell-list,routing-inbound,routing-outbound' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '1.5' },
    connections: { type: 'string', default: '50' },
    'cpu-prof': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});

const handle = await openStore('sqlite', '20000', false);
const state = readState(handle);
if (!state) throw new Error('no seeded store: run `npm run bench -- --quick --stores sqlite --seed-only` first');
const scenarios = args.only.split(',').map((id) => {
  const scenario = HTTP_SCENARIOS.find((candidate) => candidate.id === id);
  if (!scenario || scenario.writes) throw new Error(`--only: ${id} is not a read or decision scenario`);
  return scenario;
});
const context = {
  seed: state,
  freshNumbers: () => {
    throw new Error('write scenarios are not measured here');
  },
};
const headers = { authorization: `Bearer ${state.key}`, 'content-type': 'application/json' };
// `<checkout>[,NAME=value…]`: that checkout's server with those environment variables (e.g. `.,LOG_LEVEL=warn`).
const checkouts = (positionals.length > 0 ? positionals : [ROOT]).map((spec) => {
  const [checkout, ...settings] = spec.split(',');
  return { spec, dir: path.resolve(checkout!), env: Object.fromEntries(settings.map((setting) => setting.split('=', 2) as [string, string])) };
});
const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(BENCH_DIR, 'profiles')}`] : [];
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);

const servers: Array<{ name: string; child: Child }> = [];
try {
  for (const [index, { spec, dir, env }] of checkouts.entries()) {
    servers.push({ name: spec, child: await startSwitchboard(handle, `ab-${index}`, env, nodeArgs, dir) });
  }
  for (const { child } of servers) await indexReady(child);
  const bareRoutes = [];
  for (const scenario of scenarios) {
    const request = scenario.requests(context, 1)[0]!;
    const response = await fetch(`${servers[0]!.child.url}${request.path}`, { method: request.method, headers, body: request.body });
    bareRoutes.push({ ...scenario.bareRoute, status: response.status, contentType: response.headers.get('content-type'), body: await response.text() });
  }
  const routesFile = path.join(handle.dir, 'ab-bare-routes.json');
  fs.writeFileSync(routesFile, JSON.stringify(bareRoutes));
  const barePort = await freePort();
  const bare = await startProcess({ name: 'ab-bare', args: [path.join(ROOT, 'bench', 'bare-server.mjs'), routesFile, String(barePort)], env: {}, port: barePort, readyPath: '/healthz', logDir: path.join(handle.dir, 'logs') });
  servers.unshift({ name: 'bare Fastify (same bytes)', child: bare });

  const load = (child: Child, requests: LoadRequest[], durationSec: number) =>
    runLoad({ url: child.url, pid: child.pid, connections: Number(args.connections), durationSec, headers, requests, specDir: path.join(handle.dir, 'specs') });
  process.stdout.write(
    `| scenario | server | CPU µs/req, min of ${rounds} | median | CPU ratio vs bare (median of rounds) | p99 ms (median) | req/s (median) |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n`,
  );
  for (const scenario of scenarios) {
    const requests = scenario.requests(context, 0);
    for (const { child } of servers) await load(child, requests, 0.5);
    const results = servers.map((): LoadResult[] => []);
    for (let round = 0; round < rounds; round++) {
      for (const [index, { child }] of servers.entries()) {
        const result = await load(child, requests, seconds);
        if (result.non2xx > 0) throw new Error(`${scenario.id}: ${JSON.stringify(result.statusCodes)}`);
        results[index]!.push(result);
      }
    }
    for (const [index, { name }] of servers.entries()) {
      const mine = results[index]!;
      const cpu = mine.map((result) => result.cpuUsPerRequest ?? NaN);
      const ratios = mine.map((result, round) => (results[0]![round]!.cpuUsPerRequest ?? NaN) / (result.cpuUsPerRequest ?? NaN));
      process.stdout.write(
        `| ${scenario.id} | ${name} | ${Math.min(...cpu).toFixed(0)} | ${median(cpu).toFixed(0)} | ${median(ratios).toFixed(2)} | ${median(mine.map((result) => result.p99 ?? NaN)).toFixed(1)} | ${Math.round(median(mine.map((result) => result.rps))).toLocaleString('en-US')} |\n`,
      );
    }
  }
} finally {
  for (const { child } of servers) await child.stop();
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** The figures are taken with the routing index loaded, as the bench takes them. */
async function indexReady(child: Child): Promise<void> {
  for (;;) {
    const health = (await (await fetch(`${child.url}/healthz`)).json()) as { routing_index?: string };
    if (health.routing_index !== 'loading') return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
