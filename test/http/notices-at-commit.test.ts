/**
 * Every write another instance caches (numbers, workspace routing settings, pools, call leases,
 * API-key revocations) sends its notice inside its own statement or transaction, so PostgreSQL
 * delivers it at that commit: nothing is left to send afterwards, where a process dying (or its
 * pool failing) between the commit and a NOTIFY of its own would leave the other instances on
 * stale state until their feed reconnects. Each test loses every NOTIFY sent after a commit
 * (`loseNoticesSentAfterCommit`) and still sees the other instance follow; a write that rolls
 * back sends nothing. Two instances on one PostgreSQL schema; meaningless on SQLite.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sql } from 'kysely';
import { operatorActor } from '../../src/services/context.ts';
import type { ChangeNotice } from '../../src/services/routing/sync.ts';
import { onPostgres, type Harness } from '../helpers/harness.ts';
import { revokeFromCli, twoInstances, within } from '../helpers/instances.ts';
import { loseNoticesSentAfterCommit } from '../helpers/lost-notices.ts';
import { freshNumber, routingWorkspace } from '../helpers/routing-fixtures.ts';

let first: Harness;
let second: Harness;
let instances: Awaited<ReturnType<typeof twoInstances>>;
let restoreDriver: () => void;
/** Every notice the second instance hears, in the order it hears them. */
const heard: ChangeNotice[] = [];

beforeAll(async () => {
  if (!onPostgres) return;
  instances = await twoInstances('t_notices');
  ({ first, second } = instances);
  second.runtime.services.feed.remote!.subscribe({ notice: (notice) => heard.push(notice) });
  restoreDriver = loseNoticesSentAfterCommit();
});

afterAll(async () => {
  if (!onPostgres) return;
  restoreDriver();
  await instances.close();
});

const within1s = (check: () => Promise<void>) => within(1000, check);

/** An inbound decision; with a call id it holds a slot of a capped number. */
async function decide(h: Harness, key: string, to: string, callId?: string) {
  return (await h.request('POST', '/v1/routing/inbound', { key, json: { to, from: '+12125551234', ...(callId ? { call_id: callId } : {}) } })).json();
}

test.skipIf(!onPostgres)('a bulk import tells the other instance by its transaction, 150 ids a payload', async () => {
  const ws = await routingWorkspace(first);
  const items = Array.from({ length: 301 }, () => ({ phone_number: freshNumber('415'), inbound_agents: [{ agent_id: 'bulk', weight: 1 }] }));
  const response = await first.request('POST', '/v1/phone-numbers/bulk', { key: ws.admin, json: { items } });
  expect(response.status).toBe(200);
  const ids: string[] = response.json().data.map((result: { phone_number: { id: string } }) => result.phone_number.id);
  expect(ids).toHaveLength(301);
  const { index } = second.runtime.services.routing.router;
  await within1s(async () => expect(ids.filter((id) => index.get(id) === undefined)).toEqual([]));
  expect(await decide(second, ws.admin, items[300]!.phone_number)).toMatchObject({ action: 'connect', agent_id: 'bulk' });
});

test.skipIf(!onPostgres)('a PATCH by number tells the other instance by its statement', async () => {
  const ws = await routingWorkspace(first);
  const number = await ws.importNumber({ phone_number: freshNumber('415'), inbound_agents: [{ agent_id: 'a', weight: 1 }] });
  await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ action: 'connect', agent_id: 'a' }));
  expect((await first.request('PATCH', `/v1/phone-numbers/${encodeURIComponent(number.phone_number)}`, { key: ws.admin, json: { status: 'inactive' } })).status).toBe(200);
  await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ action: 'reject', reason: 'number_inactive' }));
});

test.skipIf(!onPostgres)('workspace routing settings tell the other instance by their own statement', async () => {
  const ws = await routingWorkspace(first);
  const number = await ws.importNumber({ phone_number: freshNumber('415'), inbound_agents: [{ agent_id: 'a', weight: 1 }], fallback_number: freshNumber('212') });
  await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ action: 'connect' }));

  expect((await first.request('PUT', '/v1/workspace/outage', { key: ws.admin, json: { enabled: true } })).status).toBe(200);
  await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ action: 'forward', decided_by: 'outage' }));

  expect((await first.request('PATCH', '/v1/workspace', { key: ws.admin, json: { max_concurrent_calls: 7 } })).status).toBe(200);
  await within1s(async () => expect((await second.request('GET', '/v1/workspace', { key: ws.admin })).json().max_concurrent_calls).toBe(7));

  const { signing_secret: rotated } = (await first.request('POST', '/v1/workspace/signing-secret/rotate', { key: ws.admin })).json();
  await within1s(async () => expect(second.runtime.services.routing.router.workspace(ws.id).signingSecret).toBe(rotated));
});

