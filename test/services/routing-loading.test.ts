import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber, routingWorkspace, type RoutingWorkspace } from '../helpers/routing-fixtures.ts';
import { DEFAULT_ROUTING_OPTIONS, RoutingService } from '../../src/services/routing/service.ts';

// A routing service that starts on a store already full of numbers (a restarted server) answers
// while its index still loads in the background. Its load is held between reading the first
// batch and adding it, so the index is empty (and the batch in hand stale) during each check.
let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});

afterAll(async () => {
  await h.close();
});

/** Holds the index load after its first batch is read, until opened. */
function heldLoad() {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const atFirstBatch = new Promise<void>((resolve) => (reached = resolve));
  return {
    afterIndexBatchRead: async () => {
      reached();
      await opened;
    },
    atFirstBatch,
    open: () => open(),
  };
}

async function startHeld(): Promise<{ routing: RoutingService; load: ReturnType<typeof heldLoad> }> {
  const load = heldLoad();
  const routing = new RoutingService(h.runtime.deps, h.runtime.services.feed, { ...DEFAULT_ROUTING_OPTIONS, afterIndexBatchRead: load.afterIndexBatchRead });
  await routing.start();
  await load.atFirstBatch;
  return { routing, load };
}

async function withHeldLoad(work: (routing: RoutingService, load: ReturnType<typeof heldLoad>) => Promise<void>): Promise<void> {
  const { routing, load } = await startHeld();
  try {
    await work(routing, load);
  } finally {
    load.open();
    await routing.stop();
  }
}

describe('decisions while the routing index loads', () => {
  let ws: RoutingWorkspace;
  let other: RoutingWorkspace;
  let sf: { id: string; phone_number: string };
  let ny: { id: string; phone_number: string };
  let foreign: { id: string; phone_number: string };

  beforeAll(async () => {
    ws = await routingWorkspace(h);
    other = await routingWorkspace(h);
    sf = await ws.importNumber({
      phone_number: freshNumber('415'),
      inbound_agents: [{ agent_id: 'in-a', weight: 1 }],
      outbound_agents: [{ agent_id: 'out', weight: 1, agent_version: 3 }],
    });
    ny = await ws.importNumber({ phone_number: freshNumber('212'), outbound_agents: [{ agent_id: 'out', weight: 1 }], max_concurrent_calls: 1 });
    foreign = await other.importNumber({ phone_number: freshNumber('415'), inbound_agents: [{ agent_id: 'theirs', weight: 1 }] });
  });

  test('are the decisions of a complete index', async () => {
    const pool = (await h.request('POST', '/v1/number-pools', { key: ws.admin, json: { name: `p-${Date.now()}`, members: [sf.id, ny.id] } })).json();
    await withHeldLoad(async (routing) => {
      expect(routing.indexState).toBe('loading');
      expect(routing.router.index.size).toBe(0);

      expect(await routing.inbound(ws.actor, { to: sf.phone_number, from: '+12125550111', call_id: 'c1' }, 'voice')).toMatchObject({
        action: 'connect',
        agent_id: 'in-a',
        phone_number_id: sf.id,
      });
      // Another workspace's number, and a number nobody holds, are not found.
      expect(await routing.inbound(ws.actor, { to: foreign.phone_number, from: '+12125550111' }, 'voice')).toMatchObject({ reason: 'number_not_found' });
      expect(await routing.inbound(ws.actor, { to: freshNumber('415'), from: '+12125550111' }, 'voice')).toMatchObject({ reason: 'number_not_found' });

      expect(await routing.outbound(ws.actor, { to: '+12125550199', from: sf.phone_number })).toMatchObject({ action: 'connect', agent_id: 'out', agent_version: 3, caller_id: sf.phone_number });
      // Caller ID among the agent's numbers: every bound number is a candidate, the local one wins.
      expect(await routing.outbound(ws.actor, { to: '+12125550199', agent_id: 'out' })).toMatchObject({
        caller_id: ny.phone_number,
        caller_id_match: 'area_code',
        decided_by: 'agent_numbers',
      });
      expect(await routing.outbound(ws.actor, { to: '+14155550199', agent_id: 'out' })).toMatchObject({ caller_id: sf.phone_number, caller_id_match: 'area_code' });
      expect(await routing.outbound(ws.actor, { to: '+14155550199', agent_id: 'nobody' })).toMatchObject({ reason: 'number_not_found' });
      expect(await routing.outbound(ws.actor, { to: '+12125550199', pool_id: pool.id })).toMatchObject({ caller_id: ny.phone_number, decided_by: 'pool' });
      expect((await routing.getPool(ws.actor, pool.id)).members).toEqual([sf.id, ny.id]);

      // A call on a number not loaded yet still takes its slot.
      await routing.startCall(ws.actor, `load-${Date.now()}`, { phone_number: ny.phone_number });
      expect(await routing.outbound(ws.actor, { to: '+12125550199', from: ny.phone_number })).toMatchObject({ reason: 'over_capacity' });
    });
  });

  test('a number deleted during the load is not revived by the batch read before the delete', async () => {
    const doomed = await ws.importNumber({ phone_number: freshNumber('415'), inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    const changed = await ws.importNumber({ phone_number: freshNumber('415'), inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    const { routing, load } = await startHeld();
    try {
      // The first batch (already read) holds both numbers as they were.
      expect((await h.request('DELETE', `/v1/phone-numbers/${doomed.id}`, { key: ws.admin })).status).toBe(204);
      expect((await h.request('PATCH', `/v1/phone-numbers/${changed.id}`, { key: ws.admin, json: { inbound_agents: [{ agent_id: 'b', weight: 1 }] } })).status).toBe(200);
      expect(await routing.inbound(ws.actor, { to: doomed.phone_number, from: '+12125550111' }, 'voice')).toMatchObject({ reason: 'number_not_found' });
      load.open();
      await routing.indexLoaded();
      expect(routing.indexState).toBe('ready');
      expect(routing.router.index.get(doomed.id)).toBeUndefined();
      expect(routing.router.index.get(sf.id)).toBeDefined();
      expect(await routing.inbound(ws.actor, { to: doomed.phone_number, from: '+12125550111' }, 'voice')).toMatchObject({ reason: 'number_not_found' });
      expect(await routing.inbound(ws.actor, { to: changed.phone_number, from: '+12125550111' }, 'voice')).toMatchObject({ agent_id: 'b' });
    } finally {
      load.open();
      await routing.stop();
    }
  });

  test('once loaded, the index holds every live number and nothing else', async () => {
    const routing = new RoutingService(h.runtime.deps, h.runtime.services.feed);
    try {
      await routing.indexLoaded();
      const live = await h.runtime.database.db.selectFrom('phone_numbers').select('id').where('deleted_at', 'is', null).execute();
      expect(new Set(routing.router.index.ids())).toEqual(new Set(live.map((row) => row.id)));
      expect(routing.router.index.get(sf.id)).toEqual(h.runtime.services.routing.router.index.get(sf.id));
    } finally {
      await routing.stop();
    }
  });
});
