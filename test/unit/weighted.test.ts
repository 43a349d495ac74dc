import { describe, expect, test } from 'vitest';
import { agentTable, pickAgent, unitHash } from '../../src/services/routing/weighted.ts';

const AGENTS = [
  { agent_id: 'a', weight: 0.7 },
  { agent_id: 'b', weight: 0.2 },
  { agent_id: 'c', weight: 0.1 },
];

describe('weighted agent choice', () => {
  test('an empty list has no table; the table holds cumulative weights', () => {
    expect(agentTable([])).toBeNull();
    const table = agentTable(AGENTS)!;
    expect([...table.cumulative].map((value) => Number(value.toFixed(6)))).toEqual([0.7, 0.9, 1]);
  });

  test('the same call id always gets the same agent', () => {
    const table = agentTable(AGENTS)!;
    for (let call = 0; call < 50; call++) {
      const first = pickAgent(table, `call_${call}`);
      for (let again = 0; again < 3; again++) expect(pickAgent(table, `call_${call}`)).toBe(first);
    }
  });

  test('call ids spread over the agents by weight, whatever the weights add up to', () => {
    // Weights 7:2:1 (not summing to 1) must give the same shares as 0.7:0.2:0.1.
    for (const agents of [AGENTS, AGENTS.map((agent) => ({ ...agent, weight: agent.weight * 10 }))]) {
      const table = agentTable(agents)!;
      const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
      const total = 20_000;
      for (let call = 0; call < total; call++) counts[pickAgent(table, `call-${call}`).agent_id]! += 1;
      expect(Math.abs(counts.a! / total - 0.7)).toBeLessThan(0.015);
      expect(Math.abs(counts.b! / total - 0.2)).toBeLessThan(0.015);
      expect(Math.abs(counts.c! / total - 0.1)).toBeLessThan(0.015);
    }
  });

  test('a lone agent is always chosen; an agent of weight 0 never is', () => {
    expect(pickAgent(agentTable([{ agent_id: 'only', weight: 5 }])!, undefined).agent_id).toBe('only');
    const table = agentTable([
      { agent_id: 'never', weight: 0 },
      { agent_id: 'always', weight: 1 },
    ])!;
    for (let call = 0; call < 200; call++) expect(pickAgent(table, `c${call}`).agent_id).toBe('always');
    for (let draw = 0; draw < 200; draw++) expect(pickAgent(table, undefined).agent_id).toBe('always');
  });

  test('unitHash lies in [0, 1) and separates ids that differ in their last character', () => {
    const values = Array.from({ length: 1000 }, (_, index) => unitHash(`call_${index}`));
    for (const value of values) expect(value >= 0 && value < 1).toBe(true);
    expect(new Set(values).size).toBe(values.length);
    // Evenly spread: each tenth of [0, 1) gets roughly a tenth of the ids.
    for (let decile = 0; decile < 10; decile++) {
      const share = values.filter((value) => Math.floor(value * 10) === decile).length / values.length;
      expect(Math.abs(share - 0.1)).toBeLessThan(0.04);
    }
  });
});
