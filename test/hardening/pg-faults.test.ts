/**
 * Two instances on one PostgreSQL survive database faults: every backend killed while traffic
 * runs, then the database refusing connections for 3 s. Nothing crashes (an unhandled `error`
 * event would fail this file), every answer is a success or a 503 with Retry-After, the instances
 * recover by themselves, and a write on one is routed by the other soon after.
 *
 * `pg_terminate_backend` and `ALTER DATABASE … ALLOW_CONNECTIONS` reach every connection of a
 * database, so this file works in a throwaway database of its own, never in the shared `test`.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHarness, onPostgres, TEST_DATABASE_URL, type Harness } from '../helpers/harness.ts';
import { within } from '../helpers/instances.ts';
import { freshNumber, routingWorkspace, type RoutingWorkspace } from '../helpers/routing-fixtures.ts';

const database = `sb_faults_${crypto.randomBytes(5).toString('hex')}`;
let admin: pg.Client;
let first: Harness;
let second: Harness;
let ws: RoutingWorkspace;

function databaseUrl(name: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

beforeAll(async () => {
  if (!onPostgres) return;
  admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  first = await createHarness({ databaseUrl: databaseUrl(database), schema: 'faults' });
  second = await createHarness({ databaseUrl: databaseUrl(database), schema: 'faults' });
  ws = await routingWorkspace(first);
}, 120_000);

afterAll(async () => {
  if (!onPostgres) return;
  await first?.close();
  await second?.close();
  await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`).catch(() => {});
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

/** Ends every connection to the throwaway database (both instances' pools and their LISTEN connections). */
async function killBackends(): Promise<number> {
  const { rows } = await admin.query('select count(pg_terminate_backend(pid))::int as killed from pg_stat_activity where datname = $1', [database]);
  return rows[0].killed as number;
}

interface Traffic {
  statuses: Map<number, number>;
  /** 503 answers without Retry-After. */
  unhintedUnavailable: number;
  stop(): Promise<void>;
}

/** Decisions, reads and writes, four at a time, alternating between the instances until stopped. */
function runTraffic(numberId: string, phoneNumber: string): Traffic {
  const statuses = new Map<number, number>();
  let unhintedUnavailable = 0;
  let running = true;
  let turn = 0;
  const worker = async () => {
    while (running) {
      const h = turn++ % 2 === 0 ? first : second;
      const kind = turn % 3;
      const response =
        kind === 0
          ? await h.request('POST', '/v1/routing/inbound', { key: ws.admin, json: { to: phoneNumber, from: '+12125551234', call_id: `c${turn}` } })
          : kind === 1
            ? await h.request('GET', `/v1/phone-numbers/${numberId}`, { key: ws.admin })
            : await h.request('PATCH', `/v1/phone-numbers/${numberId}`, { key: ws.admin, json: { nickname: `n${turn}` } });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 503 && response.headers['retry-after'] === undefined) unhintedUnavailable++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  return {
    statuses,
    get unhintedUnavailable() {
      return unhintedUnavailable;
    },
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}


function decide(h: Harness, to: string) {
  return h.request('POST', '/v1/routing/inbound', { key: ws.admin, json: { to, from: '+12125551234', call_id: 'probe' } });
}

test.skipIf(!onPostgres)('every backend killed while traffic runs: no crash, only 2xx and 503, recovery within 5 s', { timeout: 60_000 }, async () => {
  const number = await ws.importNumber({ inbound_agents: [{ agent_id: 'a', weight: 1 }] });
  const traffic = runTraffic(number.id, number.phone_number);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await killBackends()).toBeGreaterThanOrEqual(4);
  const killedAt = Date.now();
  // Recovered: both instances answer reads and writes again, and hear each other again.
  for (const h of [first, second]) {
    await within(5000 - (Date.now() - killedAt), async () => {
      expect((await h.request('GET', `/v1/phone-numbers/${number.id}`, { key: ws.admin })).status).toBe(200);
      expect((await h.request('PATCH', `/v1/phone-numbers/${number.id}`, { key: ws.admin, json: { nickname: 'back' } })).status).toBe(200);
      expect((await h.request('GET', '/healthz')).json()).toMatchObject({ status: 'ok', routing_sync: 'live' });
    });
  }
  expect(Date.now() - killedAt).toBeLessThan(5000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await traffic.stop();
  const seen = [...traffic.statuses.keys()];
  expect(seen.every((status) => (status >= 200 && status < 300) || status === 503), JSON.stringify([...traffic.statuses])).toBe(true);
  expect(traffic.unhintedUnavailable).toBe(0);
  expect(traffic.statuses.get(200) ?? 0).toBeGreaterThan(10);
  // After recovery, a write on one instance is routed by the other.
  const later = await ws.importNumber({ inbound_agents: [{ agent_id: 'after-kill', weight: 1 }] });
  await within(2000, async () => expect((await decide(second, later.phone_number)).json()).toMatchObject({ action: 'connect', agent_id: 'after-kill' }));
});

test.skipIf(!onPostgres)('the database refusing connections for 3 s: afterwards a number imported on A is routed by B within 2 s', { timeout: 60_000 }, async () => {
  const number = await ws.importNumber({ inbound_agents: [{ agent_id: 'a', weight: 1 }] });
  const traffic = runTraffic(number.id, number.phone_number);
  await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
  await killBackends();
  await within(2000, async () => expect((await second.request('GET', '/healthz')).json().routing_sync).toBe('reconnecting'));
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const health = (await second.request('GET', '/healthz')).json();
  expect(health.routing_sync).toBe('reconnecting');
  expect(health.routing_sync_seconds_since_live).toBeGreaterThanOrEqual(2);
  // The readiness probe reads the same feed: down, so not ready.
  const readiness = await second.request('GET', '/readyz');
  expect(readiness.status).toBe(503);
  expect(readiness.json().checks.change_feed).toBe('down');
  await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
  await traffic.stop();
  expect([...traffic.statuses.keys()].every((status) => (status >= 200 && status < 300) || status === 503), JSON.stringify([...traffic.statuses])).toBe(true);
  expect(traffic.statuses.get(503) ?? 0).toBeGreaterThan(0);
  expect(traffic.unhintedUnavailable).toBe(0);

  // The import may meet the tail of the outage (503, nothing written): retried as a client would.
  let imported: { id: string; phone_number: string } | undefined;
  const phoneNumber = freshNumber('415');
  await within(5000, async () => {
    const response = await first.request('POST', '/v1/phone-numbers', { key: ws.admin, json: { phone_number: phoneNumber, inbound_agents: [{ agent_id: 'after-outage', weight: 1 }] } });
    expect(response.status, response.body).toBe(201);
    imported = response.json();
  });
  const tookMs = await within(2000, async () => expect((await decide(second, imported!.phone_number)).json()).toMatchObject({ action: 'connect', agent_id: 'after-outage' }));
  expect(tookMs).toBeLessThan(2000);
  // And the feed itself came back by itself.
  await within(5000, async () => expect((await second.request('GET', '/healthz')).json().routing_sync).toBe('live'));
});
