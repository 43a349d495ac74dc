import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, dropSchema, onPostgres, TEST_DATABASE_URL, type Harness } from '../helpers/harness.ts';
import { freshNumber, routingWorkspace, type RoutingWorkspace } from '../helpers/routing-fixtures.ts';

// Caps hold under concurrency: on PostgreSQL two instances on one schema race for the last
// slots (each decides from its own memory, the store settles it); on SQLite one instance races itself.
const schema = `t_caps_${process.pid}_${Date.now().toString(36)}`;
let first: Harness;
let second: Harness;
let instances: Harness[];

beforeAll(async () => {
  first = await createHarness(onPostgres ? { schema } : {});
  second = onPostgres ? await createHarness({ schema }) : first;
  instances = [first, second];
});

afterAll(async () => {
  await first.close();
  if (onPostgres) {
    await second.close();
    await dropSchema(TEST_DATABASE_URL, schema);
  }
});

const CALLER = '+12125551234';
const CALLEE = '+12125550199';

/** Waits until every instance's routing state satisfies `ready` (the other instance hears of writes over NOTIFY). */
async function everywhere(ready: (h: Harness) => boolean): Promise<void> {
  const started = Date.now();
  while (!instances.every(ready)) {
    if (Date.now() - started > 2000) throw new Error('the instances did not converge within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function knowsNumber(id: string) {
  return (h: Harness) => h.runtime.services.routing.router.index.get(id) !== undefined;
}

/** `count` requests at once, alternating between the instances; their parsed bodies, in order. */
async function race(count: number, send: (h: Harness, index: number) => Promise<{ status: number; json(): any }>) {
  const responses = await Promise.all(Array.from({ length: count }, (_, index) => send(instances[index % 2]!, index)));
  return responses.map((response) => ({ status: response.status, body: response.json() }));
}

/** The workspace's live calls as the first instance counts them, once leases taken on the other have reached it. */
async function activeCalls(ws: RoutingWorkspace, expected: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const count: number = (await first.request('GET', '/v1/workspace', { key: ws.admin })).json().active_calls;
    if (count === expected || Date.now() - started > 1000) return count;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('caps hold across concurrent decisions', () => {
  test('20 inbound decisions on a number with cap 2: exactly 2 connect, the rest go to the fallback', async () => {
    const ws = await routingWorkspace(first);
    const fallback = freshNumber('212');
    const number = await ws.importNumber({ max_concurrent_calls: 2, fallback_number: fallback, inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    await everywhere(knowsNumber(number.id));
    const tag = Date.now().toString(36);
    const answers = await race(20, (h, i) => h.request('POST', '/v1/routing/inbound', { key: ws.admin, json: { to: number.phone_number, from: CALLER, call_id: `in-${tag}-${i}` } }));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const connected = answers.filter((answer) => answer.body.action === 'connect');
    expect(connected).toHaveLength(2);
    for (const answer of answers.filter((candidate) => candidate.body.action !== 'connect')) {
      expect(answer.body).toEqual({ action: 'forward', forward_to: fallback, decided_by: 'number_capacity', phone_number_id: number.id });
    }
    expect(await activeCalls(ws, 2)).toBe(2);

    // The connected calls hold their slots: their start renews; a new call is refused, naming the cap.
    const holder = answers.findIndex((answer) => answer.body.action === 'connect');
    const renewed = await second.request('POST', `/v1/calls/in-${tag}-${holder}/start`, { key: ws.admin, json: { phone_number_id: number.id } });
    expect(renewed.status).toBe(200);
    const refused = await second.request('POST', `/v1/calls/in-${tag}-new/start`, { key: ws.admin, json: { phone_number_id: number.id } });
    expect(refused.status).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'OVER_CAPACITY', errors: [{ field: 'phone_number.max_concurrent_calls' }] });
    expect(refused.json().detail).toContain('max_concurrent_calls (2)');

    // A decision without a call id reserves nothing (and, the number being full, is not connected).
    expect((await first.request('POST', '/v1/routing/inbound', { key: ws.admin, json: { to: number.phone_number, from: CALLER } })).json()).toMatchObject({ action: 'forward' });
    expect(await activeCalls(ws, 2)).toBe(2);

    // Ending one frees exactly one slot, on either instance.
    await first.request('POST', `/v1/calls/in-${tag}-${holder}/end`, { key: ws.admin });
    const after = await race(6, (h, i) => h.request('POST', '/v1/routing/inbound', { key: ws.admin, json: { to: number.phone_number, from: CALLER, call_id: `again-${tag}-${i}` } }));
    expect(after.filter((answer) => answer.body.action === 'connect')).toHaveLength(1);
  });

  test('without a fallback the number rejects over_capacity', async () => {
    const ws = await routingWorkspace(first);
    const number = await ws.importNumber({ max_concurrent_calls: 2, inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    await everywhere(knowsNumber(number.id));
    const answers = await race(20, (h, i) => h.request('POST', '/v1/routing/inbound', { key: ws.admin, json: { to: number.phone_number, from: CALLER, call_id: `rej-${i}` } }));
    expect(answers.filter((answer) => answer.body.action === 'connect')).toHaveLength(2);
    expect(answers.filter((answer) => answer.body.reason === 'over_capacity' && answer.body.decided_by === 'number_capacity')).toHaveLength(18);
  });

  test('20 decisions in a workspace with cap 2, over several numbers, inbound and outbound: exactly 2 connect', async () => {
    const ws = await routingWorkspace(first);
    const agents = { inbound_agents: [{ agent_id: 'a', weight: 1 }], outbound_agents: [{ agent_id: 'o', weight: 1 }] };
    const numbers = [await ws.importNumber(agents), await ws.importNumber(agents), await ws.importNumber(agents), await ws.importNumber(agents)];
    expect((await first.request('PATCH', '/v1/workspace', { key: ws.admin, json: { max_concurrent_calls: 2 } })).status).toBe(200);
    await everywhere((h) => numbers.every(({ id }) => knowsNumber(id)(h)) && h.runtime.services.routing.router.workspace(ws.id).maxConcurrentCalls === 2);
    const answers = await race(20, (h, i) => {
      const number = numbers[i % numbers.length]!;
      return i % 3 === 0
        ? h.request('POST', '/v1/routing/outbound', { key: ws.admin, json: { to: CALLEE, from: number.phone_number, call_id: `ws-${i}` } })
        : h.request('POST', '/v1/routing/inbound', { key: ws.admin, json: { to: number.phone_number, from: CALLER, call_id: `ws-${i}` } });
    });
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.filter((answer) => answer.body.action === 'connect')).toHaveLength(2);
    expect(answers.filter((answer) => answer.body.decided_by === 'workspace_capacity')).toHaveLength(18);
    expect(await activeCalls(ws, 2)).toBe(2);
    const refused = await second.request('POST', '/v1/calls/ws-new/start', { key: ws.admin, json: { phone_number_id: numbers[0]!.id } });
    expect(refused.status).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'OVER_CAPACITY', errors: [{ field: 'workspace.max_concurrent_calls' }] });
  });

  test('concurrent call starts with distinct ids on a number with cap 2: exactly 2 accepted', async () => {
    const ws = await routingWorkspace(first);
    const number = await ws.importNumber({ max_concurrent_calls: 2, inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    await everywhere(knowsNumber(number.id));
    const answers = await race(10, (h, i) => h.request('POST', `/v1/calls/start-${i}/start`, { key: ws.admin, json: { phone_number_id: number.id } }));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(2);
    expect(answers.filter((answer) => answer.status === 409 && answer.body.code === 'OVER_CAPACITY')).toHaveLength(8);
    expect(await activeCalls(ws, 2)).toBe(2);
  });

  test('an outbound pool decision whose caller ID filled up meanwhile takes another member', async () => {
    const ws = await routingWorkspace(first);
    const agents = { outbound_agents: [{ agent_id: 'o', weight: 1 }] };
    const members = [await ws.importNumber({ max_concurrent_calls: 1, ...agents }), await ws.importNumber({ max_concurrent_calls: 1, ...agents })];
    const pool = (await first.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: 'caps', members: members.map(({ id }) => id) } })).json();
    await everywhere((h) => members.every(({ id }) => knowsNumber(id)(h)) && h.runtime.services.routing.router.pools.has(pool.id));
    const answers = await race(10, (h, i) => h.request('POST', '/v1/routing/outbound', { key: ws.admin, json: { to: CALLEE, pool_id: pool.id, call_id: `pool-${i}` } }));
    const connected = answers.filter((answer) => answer.body.action === 'connect');
    expect(connected).toHaveLength(2);
    expect(new Set(connected.map((answer) => answer.body.caller_id))).toEqual(new Set(members.map((member) => member.phone_number)));
    expect(answers.filter((answer) => answer.body.reason === 'over_capacity')).toHaveLength(8);
  });

  test('a decision repeated with the same call id keeps its one slot', async () => {
    const ws = await routingWorkspace(first);
    const number = await ws.importNumber({ max_concurrent_calls: 1, inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    await everywhere(knowsNumber(number.id));
    const body = { to: number.phone_number, from: CALLER, call_id: 'repeat' };
    expect((await first.request('POST', '/v1/routing/inbound', { key: ws.admin, json: body })).json()).toMatchObject({ action: 'connect' });
    expect(await activeCalls(ws, 1)).toBe(1);
    const other = await second.request('POST', '/v1/routing/inbound', { key: ws.admin, json: { ...body, call_id: 'other' } });
    expect(other.json()).toMatchObject({ action: 'reject', reason: 'over_capacity' });
    expect((await first.request('POST', '/v1/calls/repeat/start', { key: ws.admin, json: { phone_number_id: number.id } })).status).toBe(200);
    expect(await activeCalls(ws, 1)).toBe(1);
    // A call id becomes a lease: control characters are refused, naming the field, as on /start.
    const bad = await first.request('POST', '/v1/routing/inbound', { key: ws.admin, json: { ...body, call_id: 'bad\u0001id' } });
    expect(bad.status).toBe(400);
    expect(bad.json().errors).toEqual([{ field: 'call_id', message: 'must not contain control characters' }]);
  });
});
