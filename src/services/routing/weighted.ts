import type { AgentWeight } from '../phone-numbers/model.ts';

/** An agent list prepared for picking: cumulative weights, shared by every number with the same list. */
export interface AgentTable {
  agents: readonly AgentWeight[];
  cumulative: Float64Array;
}

export function agentTable(agents: readonly AgentWeight[]): AgentTable | null {
  if (agents.length === 0) return null;
  const cumulative = new Float64Array(agents.length);
  let total = 0;
  agents.forEach((agent, index) => {
    total += agent.weight;
    cumulative[index] = total;
  });
  return { agents, cumulative };
}

/**
 * A uniform number in [0, 1) from a call id: FNV-1a over the UTF-16 code units, then the
 * murmur3 finaliser so that ids differing only in their last characters spread evenly.
 */
export function unitHash(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 4294967296;
}

/** Picks by weight: the same call id always gets the same agent; without one, at random. */
export function pickAgent(table: AgentTable, callId: string | undefined): AgentWeight {
  const { agents, cumulative } = table;
  if (agents.length === 1) return agents[0]!;
  const point = (callId === undefined ? Math.random() : unitHash(callId)) * cumulative[cumulative.length - 1]!;
  for (let index = 0; index < cumulative.length; index++) {
    if (point < cumulative[index]!) return agents[index]!;
  }
  return agents[agents.length - 1]!;
}
