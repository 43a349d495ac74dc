/**
 * Bulk import throughput in process, on a fresh store each run, with the routing index loaded
 * (so its upsert of every created number is counted), for before/after comparisons of a fix:
 *
 *   node --import tsx bench/bulk.ts [--stores sqlite,postgres] [--sizes 10000,100000]
 *     [--paths service,http,csv] [--rounds 1] [checkout-root]
 *
 * - service: `PhoneNumberService.importMany`, 10,000 numbers per call;
 * - http: `POST /v1/phone-numbers/bulk` through `app.inject` (body parsing and validation, the
 *   service, serialising the response with every created record), 10,000 items per request;
 * - csv: `importCsv` of the CLI (`switchboard numbers import`) over a CSV held in memory.
 *
 * Prints one JSON line per run: numbers/s by wall clock and CPU µs per number (process.cpuUsage,
 * steadier than wall time on a shared machine). SQLite runs on a file (WAL), as a server does;
 * PostgreSQL runs in a schema of its own on `BENCH_POSTGRES_URL` (default the test server).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { benchNumber, NUMBER_SPACE } from './lib/numbers.ts';
import { seedItem } from './scenarios.ts';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    stores: { type: 'string', default: 'sqlite,postgres' },
    sizes: { type: 'string', default: '10000,100000' },
    paths: { type: 'string', default: 'service,http,csv' },
    rounds: { type: 'string', default: '1' },
  },
});
const root = path.resolve(positionals[0] ?? path.join(import.meta.dirname, '..'));
const { loadConfig } = (await import(path.join(root, 'src/config.ts'))) as typeof import('../src/config.ts');
const { openRuntime, buildServer } = (await import(path.join(root, 'src/runtime.ts'))) as typeof import('../src/runtime.ts');
const { importCsv } = (await import(path.join(root, 'src/cli/import-numbers.ts'))) as typeof import('../src/cli/import-numbers.ts');

const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PER_CALL = 10_000;

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

function itemsFor(start: number, count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => seedItem(benchNumber(start + i)));
}

function csvFor(start: number, count: number): string {
  const lines = ['phone_number,inbound_agents,outbound_agents'];
  for (let i = 0; i < count; i++) {
    const item = seedItem(benchNumber(start + i));
    const cell = (value: unknown) => `"${JSON.stringify(value).replaceAll('"', '""')}"`;
    lines.push(`${String(item.phone_number)},${cell(item.inbound_agents)},${cell(item.outbound_agents)}`);
  }
  return `${lines.join('\n')}\n`;
}

async function withStore<T>(store: string, work: (url: string, schema: string | undefined) => Promise<T>): Promise<T> {
  if (store === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bulk-'));
    try {
      return await work(`sqlite:${path.join(dir, 'bulk.db')}`, undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const schema = `bench_bulk_${crypto.randomBytes(4).toString('hex')}`;
  try {
    return await work(POSTGRES_URL, schema);
  } finally {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}

async function run(store: string, size: number, importPath: string): Promise<Record<string, unknown>> {
  return withStore(store, async (url, schema) => {
    const config = loadConfig({ DATABASE_URL: url, SWITCHBOARD_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_LEVEL: 'silent' });
    const runtime = await openRuntime(config, schema ? { schema } : {});
    const services = runtime.services;
    await services.routing.indexLoaded();
    const workspace = await services.workspaces.ensureWorkspace('bulk');
    const actor = await services.workspaces.authenticate((await services.workspaces.createKey(workspace.id, ['numbers:read', 'numbers:write'])).key);
    const key = (await services.workspaces.createKey(workspace.id, ['numbers:read', 'numbers:write'])).key;
    const app = importPath === 'http' ? await buildServer(config, runtime) : null;
    await app?.ready();
    // Prepared outside the measured span: building the input is the client's work.
    const requests = importPath === 'csv' ? [] : Array.from({ length: Math.ceil(size / PER_CALL) }, (_, i) => itemsFor(i * PER_CALL, Math.min(PER_CALL, size - i * PER_CALL)));
    const csv = importPath === 'csv' ? csvFor(0, size) : '';
    const payloads = importPath === 'http' ? requests.map((items) => JSON.stringify({ items })) : [];

    // Not measured: a first import of 400 numbers compiles what the first use compiles and, on a
    // SQLite file, starts the bulk-import worker thread (a server starts it once, not per import);
    // over HTTP its body (≈ 85 KB) takes the route's path for large bodies.
    const bulk = (payload: string) =>
      app!.inject({ method: 'POST', url: '/v1/phone-numbers/bulk', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload, payloadAsStream: true });
    const warm = itemsFor(NUMBER_SPACE - 400, 400);
    if (app) await (await bulk(JSON.stringify({ items: warm }))).stream().toArray();
    else await services.phoneNumbers.importMany(actor, warm as never);

    let created = 0;
    const cpuBefore = cpuMs();
    const wallBefore = performance.now();
    if (importPath === 'service') {
      for (const items of requests) {
        const results = await services.phoneNumbers.importMany(actor, items as never);
        created += results.filter((r) => r.status === 'created').length;
      }
    } else if (importPath === 'http') {
      for (const payload of payloads) {
        // The count only, from the head of the streamed answer: decoding and parsing its 13 MB
        // here would be the client's work, not the server's.
        const response = await bulk(payload);
        const chunks = (await response.stream().toArray()) as Buffer[];
        const head = chunks[0]?.subarray(0, 200).toString() ?? '';
        if (response.statusCode !== 200) throw new Error(`bulk: ${response.statusCode} ${head}`);
        created += Number(/^\{"created":(\d+)/.exec(head)?.[1]);
      }
    } else {
      const summary = await importCsv(services.phoneNumbers, actor, Readable.from([csv]));
      created = summary.created;
    }
    const wallMs = performance.now() - wallBefore;
    const spentMs = cpuMs() - cpuBefore;
    await app?.close();
    await runtime.close();
    if (created !== size) throw new Error(`${store} ${importPath}: created ${created} of ${size}`);
    return {
      store,
      path: importPath,
      numbers: size,
      perSecond: Math.round((size * 1000) / wallMs),
      cpuUsPerNumber: Number(((spentMs * 1000) / size).toFixed(1)),
    };
  });
}

for (let round = 0; round < Number(args.rounds); round++) {
  for (const store of args.stores.split(',')) {
    for (const size of args.sizes.split(',').map(Number)) {
      for (const importPath of args.paths.split(',')) {
        process.stdout.write(`${JSON.stringify({ root, ...(await run(store, size, importPath)) })}\n`);
      }
    }
  }
}
