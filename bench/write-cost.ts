/**
 * CPU and statements of the single-number writes (PATCH one number, import one number), in
 * process, over the whole HTTP stack (app.inject: auth, rate limiting, schemas, the access line
 * at `info`, Idempotency-Key off), on SQLite and PostgreSQL:
 *
 *   node --import tsx bench/write-cost.ts [other-checkout] [--stores sqlite,postgres] [--rounds 7] [--requests 300] [--sql]
 *   WRITE_COST_NODE_ARGS="--cpu-prof --cpu-prof-dir=.bench-tmp/profiles" node --import tsx bench/write-cost.ts --stores sqlite
 *
 * One child process per checkout and store, each with a store of its own (a temporary SQLite file,
 * a PostgreSQL schema of its own on BENCH_POSTGRES_URL); the rounds alternate between the
 * checkouts, and each figure is the median of the rounds. "CPU µs/req" is process.cpuUsage over a
 * round divided by its requests; "statements/req" counts what reached the driver (better-sqlite3
 * statement runs; PostgreSQL client queries, i.e. round trips), BEGIN/COMMIT and the change
 * feed's NOTIFY included. `--sql` prints the statements of one PATCH and one import per checkout.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { benchNumber, WRITE_SPACE_START } from './lib/numbers.ts';
import { seedItem } from './scenarios.ts';

const HERE = path.join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args.splice(at, 2)[1]! : fallback;
};

type Kind = 'patch' | 'import';
interface RoundResult {
  cpuUs: Record<Kind, number>;
  statements: Record<Kind, number>;
}

if (args[0] === '--child') await child(path.resolve(args[1]!), args[2] as 'sqlite' | 'postgres', Number(args[3]), args[4] === 'sql');
else await parent();

async function parent(): Promise<void> {
  const stores = option('stores', 'sqlite,postgres').split(',');
  const rounds = Number(option('rounds', '7'));
  const requests = option('requests', '300');
  const sql = args.includes('--sql');
  const checkouts = [HERE, ...args.filter((arg) => !arg.startsWith('--')).map((arg) => path.resolve(arg))];
  process.stdout.write(`| store | checkout | PATCH CPU µs/req | PATCH statements/req | import CPU µs/req | import statements/req |\n| --- | --- | ---: | ---: | ---: | ---: |\n`);
  for (const store of stores) {
    const children = checkouts.map((root) => fork(import.meta.filename, ['--child', root, store, requests, sql ? 'sql' : ''], {
      // WRITE_COST_NODE_ARGS="--cpu-prof --cpu-prof-dir=.bench-tmp/profiles" profiles the children.
      execArgv: ['--import', 'tsx', ...(process.env.WRITE_COST_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      // The access lines go nowhere (as cheap as a file); the results come back over IPC.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }));
    try {
      await Promise.all(children.map((c) => reply(c)));
      const results: RoundResult[][] = children.map(() => []);
      for (let round = 0; round < rounds; round++) {
        // Alternate the order too, so neither checkout always runs right after the other.
        const order = round % 2 === 0 ? children.map((_, i) => i) : children.map((_, i) => i).reverse();
        for (const index of order) results[index]!.push((await reply(children[index]!, { round })) as RoundResult);
      }
      checkouts.forEach((root, index) => {
        const of = (pick: (r: RoundResult) => number) => median(results[index]!.map(pick));
        const name = path.relative(HERE, root) || 'this checkout';
        process.stdout.write(
          `| ${store} | ${name} | ${of((r) => r.cpuUs.patch).toFixed(0)} | ${of((r) => r.statements.patch).toFixed(2)} | ${of((r) => r.cpuUs.import).toFixed(0)} | ${of((r) => r.statements.import).toFixed(2)} |\n`,
        );
      });
    } finally {
      for (const c of children) c.send({ stop: true });
      await Promise.all(children.map((c) => new Promise((resolve) => c.once('exit', resolve))));
    }
  }
}

function reply(c: ChildProcess, message?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`write-cost child exited with ${code}`));
    c.once('exit', onExit);
    c.once('message', (answer) => {
      c.off('exit', onExit);
      resolve(answer);
    });
    if (message) c.send(message);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function child(root: string, store: 'sqlite' | 'postgres', requests: number, printSql: boolean): Promise<void> {
  const statements = countStatements(root, store);
  const { loadConfig } = (await import(path.join(root, 'src/config.ts'))) as typeof import('../src/config.ts');
  const { openRuntime, buildServer } = (await import(path.join(root, 'src/runtime.ts'))) as typeof import('../src/runtime.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-write-cost-'));
  const schema = `write_cost_${process.pid}`;
  const pgUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const config = loadConfig({
    DATABASE_URL: store === 'sqlite' ? `sqlite:${path.join(dir, 'bench.db')}` : pgUrl,
    SWITCHBOARD_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_MINUTE: '1000000000',
  });
  const runtime = await openRuntime(config, store === 'postgres' ? { schema } : {});
  const app = await buildServer(config, runtime);
  await app.ready();
  const workspace = await runtime.services.workspaces.ensureWorkspace('bench');
  const { key } = await runtime.services.workspaces.createKey(workspace.id, ['numbers:read', 'numbers:write']);
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  let fresh = WRITE_SPACE_START;
  const importOne = async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/phone-numbers', headers, payload: JSON.stringify(seedItem(benchNumber(fresh++))) });
    if (response.statusCode !== 201) throw new Error(`import: ${response.statusCode} ${response.body}`);
    return (JSON.parse(response.body) as { id: string }).id;
  };
  const ids: string[] = [];
  for (let i = 0; i < Math.max(requests, 200); i++) ids.push(await importOne());
  let patches = 0;
  const patchOne = async () => {
    const id = ids[patches % ids.length]!;
    const response = await app.inject({ method: 'PATCH', url: `/v1/phone-numbers/${id}`, headers, payload: JSON.stringify({ nickname: `bench ${patches++}` }) });
    if (response.statusCode !== 200) throw new Error(`patch: ${response.statusCode} ${response.body}`);
  };
  // Warm-up: the JIT, the statement caches, the routing index's first entries.
  for (let i = 0; i < requests; i++) await patchOne();
  if (printSql) {
    for (const [kind, run] of [['PATCH', patchOne], ['import', importOne]] as const) {
      statements.trace = [];
      await run();
      process.stderr.write(`--- ${path.basename(root)} ${store}: one ${kind}, ${statements.trace.length} statements\n${statements.trace.map((s) => `  ${s}`).join('\n')}\n`);
      statements.trace = null;
    }
  }
  const measure = async (run: () => Promise<unknown>) => {
    const count = statements.count;
    const before = process.cpuUsage();
    for (let i = 0; i < requests; i++) await run();
    const spent = process.cpuUsage(before);
    return { cpuUs: (spent.user + spent.system) / requests, statements: (statements.count - count) / requests };
  };
  process.send!('ready');
  process.on('message', (message: { round?: number; stop?: boolean }) => {
    void (async () => {
      if (message.stop) {
        await app.close();
        if (store === 'postgres') await runtime.database.db.schema.dropSchema(schema).ifExists().cascade().execute();
        await runtime.close();
        fs.rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      }
      const patch = await measure(patchOne);
      const created = await measure(importOne);
      process.send!({ cpuUs: { patch: patch.cpuUs, import: created.cpuUs }, statements: { patch: patch.statements, import: created.statements } });
    })().catch((error: unknown) => {
      process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
      process.exit(1);
    });
  });
}

/** Counts (and, while `trace` is set, records) every statement the checkout's driver runs. */
function countStatements(root: string, store: 'sqlite' | 'postgres'): { count: number; trace: string[] | null } {
  const counter = { count: 0, trace: null as string[] | null };
  const seen = (sql: string) => {
    counter.count++;
    counter.trace?.push(sql.replace(/\s+/g, ' ').slice(0, 160));
  };
  const require = createRequire(path.join(root, 'package.json'));
  if (store === 'sqlite') {
    const SQLite = require('better-sqlite3') as typeof import('better-sqlite3');
    const probe = new SQLite(':memory:');
    const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>;
    probe.close();
    for (const method of ['run', 'all', 'get', 'iterate']) {
      const original = proto[method]!;
      proto[method] = function (this: { source: string }, ...a: unknown[]) {
        seen(this.source);
        return original.apply(this, a);
      };
    }
  } else {
    const pg = require('pg') as typeof import('pg');
    const original = pg.Client.prototype.query as (...a: unknown[]) => unknown;
    (pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (this: unknown, ...a: unknown[]) {
      const first = a[0] as string | { text?: string };
      seen(typeof first === 'string' ? first : (first?.text ?? '?'));
      return original.apply(this, a);
    };
  }
  return counter;
}
