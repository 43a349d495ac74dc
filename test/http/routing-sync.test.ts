import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHarness, onPostgres, type Harness } from '../helpers/harness.ts';
import { twoInstances, within } from '../helpers/instances.ts';
import { freshNumber, routingWorkspace } from '../helpers/routing-fixtures.ts';

// Two Switchboard instances on one PostgreSQL schema: a write on one must reach the other's
// in-memory routing within a second (LISTEN/NOTIFY). Meaningless on embedded SQLite.
let first: Harness;
let second: Harness;
let instances: Awaited<ReturnType<typeof twoInstances>>;

beforeAll(async () => {
  if (!onPostgres) return;
  instances = await twoInstances('t_sync');
  ({ first, second } = instances);
});

afterAll(async () => {
  if (onPostgres) await instances.close();
});

async function decide(h: Harness, key: string, to: string) {
  return (await h.request('POST', '/v1/routing/inbound', { key, json: { to, from: '+12125551234', call_id: 'c' } })).json();
}

/** Polls the other instance until the decision matches, failing after one second. */
const within1s = (check: () => Promise<void>) => within(1000, check);

test.skipIf(!onPostgres)('a write on one instance reaches the other instance\'s routing within 1 s', async () => {
  const ws = await routingWorkspace(first);
  const number = await ws.importNumber({ phone_number: freshNumber('415'), inbound_agents: [{ agent_id: 'a', weight: 1 }], fallback_number: freshNumber('212') });
  await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ action: 'connect', agent_id: 'a' }));

  await first.request('PATCH', `/v1/phone-numbers/${number.id}`, { key: ws.admin, json: { inbound_agents: [{ agent_id: 'b', weight: 1, agent_version: 2 }] } });
  await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ agent_id: 'b', agent_version: 2 }));

  // A change of the number alone (no agent rows): one statement, which sends the notice itself on commit.
  expect((await first.request('PATCH', `/v1/phone-numbers/${number.id}`, { key: ws.admin, json: { status: 'inactive' } })).status).toBe(200);
  await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ action: 'reject', reason: 'number_inactive' }));
  expect((await first.request('PATCH', `/v1/phone-numbers/${number.id}`, { key: ws.admin, json: { status: 'active' } })).status).toBe(200);
  await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ action: 'connect', agent_id: 'b' }));

  await first.request('PUT', '/v1/workspace/outage', { key: ws.admin, json: { enabled: true } });
  await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ action: 'forward', decided_by: 'outage' }));
  await second.request('PUT', '/v1/workspace/outage', { key: ws.admin, json: { enabled: false } });
  await within1s(async () => expect(await decide(first, ws.admin, number.phone_number)).toMatchObject({ action: 'connect' }));

  await first.request('PATCH', `/v1/phone-numbers/${number.id}`, { key: ws.admin, json: { max_concurrent_calls: 1 } });
  await first.request('POST', '/v1/calls/x1/start', { key: ws.admin, json: { phone_number_id: number.id } });
  await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ action: 'forward', decided_by: 'number_capacity' }));
  await second.request('POST', '/v1/calls/x1/end', { key: ws.admin });
  await within1s(async () => expect(await decide(first, ws.admin, number.phone_number)).toMatchObject({ action: 'connect' }));

  const pool = (await first.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: 'p', members: [number.id] } })).json();
  await within1s(async () => expect((await second.request('GET', `/v1/number-pools/${pool.id}`, { key: ws.admin })).json().members).toEqual([number.id]));

  await first.request('DELETE', `/v1/phone-numbers/${number.id}`, { key: ws.admin });
  await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ action: 'reject', reason: 'number_not_found' }));
});

test.skipIf(!onPostgres)('instances on other schemas do not hear each other', async () => {
  const stranger = await createHarness();
  try {
    const ws = await routingWorkspace(first);
    const number = await ws.importNumber({ phone_number: freshNumber('650'), inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    await within1s(async () => expect(await decide(second, ws.admin, number.phone_number)).toMatchObject({ action: 'connect' }));
    expect(stranger.runtime.services.routing.router.index.get(number.id)).toBeUndefined();
  } finally {
    await stranger.close();
  }
});
