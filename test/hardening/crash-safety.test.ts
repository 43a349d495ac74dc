/**
 * Crash safety of the embedded store: a real server process killed with SIGKILL in the middle
 * of bulk imports and of PATCH traffic, restarted on the same SQLite file. Every acknowledged
 * write must be there and no request may be half applied. SIGTERM must let in-flight requests
 * finish and exit 0. The server always runs on a SQLite file here (that is what a crash can
 * corrupt), so the PostgreSQL pass of the suite skips this file instead of repeating it.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { onPostgres, TEST_SECRET_KEY } from '../helpers/harness.ts';
import { loadConfig } from '../../src/config.ts';
import { openRuntime } from '../../src/runtime.ts';
import { baseEnv, killHard, startServer, type ServerProcess } from './server-process.ts';
import { freshNumber } from './support.ts';

let dir: string;
let databaseUrl: string;
let dbFile: string;
let key: string;
const running: ServerProcess[] = [];

beforeAll(async () => {
  if (onPostgres) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-crash-'));
  dbFile = path.join(dir, 'switchboard.db');
  databaseUrl = `sqlite:${dbFile}`;
  // Set up in-process (a CLI process start is slow on a busy machine); the server opens the same file.
  const runtime = await openRuntime(loadConfig({ DATABASE_URL: databaseUrl, SWITCHBOARD_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent' }));
  try {
    const workspace = await runtime.services.workspaces.ensureWorkspace('crash');
    key = (await runtime.services.workspaces.createKey(workspace.id, ['numbers:read', 'numbers:write'])).key;
  } finally {
    await runtime.close();
  }
}, 120_000);

afterAll(async () => {
  for (const server of running) if (server.child.exitCode === null && server.child.signalCode === null) await killHard(server);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(extra: Record<string, string> = {}) {
  const server = await startServer(baseEnv(databaseUrl, extra));
  running.push(server);
  return server;
}

/**
 * The server left running by the previous test (a restart on the same file), or a new one:
 * process starts are the slow part on a busy CI machine, so each restart is also the next
 * test's server.
 */
async function runningOrStart(): Promise<ServerProcess> {
  const alive = running.find((server) => server.child.exitCode === null && server.child.signalCode === null);
  return alive ?? start();
}

async function call(server: ServerProcess, method: string, url: string, json?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.base}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  return { status: response.status, headers: response.headers, json: await response.json().catch(() => null) };
}

