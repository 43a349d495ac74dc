/**
 * The weight editor's rules for one agent list (`inbound_agents` and the three others): rows as
 * typed, checked before anything is sent. The server checks the same rules again
 * (src/services/phone-numbers/validate.ts); this only spares the user a round trip.
 */
import type { components } from '../../../clients/typescript/index.ts';

export type AgentWeight = components['schemas']['PhoneNumber']['inbound_agents'][number];

/** The server's tolerance for "sums to 1" (WEIGHT_TOLERANCE in validate.ts). */
export const WEIGHT_TOLERANCE = 1e-6;

/** One row of the editor, as text, exactly as the user typed it. */
export interface WeightRow {
  agent_id: string;
  weight: string;
  agent_version: string;
}

export interface WeightCheck {
  /** The list to send, or null while any error stands. */
  list: AgentWeight[] | null;
  /** Sum of the weights that parse. */
  total: number;
  /** Each row's share of calls, 0..1 (0 for a row whose weight does not parse). */
  shares: number[];
  /** Problems by row field (`2.weight`, `0.agent_id`) or for the whole list (`list`). */
  errors: Record<string, string>;
}

export function rowsOf(list: readonly AgentWeight[]): WeightRow[] {
  return list.map((entry) => ({ agent_id: entry.agent_id, weight: String(entry.weight), agent_version: entry.agent_version === undefined ? '' : String(entry.agent_version) }));
}

export function emptyRow(): WeightRow {
  return { agent_id: '', weight: '', agent_version: '' };
}

function parseWeight(text: string): number | null {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(trimmed)) return null;
  return Number(trimmed);
}

export function checkWeights(rows: readonly WeightRow[]): WeightCheck {
  const errors: Record<string, string> = {};
  const list: AgentWeight[] = [];
  const seen = new Set<string>();
  let total = 0;
  const weights = rows.map((row, index) => {
    const agentId = row.agent_id.trim();
    if (agentId === '') errors[`${index}.agent_id`] = 'agent id is required';
    else if (seen.has(agentId)) errors[`${index}.agent_id`] = `${agentId} is already in this list`;
    seen.add(agentId);
    const weight = parseWeight(row.weight);
    if (weight === null) errors[`${index}.weight`] = 'weight must be a number such as 0.5';
    else if (weight <= 0 || weight > 1) errors[`${index}.weight`] = 'weight must be greater than 0 and at most 1';
    const version = row.agent_version.trim();
    const entry: AgentWeight = { agent_id: agentId, weight: weight ?? 0 };
    if (version !== '') entry.agent_version = /^\d{1,15}$/.test(version) ? Number(version) : version;
    list.push(entry);
    if (weight !== null && weight > 0) total += weight;
    return weight !== null && weight > 0 ? weight : 0;
  });
  if (rows.length > 0 && Object.keys(errors).length === 0 && Math.abs(total - 1) > WEIGHT_TOLERANCE) {
    errors.list = `weights must sum to 1; they sum to ${roundForDisplay(total)}`;
  }
  const shares = weights.map((weight) => (total > 0 ? weight / total : 0));
  return { list: Object.keys(errors).length === 0 ? list : null, total, shares, errors };
}

/** Equal weights that sum to exactly 1 within the tolerance (the last row takes the rounding). */
export function splitEvenly(rows: readonly WeightRow[]): WeightRow[] {
  if (rows.length === 0) return [];
  const each = Math.floor((1 / rows.length) * 10_000) / 10_000;
  return rows.map((row, index) => ({ ...row, weight: index === rows.length - 1 ? roundForDisplay(1 - each * (rows.length - 1)) : String(each) }));
}

/** `0.333333` → `33.3 %`. */
export function formatShare(share: number): string {
  return `${(Math.round(share * 1000) / 10).toFixed(1)} %`;
}

function roundForDisplay(value: number): string {
  return String(Math.round(value * 1e6) / 1e6);
}
