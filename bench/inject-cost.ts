/**
 * CPU per request of the read routes, in process: each checkout's server is built in a child
 * process of its own on a store seeded the same way, and driven with `app.inject` (no sockets, no
 * load generator); CPU time from process.cpuUsage. The children take turns, round by round, so
 * the load from other work on a shared machine falls on all of them alike; the figure is the
 * median over rounds. A bare Fastify route answering the same bytes (in the same child) is the
 * baseline ("bare" below also pays for inject itself, which the HTTP bench does not).
 *
 *   node --import tsx bench/inject-cost.ts [--store sqlite|postgres] [--size 2000] [--rounds 9] [--only list,get-by-id] [--concurrency 1] [--cpu-prof] [other-checkout…]
 *
 * `--concurrency N` keeps N requests in flight at a time (as N connections would), so work that
 * concurrent requests share (PostgreSQL version checks sent together) is measured too.
 *
 * PostgreSQL: each child migrates a schema of its own in `BENCH_POSTGRES_URL`'s database
 * (default postgres://postgres@127.0.0.1:5432/test) and drops it at the end.
 */
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchNumber } from './lib/numbers.ts';
import { seedItem } from './scenarios.ts';

const { values: args, positionals } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    size: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '9' },
    concurrency: { type: 'string', default: '1' },
    only: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    child: { type: 'string' },
  },
  allowPositionals: true,
});

/** Requests per route per round: enough for a few ms of CPU each, the same for every checkout. */
const ALL_ROUTES: Array<{ id: string; count: number; paths: (s: Seeded) => string[] }> = [
  { id: 'get-by-id', count: 2000, paths: (s) => s.ids.map((id) => `/v1/phone-numbers/${id}`) },
  { id: 'retell-get', count: 2000, paths: (s) => s.numbers.map((n) => `/retell/get-phone-number/${n}`) },
  { id: 'list', count: 200, paths: (s) => s.cursors.map((c) => `/v1/phone-numbers?limit=50${c ? `&cursor=${c}` : ''}`) },
  { id: 'retell-list', count: 200, paths: (s) => s.retellKeys.map((k) => `/retell/v2/list-phone-numbers?limit=50${k ? `&pagination_key=${k}` : ''}`) },
];

const ROUTES = args.only ? ALL_ROUTES.filter((route) => args.only!.split(',').includes(route.id)) : ALL_ROUTES;

interface Seeded {
  ids: string[];
  numbers: string[];
  /** The first pages' cursors (undefined: the first page). */
  cursors: Array<string | undefined>;
  retellKeys: Array<string | undefined>;
}

const cpuUs = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

