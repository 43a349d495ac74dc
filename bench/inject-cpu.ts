/**
 * CPU per request of the request path in process, for before/after comparisons on a loaded host:
 * `node --import tsx bench/inject-cpu.ts [--rounds 25] [--requests 500] [checkout…]` (default:
 * this checkout). Each checkout runs in a child process of its own (SQLite file store, 200 seeded
 * numbers, `LOG_LEVEL=info` with the production logger writing to /dev/null, rate limiting on);
 * the rounds alternate between the children and a bare Fastify app answering the same bytes
 * (in its own child); each round is process.cpuUsage() around `--requests` sequential
 * app.inject calls, reported as the minimum and the median over rounds. No socket is involved: what is left is Fastify's
 * request path and everything Switchboard adds to it.
 *
 *   node --import tsx bench/inject-cpu.ts --child . --profile inbound
 * profiles one scenario alone (10 × --requests requests, into .bench-tmp/inject-<scenario>-<ms>.cpuprofile;
 * summarise with bench/profile-summary.mjs).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchNumber } from './lib/numbers.ts';
import { seedItem } from './scenarios.ts';

/** A caller from another country than the numbers, so the country rule is really evaluated. */
const CALLER = '+442071838750';
const SCENARIOS = ['get', 'inbound', 'outbound'] as const;
type Scenario = (typeof SCENARIOS)[number];
interface Sample {
  method: 'GET' | 'POST';
  url: string;
  payload?: string;
}

const { values: args, positionals } = parseArgs({
  options: {
    rounds: { type: 'string', default: '25' },
    requests: { type: 'string', default: '500' },
    child: { type: 'string' },
    bare: { type: 'string' },
    // `--child <checkout> --profile <scenario>`: run that scenario alone in this process (under `node --cpu-prof`).
    profile: { type: 'string' },
  },
  allowPositionals: true,
});

if (args.child) await child(path.resolve(args.child));
else if (args.bare) await bareChild(args.bare);
else await parent();