test.skipIf(!onPostgres)('the first use of a signing secret tells the other instance by the statement that wrote it', async () => {
  const ws = await routingWorkspace(first);
  // Webhook decisions ask for it (RoutingService keeps it to them): the part itself, here.
  const settings = (first.runtime.services.routing as unknown as { settings: { signingSecret(workspaceId: string): Promise<string> } }).settings;
  const secret = await settings.signingSecret(ws.id);
  await within1s(async () => expect(second.runtime.services.routing.router.workspace(ws.id).signingSecret).toBe(secret));
});

test.skipIf(!onPostgres)('every pool write tells the other instance by its transaction', async () => {
  const ws = await routingWorkspace(first);
  const [a, b] = [await ws.importNumber({ phone_number: freshNumber('415') }), await ws.importNumber({ phone_number: freshNumber('415') })];
  const onSecond = async () => (await second.request('GET', `/v1/number-pools/${pool.id}`, { key: ws.admin })).json();
  const pool = (await first.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: 'notices', members: [a.id] } })).json();
  await within1s(async () => expect((await onSecond()).members).toEqual([a.id]));

  expect((await first.request('PATCH', `/v1/number-pools/${pool.id}`, { key: ws.admin, json: { name: 'renamed' } })).status).toBe(200);
  await within1s(async () => expect((await onSecond()).name).toBe('renamed'));

  expect((await first.request('POST', `/v1/number-pools/${pool.id}/members`, { key: ws.admin, json: { members: [b.id] } })).status).toBe(200);
  await within1s(async () => expect((await onSecond()).members).toEqual([a.id, b.id]));

  expect((await first.request('DELETE', `/v1/number-pools/${pool.id}/members/${a.id}`, { key: ws.admin })).status).toBe(200);
  await within1s(async () => expect((await onSecond()).members).toEqual([b.id]));

  expect((await first.request('DELETE', `/v1/number-pools/${pool.id}`, { key: ws.admin })).status).toBe(204);
  await within1s(async () => expect((await second.request('GET', `/v1/number-pools/${pool.id}`, { key: ws.admin })).status).toBe(404));
});

test.skipIf(!onPostgres)('call leases tell the other instance by their own statement: start, under a cap or none, a decision\'s slot, end', async () => {
  const ws = await routingWorkspace(first);
  const capped = await ws.importNumber({ phone_number: freshNumber('415'), inbound_agents: [{ agent_id: 'a', weight: 1 }], fallback_number: freshNumber('212'), max_concurrent_calls: 1 });
  await within1s(async () => expect(await decide(second, ws.admin, capped.phone_number)).toMatchObject({ action: 'connect' }));
  const activeOnSecond = async () => (await second.request('GET', '/v1/workspace', { key: ws.admin })).json().active_calls as number;

  // Under the number's cap: the lease is written in the cap's locked transaction.
  expect((await first.request('POST', '/v1/calls/leased-1/start', { key: ws.admin, json: { phone_number_id: capped.id } })).status).toBe(200);
  await within1s(async () => expect(await decide(second, ws.admin, capped.phone_number)).toMatchObject({ action: 'forward', decided_by: 'number_capacity' }));
  expect((await first.request('POST', '/v1/calls/leased-1/end', { key: ws.admin })).status).toBe(200);
  await within1s(async () => expect(await decide(second, ws.admin, capped.phone_number)).toMatchObject({ action: 'connect' }));

  // A routing decision with a call id holds the slot itself.
  expect(await decide(first, ws.admin, capped.phone_number, 'decided-1')).toMatchObject({ action: 'connect' });
  await within1s(async () => expect(await decide(second, ws.admin, capped.phone_number)).toMatchObject({ action: 'forward', decided_by: 'number_capacity' }));
  expect((await first.request('POST', '/v1/calls/decided-1/end', { key: ws.admin })).status).toBe(200);
  await within1s(async () => expect(await activeOnSecond()).toBe(0));

  // No cap: the lease is one statement of its own, outside any transaction.
  const uncapped = await ws.importNumber({ phone_number: freshNumber('415'), inbound_agents: [{ agent_id: 'a', weight: 1 }] });
  expect((await first.request('POST', '/v1/calls/free-1/start', { key: ws.admin, json: { phone_number_id: uncapped.id } })).status).toBe(200);
  await within1s(async () => expect(await activeOnSecond()).toBe(1));
  expect((await first.request('POST', '/v1/calls/free-1/end', { key: ws.admin })).status).toBe(200);
  await within1s(async () => expect(await activeOnSecond()).toBe(0));
});

