/**
 * Several instances on one PostgreSQL: how long a write on one takes to reach the other's routing
 * index (LISTEN/NOTIFY), and how long both take to serve again after every database connection
 * is killed. Two in-process instances (runtime + HTTP app each) on one schema of a throwaway
 * database (connections are killed per database), dropped at the end.
 *
 *   npx tsx bench/multi-instance.ts [postgres://postgres@127.0.0.1:5432/test] [writes=300] [kills=5]
 *
 * Propagation: a PATCH on A changes the number's inbound agent; from its 200, B's routing
 * decision (service call, no HTTP) is polled on every turn of the event loop until it answers
 * the new agent. Recovery: all backends terminated; the time until a read and a write succeed on
 * both instances, and until both report `routing_sync: "live"` again.
 */
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { buildServer, openRuntime } from '../src/runtime.ts';
import { SCOPES, type Actor } from '../src/services/context.ts';

const baseUrl = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/test';
const WRITES = Number(process.argv[3] ?? 300);
const KILLS = Number(process.argv[4] ?? 5);
const database = `sb_bench_mi_${crypto.randomBytes(4).toString('hex')}`;

function urlOf(name: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms (n = ${sorted.length})`;
}

const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
const config = loadConfig({ DATABASE_URL: urlOf(database), SWITCHBOARD_SECRET_KEY: crypto.randomBytes(32).toString('base64'), LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0' });
const instances: Array<{ runtime: Awaited<ReturnType<typeof openRuntime>>; app: Awaited<ReturnType<typeof buildServer>> }> = [];
try {
  for (let i = 0; i < 2; i++) {
    const runtime = await openRuntime(config, { schema: 'bench' });
    const app = await buildServer(config, runtime);
    await app.ready();
    instances.push({ runtime, app });
  }
  const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
  const workspace = await a.runtime.services.workspaces.ensureWorkspace('bench');
  const { key } = await a.runtime.services.workspaces.createKey(workspace.id, [...SCOPES]);
  const actor: Actor = { workspaceId: workspace.id, keyId: null, scopes: new Set(SCOPES) };
  const headers = { authorization: `Bearer ${key}` };
  const created = await a.app.inject({ method: 'POST', url: '/v1/phone-numbers', headers, payload: { phone_number: '+14155550199', inbound_agents: [{ agent_id: 'v0', weight: 1 }] } });
  const number = created.json() as { id: string; phone_number: string };
  await b.runtime.services.routing.indexLoaded();

  const propagation: number[] = [];
  for (let i = 1; i <= WRITES; i++) {
    const agent = `v${i}`;
    const patched = await a.app.inject({ method: 'PATCH', url: `/v1/phone-numbers/${number.id}`, headers, payload: { inbound_agents: [{ agent_id: agent, weight: 1 }] } });
    if (patched.statusCode !== 200) throw new Error(`PATCH ${patched.statusCode}: ${patched.body}`);
    const acknowledged = performance.now();
    for (;;) {
      const decision = await b.runtime.services.routing.inbound(actor, { to: number.phone_number, from: '+12125550100' }, 'voice');
      if ('agent_id' in decision && decision.agent_id === agent) break;
      if (performance.now() - acknowledged > 10_000) throw new Error(`write ${i} did not reach B within 10 s`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    propagation.push(performance.now() - acknowledged);
  }
  console.log(`propagation of a write from A to B's routing: ${summary(propagation)}`);

  const serving: number[] = [];
  const live: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [database]);
    const killed = performance.now();
    let servedAt = 0;
    for (const instance of [a, b]) {
      for (;;) {
        const read = await instance.app.inject({ method: 'GET', url: `/v1/phone-numbers/${number.id}`, headers });
        const write = read.statusCode === 200 ? await instance.app.inject({ method: 'PATCH', url: `/v1/phone-numbers/${number.id}`, headers, payload: { nickname: `k${k}` } }) : read;
        if (read.statusCode === 200 && write.statusCode === 200) break;
        if (![503].includes(read.statusCode) || ![200, 503].includes(write.statusCode)) throw new Error(`unexpected ${read.statusCode}/${write.statusCode}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      servedAt = performance.now() - killed;
    }
    serving.push(servedAt);
    while (a.runtime.services.feed.state !== 'live' || b.runtime.services.feed.state !== 'live') {
      if (performance.now() - killed > 30_000) throw new Error('the change feed did not come back within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    live.push(performance.now() - killed);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  console.log(`after killing every connection: both instances serve reads and writes again after ${summary(serving)}`);
  console.log(`after killing every connection: both change feeds live (resynchronised) again after ${summary(live)}`);
} finally {
  for (const { app, runtime } of instances) {
    await app.close();
    await runtime.close();
  }
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