async function child(root: string): Promise<void> {
  const { loadConfig } = (await import(path.join(root, 'src/config.ts'))) as typeof import('../src/config.ts');
  const { openRuntime, buildServer } = (await import(path.join(root, 'src/runtime.ts'))) as typeof import('../src/runtime.ts');
  const { default: Fastify } = await import('fastify');
  const size = Number(args.size);
  const postgres = args.store === 'postgres';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-inject-'));
  const schema = postgres ? `inject_${crypto.randomBytes(5).toString('hex')}` : undefined;
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const config = loadConfig({
    DATABASE_URL: postgres ? adminUrl : `sqlite:${path.join(dir, 'inject.db')}`,
    SWITCHBOARD_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    // As the bench runs the server: the access line written (to this child's stdout, /dev/null), rate limiting on.
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_MINUTE: '1000000000',
  });
  const runtime = await openRuntime(config, schema ? { schema } : {});
  const { services } = runtime;
  const workspace = await services.workspaces.ensureWorkspace('inject');
  const key = (await services.workspaces.createKey(workspace.id, ['numbers:read', 'numbers:write'])).key;
  const actor = { workspaceId: workspace.id, keyId: 'inject', scopes: new Set(['numbers:read', 'numbers:write']) } as never;
  for (let start = 0; start < size; start += 1000) {
    const items = Array.from({ length: Math.min(1000, size - start) }, (_, i) => seedItem(benchNumber(start + i)) as never);
    await services.phoneNumbers.importMany(actor, items);
  }
  const app = await buildServer(config, runtime);
  await app.ready();
  const headers = { authorization: `Bearer ${key}` };
  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url, headers });
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 300)}`);
    return response;
  };
  // Twenty pages each way, and 1,000 numbers spread over the workspace (all held after one pass).
  const seeded: Seeded = { ids: [], numbers: [], cursors: [undefined], retellKeys: [undefined] };
  for (let page = 0; page < 20; page++) {
    const body = (await get(`/v1/phone-numbers?limit=50${seeded.cursors.at(-1) ? `&cursor=${seeded.cursors.at(-1)}` : ''}`)).json();
    seeded.ids.push(...body.data.map((r: { id: string }) => r.id));
    if (body.next_cursor) seeded.cursors.push(body.next_cursor);
    const retell = (await get(`/retell/v2/list-phone-numbers?limit=50${seeded.retellKeys.at(-1) ? `&pagination_key=${seeded.retellKeys.at(-1)}` : ''}`)).json();
    if (retell.pagination_key) seeded.retellKeys.push(retell.pagination_key);
  }
  seeded.cursors = seeded.cursors.slice(0, 20);
  seeded.retellKeys = seeded.retellKeys.slice(0, 20);
  seeded.numbers = Array.from({ length: Math.min(1000, size) }, (_, i) => benchNumber(Math.floor((i * size) / Math.min(1000, size))));
  seeded.ids = seeded.ids.slice(0, 1000);

  const bare = Fastify({ logger: false });
  const plans: Array<{ route: (typeof ROUTES)[number]; paths: string[]; bareUrl: string }> = [];
  for (const route of ROUTES) {
    const paths = route.paths(seeded);
    const sample = await get(paths[0]!);
    const bareUrl = `/bare/${route.id}`;
    bare.get(bareUrl, async (_request, reply) => reply.code(200).type(String(sample.headers['content-type'])).send(sample.body));
    plans.push({ route, paths, bareUrl });
  }
  await bare.ready();
  const concurrency = Number(args.concurrency);
  const run = async (count: number, call: (i: number) => Promise<unknown>) => {
    const before = cpuUs();
    let next = 0;
    const lane = async () => {
      while (next < count) await call(next++);
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return (cpuUs() - before) / count;
  };
  // Warm: every path once (all held, serializers compiled), then a full round.
  for (const plan of plans) for (const url of plan.paths) await get(url);
  const round = async () => {
    const figures: Record<string, number> = {};
    for (const { route, paths, bareUrl } of plans) {
      figures[route.id] = await run(route.count, (i) => get(paths[i % paths.length]!));
      figures[`${route.id} (bare)`] = await run(route.count, () => bare.inject({ method: 'GET', url: bareUrl }));
    }
    return figures;
  };
  await round();
  process.send!({ ready: true });
  process.on('message', async (message: { run?: boolean; stop?: boolean }) => {
    if (message.run) process.send!({ figures: await round() });
    if (message.stop) {
      await app.close();
      await bare.close();
      await runtime.close();
      if (schema) {
        const pg = (await import('pg')).default;
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  });
}

async function parent(): Promise<void> {
  const roots = [path.resolve(import.meta.dirname, '..'), ...positionals.map((p) => path.resolve(p))];
  const out = fs.openSync('/dev/null', 'w');
  const children = roots.map((root) =>
    fork(import.meta.filename, ['--child', root, '--store', args.store!, '--size', args.size!, '--concurrency', args.concurrency!, ...(args.only ? ['--only', args.only] : [])], {
      // --cpu-prof: each child writes a profile into .bench-tmp/profiles/ (bench/profile-summary.mjs reads it).
      execArgv: ['--import', 'tsx', ...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(import.meta.dirname, '..', '.bench-tmp', 'profiles')}`] : [])],
      stdio: ['ignore', out, 'inherit', 'ipc'],
    }),
  );
  children.forEach((childProcess, index) =>
    childProcess.on('exit', (code) => {
      if (code !== 0) throw new Error(`${roots[index]}: the child exited with ${code}`);
    }),
  );
  const next = (index: number) => new Promise<any>((resolve) => children[index]!.once('message', resolve));
  // Seeded and warmed one after the other (2 cores: at the same time they would measure each other).
  for (let index = 0; index < children.length; index++) await next(index);
  const rounds = Number(args.rounds);
  const results: Array<Record<string, number[]>> = roots.map(() => ({}));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? roots.map((_, i) => i) : roots.map((_, i) => i).reverse();
    for (const index of order) {
      const reply = next(index);
      children[index]!.send({ run: true });
      const { figures } = (await reply) as { figures: Record<string, number> };
      for (const [name, value] of Object.entries(figures)) (results[index]![name] ??= []).push(value);
    }
  }
  for (const childProcess of children) childProcess.send({ stop: true });
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const names = Object.keys(results[0]!);
  process.stdout.write(`CPU µs per request, median of ${rounds} rounds (${args.store}, ${Number(args.size).toLocaleString('en-US')} numbers, pages of 50, ${args.concurrency} in flight)\n`);
  process.stdout.write(`| route | ${roots.map((root) => path.relative(process.cwd(), root) || '.').join(' | ')} |\n| --- |${roots.map(() => ' ---: |').join('')}\n`);
  for (const name of names) {
    process.stdout.write(`| ${name} | ${results.map((r) => (r[name] ? median(r[name]).toFixed(0) : '–')).join(' | ')} |\n`);
  }
  for (const name of names.filter((n) => !n.endsWith('(bare)'))) {
    process.stdout.write(`| ${name}: bare/real CPU | ${results.map((r) => (median(r[`${name} (bare)`]!) / median(r[name]!)).toFixed(2)).join(' | ')} |\n`);
  }
}

if (args.child) await child(args.child);
else await parent();
