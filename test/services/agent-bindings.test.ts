import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { attachChanges, attachedAgentIds, detachChanges, isAvailableForInbound } from '../../src/services/agent-bindings.ts';
import { operatorActor } from '../../src/services/context.ts';
import type { NumberChange } from '../../src/services/change-feed.ts';
import type { PhoneNumber } from '../../src/services/phone-numbers/model.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';

function record(inbound: PhoneNumber['inbound_agents'], outbound: PhoneNumber['outbound_agents']): PhoneNumber {
  return { inbound_agents: inbound, outbound_agents: outbound } as PhoneNumber;
}

describe('binding rules', () => {
  // Issue 12: attach builds the outbound pool only ("Does this apply to inbound agents? No.").
  test('attach: joins the outbound list with an equal split and never touches inbound', () => {
    expect(attachChanges(record([], []), 'a')).toEqual({
      outbound_agents: [{ agent_id: 'a', weight: 1 }],
    });
    expect(attachChanges(record([{ agent_id: 'a', weight: 1 }], [{ agent_id: 'a', weight: 1, agent_version: 'v2' }]), 'b')).toEqual({
      outbound_agents: [
        { agent_id: 'a', weight: 0.5, agent_version: 'v2' },
        { agent_id: 'b', weight: 0.5 },
      ],
    });
  });

  test('attach: an agent in the outbound pool already is a no-op; the inbound agent joins the pool', () => {
    expect(attachChanges(record([{ agent_id: 'a', weight: 1 }], []), 'a')).toEqual({ outbound_agents: [{ agent_id: 'a', weight: 1 }] });
    expect(attachChanges(record([], [{ agent_id: 'a', weight: 1 }]), 'a')).toBeNull();
  });

  test('equal shares sum to exactly 1 for awkward counts', () => {
    let current = record([], []);
    for (let i = 0; i < 7; i++) {
      current = { ...current, ...attachChanges(current, `agent-${i}`) } as PhoneNumber;
    }
    expect(current.outbound_agents.reduce((sum, entry) => sum + entry.weight, 0)).toBeCloseTo(1, 12);
  });

  test('detach: leaves the outbound pool, re-spreading it; the inbound list stays; not in the pool is null', () => {
    const current = record(
      [
        { agent_id: 'a', weight: 0.5 },
        { agent_id: 'b', weight: 0.25 },
        { agent_id: 'c', weight: 0.25 },
      ],
      [
        { agent_id: 'a', weight: 0.8 },
        { agent_id: 'd', weight: 0.1 },
        { agent_id: 'e', weight: 0.1 },
      ],
    );
    expect(detachChanges(current, 'a')).toEqual({
      outbound_agents: [
        { agent_id: 'd', weight: 0.5 },
        { agent_id: 'e', weight: 0.5 },
      ],
    });
    expect(detachChanges(current, 'd')).toEqual({ outbound_agents: [{ agent_id: 'a', weight: 0.5 }, { agent_id: 'e', weight: 0.5 }] });
    expect(detachChanges(current, 'zzz')).toBeNull();
    expect(detachChanges(record([{ agent_id: 'a', weight: 1 }], []), 'a')).toBeNull();
  });

  test('assistants and availability read the inbound and outbound voice lists', () => {
    const current = record([{ agent_id: 'a', weight: 1 }], [{ agent_id: 'b', weight: 0.5 }, { agent_id: 'a', weight: 0.5 }]);
    expect(attachedAgentIds(current)).toEqual(['a', 'b']);
    expect(isAvailableForInbound(current)).toBe(false);
    expect(isAvailableForInbound(record([], [{ agent_id: 'b', weight: 1 }]))).toBe(true);
  });
});

describe('AgentBindingService', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => h.close());

  test('writes through PhoneNumberService: audit event and change feed for every changed number', async () => {
    const ws = await h.workspace();
    const actor = operatorActor(ws.id);
    const { phoneNumbers, agentBindings, feed } = h.runtime.services;
    const one = await phoneNumbers.importNumber(actor, { phone_number: '+14155550181' });
    const two = await phoneNumbers.importNumber(actor, { phone_number: '+14155550182' });
    const seen: NumberChange[] = [];
    const stop = feed.onNumbers((changes) => seen.push(...changes));
    try {
      await agentBindings.attach(actor, 'agent-x', ['14155550181', '+14155550182']);
      expect(seen.map((change) => change.after?.id)).toEqual([one.id, two.id]);
      expect(seen[0]!.after!.outbound_agents).toEqual([{ agent_id: 'agent-x', weight: 1 }]);
      expect(seen[0]!.after!.inbound_agents).toEqual([]);
      await agentBindings.detach(actor, 'agent-x', '14155550181');
      expect(seen).toHaveLength(3);
      expect(seen[2]!.after!.outbound_agents).toEqual([]);
    } finally {
      stop();
    }
    const events = await phoneNumbers.events(actor, one.id);
    expect(events.map((event) => event.action)).toEqual(['create', 'update', 'update']);
    expect(events[1]!.changed_fields.sort()).toEqual(['outbound_agents']);
  });

  test('a full outbound list is rejected before any number changes', async () => {
    const ws = await h.workspace();
    const actor = operatorActor(ws.id);
    const { phoneNumbers, agentBindings } = h.runtime.services;
    const free = await phoneNumbers.importNumber(actor, { phone_number: '+14155550183' });
    const full = await phoneNumbers.importNumber(actor, {
      phone_number: '+14155550184',
      outbound_agents: Array.from({ length: 100 }, (_, i) => ({ agent_id: `a${i}`, weight: 0.01 })),
    });
    await expect(agentBindings.attach(actor, 'newcomer', [free.phone_number, full.phone_number])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ field: 'phone_numbers[1]', message: expect.stringContaining('at most 100') }],
    });
    expect((await phoneNumbers.get(actor, free.id)).version).toBe(free.version);
  });
});