async function parent(): Promise<void> {
  const checkouts = (positionals.length > 0 ? positionals : [path.join(import.meta.dirname, '..')]).map((checkout) => path.resolve(checkout));
  const rounds = Number(args.rounds);
  const requests = Number(args.requests);
  const devNull = fs.openSync('/dev/null', 'w');
  const start = (flag: string, value: string) =>
    fork(import.meta.filename, [`--${flag}`, value], { execArgv: ['--import', 'tsx'], stdio: ['ignore', devNull, 'inherit', 'ipc'] });
  const ask = <T>(process: ChildProcess, message: unknown) =>
    new Promise<T>((resolve) => {
      process.once('message', (answer) => resolve(answer as T));
      process.send(message as never);
    });
  const children = checkouts.map((checkout) => start('child', checkout));
  try {
    const samples = await Promise.all(children.map((child) => ask<Record<Scenario, { status: number; body: string; sample: Sample }>>(child, { kind: 'ready' })));
    const bare = start('bare', JSON.stringify(samples[0]));
    children.push(bare);
    await ask(bare, { kind: 'ready' });
    const targets = [{ name: 'bare Fastify (same bytes)', process: bare }, ...checkouts.map((checkout, index) => ({ name: path.relative(process.cwd(), checkout) || '.', process: children[index]! }))];
    const figures = new Map<string, number[]>();
    for (let round = 0; round < rounds + 1; round++) {
      for (const scenario of SCENARIOS) {
        for (const target of targets) {
          const micros = await ask<number>(target.process, { kind: 'run', scenario, requests });
          // Round 0 warms the JIT and the caches up and is not counted.
          if (round > 0) figures.set(`${scenario}\t${target.name}`, [...(figures.get(`${scenario}\t${target.name}`) ?? []), micros]);
        }
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    // On a shared host other jobs only ever add CPU time (cache misses, migrations): the least
    // disturbed round (min) is the steadier figure, the median the typical one.
    process.stdout.write(`| scenario | target | CPU µs/request, min of ${rounds} | median | min vs bare (CPU ratio) |\n| --- | --- | ---: | ---: | ---: |\n`);
    for (const scenario of SCENARIOS) {
      const bareMin = Math.min(...figures.get(`${scenario}\t${targets[0]!.name}`)!);
      for (const target of targets) {
        const values = figures.get(`${scenario}\t${target.name}`)!;
        process.stdout.write(`| ${scenario} | ${target.name} | ${Math.min(...values).toFixed(1)} | ${median(values).toFixed(1)} | ${(bareMin / Math.min(...values)).toFixed(2)} |\n`);
      }
    }
  } finally {
    for (const child of children) child.kill();
  }
}

const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** Answers `run` messages with the CPU µs per request of `requests` calls of `inject`. */
function serve(samples: Record<Scenario, Sample[]>, inject: (sample: Sample) => Promise<number>, ready: () => unknown): void {
  process.on('message', async (message: { kind: 'ready' } | { kind: 'run'; scenario: Scenario; requests: number }) => {
    if (message.kind === 'ready') {
      process.send!(ready());
      return;
    }
    const list = samples[message.scenario];
    const before = cpuMicros();
    for (let i = 0; i < message.requests; i++) {
      const status = await inject(list[i % list.length]!);
      if (status !== 200) throw new Error(`${message.scenario}: status ${status}`);
    }
    process.send!((cpuMicros() - before) / message.requests);
  });
}

async function child(root: string): Promise<void> {
  const { loadConfig } = (await import(path.join(root, 'src/config.ts'))) as typeof import('../src/config.ts');
  const { openRuntime, buildServer } = (await import(path.join(root, 'src/runtime.ts'))) as typeof import('../src/runtime.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-inject-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({
    DATABASE_URL: `sqlite:${path.join(dir, 'bench.db')}`,
    SWITCHBOARD_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_MINUTE: '1000000000',
  });
  const runtime = await openRuntime(config);
  const app = await buildServer(config, runtime);
  await app.ready();
  const workspace = await runtime.services.workspaces.ensureWorkspace('bench');
  const { key } = await runtime.services.workspaces.createKey(workspace.id, ['numbers:read', 'numbers:write', 'routing', 'admin']);
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const numbers = Array.from({ length: 200 }, (_, index) => benchNumber(index));
  const ids: string[] = [];
  for (const number of numbers) {
    const response = await app.inject({ method: 'POST', url: '/v1/phone-numbers', headers, payload: JSON.stringify(seedItem(number)) });
    if (response.statusCode !== 201) throw new Error(`seeding: ${response.statusCode} ${response.body}`);
    ids.push((response.json() as { id: string }).id);
  }
  for (;;) {
    const health = (await app.inject({ method: 'GET', url: '/healthz' })).json() as { routing_index?: string };
    if (health.routing_index !== 'loading') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const samples: Record<Scenario, Sample[]> = {
    get: ids.map((id) => ({ method: 'GET', url: `/v1/phone-numbers/${id}` })),
    inbound: numbers.map((to, index) => ({ method: 'POST', url: '/v1/routing/inbound', payload: JSON.stringify({ to, from: CALLER, call_id: `call-${index}` }) })),
    outbound: numbers.map((from, index) => ({ method: 'POST', url: '/v1/routing/outbound', payload: JSON.stringify({ from, to: '+12125550123', call_id: `out-${index}` }) })),
  };
  const inject = async (sample: Sample) => (await app.inject({ ...sample, headers })).statusCode;
  const first: Record<string, unknown> = {};
  for (const scenario of SCENARIOS) {
    const response = await app.inject({ ...samples[scenario][0]!, headers });
    if (response.statusCode !== 200) throw new Error(`${scenario}: ${response.statusCode} ${response.body}`);
    first[scenario] = { status: response.statusCode, body: response.body, sample: samples[scenario][0] };
  }
  if (args.profile) {
    const list = samples[args.profile as Scenario];
    for (let i = 0; i < 2000; i++) await inject(list[i % list.length]!);
    // Only the requests are profiled, not the start and the seeding.
    const session = new inspector.Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    for (let i = 0; i < Number(args.requests) * 10; i++) await inject(list[i % list.length]!);
    const { profile } = await session.post('Profiler.stop');
    const file = path.join(root, '.bench-tmp', `inject-${args.profile}-${Date.now()}.cpuprofile`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(profile));
    process.stderr.write(`${file}\n`);
    await app.close();
    await runtime.close();
    return;
  }
  serve(samples, inject, () => first);
}

/** The baseline: bare Fastify (no logger, auth, validation or store) answering with the same bytes. */
async function bareChild(json: string): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const answers = JSON.parse(json) as Record<Scenario, { status: number; body: string; sample: Sample }>;
  const app = Fastify({ logger: false });
  app.get('/v1/phone-numbers/:id', async (_request, reply) => reply.type('application/json; charset=utf-8').send(answers.get.body));
  app.post('/v1/routing/inbound', async (_request, reply) => reply.type('application/json; charset=utf-8').send(answers.inbound.body));
  app.post('/v1/routing/outbound', async (_request, reply) => reply.type('application/json; charset=utf-8').send(answers.outbound.body));
  await app.ready();
  const headers = { authorization: 'Bearer x', 'content-type': 'application/json' };
  const samples = Object.fromEntries(SCENARIOS.map((scenario) => [scenario, [answers[scenario].sample]])) as Record<Scenario, Sample[]>;
  serve(samples, async (sample) => (await app.inject({ ...sample, headers })).statusCode, () => 'ready');
}