function readDb<T>(work: (db: SQLite.Database) => T): T {
  const db = new SQLite(dbFile, { readonly: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(onPostgres)('SIGKILL and restart on the same SQLite file', () => {
  test('during bulk imports: every acknowledged item is present, every request is all or nothing', { timeout: 300_000 }, async () => {
    const server = await runningOrStart();
    const batches = Array.from({ length: 6 }, () => Array.from({ length: 1000 }, () => freshNumber()));
    const acknowledged: number[] = [];
    const requests = batches.map(async (numbers, index) => {
      // Staggered so the kill lands while some are committed and some are being processed.
      await sleep(index * 60);
      try {
        const res = await call(server, 'POST', '/v1/phone-numbers/bulk', { items: numbers.map((phone_number) => ({ phone_number, nickname: `batch ${index}` })) });
        if (res.status === 200 && res.json.created === numbers.length) acknowledged.push(index);
      } catch {
        // the connection died with the server
      }
    });
    // Kill once the first import is acknowledged, with others still in flight.
    const deadline = Date.now() + 60_000;
    while (acknowledged.length === 0 && Date.now() < deadline) await sleep(5);
    await killHard(server);
    await Promise.all(requests);
    expect(acknowledged.length).toBeGreaterThan(0);

    const restarted = await start();
    expect((await fetch(`${restarted.base}/healthz`)).status).toBe(200);
    const { integrity, live } = readDb((db) => ({
      integrity: db.pragma('integrity_check', { simple: true }),
      live: new Set((db.prepare('select e164 from phone_numbers where deleted_at is null').all() as Array<{ e164: string }>).map((row) => row.e164)),
    }));
    expect(integrity).toBe('ok');
    const partial: string[] = [];
    batches.forEach((numbers, index) => {
      const present = numbers.filter((n) => live.has(n)).length;
      if (acknowledged.includes(index)) expect(present, `acknowledged batch ${index}`).toBe(numbers.length);
      if (present !== 0 && present !== numbers.length) partial.push(`batch ${index}: ${present}/${numbers.length}`);
    });
    expect(partial).toEqual([]);
    // Audit rows match the records: one create event per live number, nothing orphaned.
    const orphans = readDb((db) => db.prepare("select count(*) as n from phone_number_events e where action = 'create' and not exists (select 1 from phone_numbers p where p.id = e.phone_number_id)").get() as { n: number });
    expect(orphans.n).toBe(0);
    // The server on the restarted file serves what was acknowledged.
    const sample = batches[acknowledged[0]!]![0]!;
    expect((await call(restarted, 'GET', `/v1/phone-numbers/${encodeURIComponent(sample)}`)).status).toBe(200);
  });

  test('during concurrent PATCH traffic: acknowledged versions survive, no update is half applied', { timeout: 300_000 }, async () => {
    const server = await runningOrStart();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await call(server, 'POST', '/v1/phone-numbers', { phone_number: freshNumber(), nickname: 'count:0' });
      expect(res.status).toBe(201);
      ids.push(res.json.id);
    }
    const acked = new Map<string, number>();
    let stop = false;
    const client = async (worker: number) => {
      while (!stop) {
        const id = ids[worker % ids.length]!;
        try {
          const current = await call(server, 'GET', `/v1/phone-numbers/${id}`);
          const count = Number(/^count:(\d+)$/.exec(current.json.nickname)![1]);
          const agent = `agent-${count + 1}`;
          const res = await call(server, 'PATCH', `/v1/phone-numbers/${id}`, { nickname: `count:${count + 1}`, inbound_agents: [{ agent_id: agent, weight: 1 }] }, { 'if-match': current.headers.get('etag')! });
          if (res.status === 200) acked.set(id, Math.max(acked.get(id) ?? 0, Number(JSON.parse(res.headers.get('etag')!))));
        } catch {
          return;
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, i) => client(i));
    const deadline = Date.now() + 60_000;
    while ([...acked.values()].reduce((a, b) => a + b, 0) < 40 && Date.now() < deadline) await sleep(10);
    await killHard(server);
    stop = true;
    await Promise.all(clients);

    const restarted = await start();
    const rows = readDb((db) => ({
      integrity: db.pragma('integrity_check', { simple: true }),
      numbers: db.prepare('select id, version, nickname, inbound_agents from phone_numbers where id in (' + ids.map(() => '?').join(',') + ')').all(...ids) as Array<{ id: string; version: number; nickname: string; inbound_agents: string }>,
      events: db.prepare("select phone_number_id as id, count(*) as n from phone_number_events where action = 'update' group by phone_number_id").all() as Array<{ id: string; n: number }>,
      agents: db.prepare('select phone_number_id as id, agent_id from phone_number_agents').all() as Array<{ id: string; agent_id: string }>,
    }));
    expect(rows.integrity).toBe('ok');
    for (const number of rows.numbers) {
      expect(number.version, `acknowledged version of ${number.id}`).toBeGreaterThanOrEqual(acked.get(number.id) ?? 1);
      // Every committed update moved version, counter, audit trail and agent index together.
      expect(number.nickname).toBe(`count:${number.version - 1}`);
      expect(rows.events.find((e) => e.id === number.id)?.n ?? 0).toBe(number.version - 1);
      const bound = rows.agents.filter((a) => a.id === number.id).map((a) => a.agent_id);
      expect(bound).toEqual((JSON.parse(number.inbound_agents) as Array<{ agent_id: string }>).map((a) => a.agent_id));
      expect((await call(restarted, 'GET', `/v1/phone-numbers/${number.id}`)).headers.get('etag')).toBe(`"${number.version}"`);
    }
  });
});

describe.skipIf(onPostgres)('graceful shutdown', () => {
  test('SIGTERM lets the in-flight request finish, closes the store and exits 0', { timeout: 300_000 }, async () => {
    const server = await runningOrStart();
    const number = freshNumber();
    const body = JSON.stringify({ phone_number: number, nickname: 'in flight' });
    // Send the head and half the body, so the request is in flight when SIGTERM arrives.
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${server.base}/v1/phone-numbers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 200);
    });
    const res = await response;
    expect(res.status, res.body).toBe(201);
    const exit = await server.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('shutting down');
    // The store was closed cleanly: the WAL was checkpointed away and the write is on disk.
    expect(fs.existsSync(`${dbFile}-wal`) ? fs.statSync(`${dbFile}-wal`).size : 0).toBe(0);
    expect(readDb((db) => db.prepare('select nickname from phone_numbers where e164 = ?').get(number))).toEqual({ nickname: 'in flight' });
  });
});