/** Polls `h` with the key until it is refused, failing after 1 s (the auth cache alone keeps a key 5 s). */
async function refusedWithin1s(h: Harness, key: string): Promise<void> {
  await within1s(async () => expect((await h.request('GET', '/v1/phone-numbers', { key })).status).toBe(401));
}

test.skipIf(!onPostgres)('a revocation tells the other instance by its own statement, through the API or the CLI', async () => {
  const ws = await first.workspace();
  const admin = await ws.key();
  const victim = (await first.request('POST', '/v1/api-keys', { key: admin, json: { scopes: ['numbers:read'] } })).json();
  expect((await second.request('GET', '/v1/phone-numbers', { key: victim.key })).status).toBe(200);
  expect((await first.request('DELETE', `/v1/api-keys/${victim.id}`, { key: admin })).status).toBe(204);
  await refusedWithin1s(second, victim.key);

  const created = await first.runtime.services.workspaces.createKey(ws.id, ['numbers:read']);
  expect((await second.request('GET', '/v1/phone-numbers', { key: created.key })).status).toBe(200);
  await revokeFromCli(first, created.id);
  await refusedWithin1s(second, created.key);
});

/** A write that succeeds (the outage switched off), and the wait until the second instance has heard it. */
async function heardSentinel(workspaceId: string, admin: string): Promise<void> {
  expect((await first.request('PUT', '/v1/workspace/outage', { key: admin, json: { enabled: false } })).status).toBe(200);
  await within1s(async () => expect(heard.some((notice) => notice.workspaces?.includes(workspaceId))).toBe(true));
}

/**
 * What the second instance heard of `write` (which must fail): notices arrive in commit order, so
 * with a write that succeeds before and after it, anything it sent lies between their notices.
 */
async function heardOf(write: () => Promise<unknown>, workspaceId: string, admin: string): Promise<ChangeNotice[]> {
  await heardSentinel(workspaceId, admin);
  heard.length = 0;
  await expect(write()).rejects.toThrow();
  await heardSentinel(workspaceId, admin);
  return heard.splice(0).filter((notice) => !notice.workspaces?.includes(workspaceId));
}

/** A request that must be answered 409, as a promise that rejects then. */
function conflict(request: () => Promise<{ status: number; body: string }>): () => Promise<unknown> {
  return async () => {
    const response = await request();
    if (response.status === 409) throw new Error('409');
    return response;
  };
}

test.skipIf(!onPostgres)('a pool write that loses to the unique name rolls back and tells nobody', async () => {
  const ws = await routingWorkspace(first);
  const number = await ws.importNumber({ phone_number: freshNumber('415') });
  expect((await first.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: 'taken', members: [number.id] } })).status).toBe(201);
  const other = (await first.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: 'free' } })).json();
  const create = conflict(() => first.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: 'taken', members: [number.id] } }));
  expect(await heardOf(create, ws.id, ws.admin)).toEqual([]);
  const rename = conflict(() => first.request('PATCH', `/v1/number-pools/${other.id}`, { key: ws.admin, json: { name: 'taken', members: [number.id] } }));
  expect(await heardOf(rename, ws.id, ws.admin)).toEqual([]);
});

test.skipIf(!onPostgres)('a bulk import whose COMMIT fails, after its notice statement ran, tells nobody', async () => {
  const ws = await routingWorkspace(first);
  // A deferred constraint trigger fails the transaction at COMMIT: after every insert and the notice.
  const { db } = first.runtime.database;
  await sql`create or replace function fail_at_commit() returns trigger language plpgsql as $$ begin raise exception 'refused at commit'; end $$`.execute(db);
  await sql`create constraint trigger fail_at_commit after insert on phone_numbers deferrable initially deferred for each row when (new.nickname = 'fail at commit') execute function fail_at_commit()`.execute(db);
  try {
    const items = [{ phone_number: freshNumber('415') }, { phone_number: freshNumber('415'), nickname: 'fail at commit' }];
    const importBoth = () => first.runtime.services.phoneNumbers.importMany(operatorActor(ws.id), items);
    expect(await heardOf(importBoth, ws.id, ws.admin)).toEqual([]);
    expect((await first.request('GET', `/v1/phone-numbers/${encodeURIComponent(items[0]!.phone_number)}`, { key: ws.admin })).status).toBe(404);
  } finally {
    await sql`drop trigger fail_at_commit on phone_numbers`.execute(db);
  }
});
