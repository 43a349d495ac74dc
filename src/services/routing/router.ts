import { canonicalE164, countryOf, describeNumber } from '../../domain/phone.ts';
import type { AgentWeight } from '../phone-numbers/model.ts';
import { nextAllowedTime, type CallingWindow } from './calling-hours.ts';
import { LeaseBook } from './leases.ts';
import { NumberIndex, type NumberEntry } from './number-index.ts';
import { pickAgent, type AgentTable } from './weighted.ts';
import type { Trunk } from './trunks.ts';

export const REJECT_REASONS = [
  'number_not_found',
  'number_inactive',
  'country_not_allowed',
  'destination_not_allowed',
  'no_agent',
  'rejected_by_webhook',
  'over_capacity',
  'outside_calling_hours',
  'outage_without_fallback',
  'source_not_allowed',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** The rule that settled a decision (`decided_by`). */
export const DECISION_RULES = [
  'number_lookup',
  'number_status',
  'country_policy',
  'outage',
  'number_capacity',
  'workspace_capacity',
  'calling_hours',
  'binding',
  'agent_override',
  'webhook',
  'binding_after_webhook_failure',
  'pool',
  'agent_numbers',
  'carrier_source',
] as const;
export type DecisionRule = (typeof DECISION_RULES)[number];

export const POOL_STRATEGIES = ['local_presence', 'round_robin', 'random'] as const;
export type PoolStrategy = (typeof POOL_STRATEGIES)[number];

/** How close the chosen caller ID is to the callee (local presence). */
export type CallerIdMatch = 'area_code' | 'region' | 'country' | 'any';

interface DecisionBase {
  /** The rule that settled it. */
  decided_by: DecisionRule;
  /** Set when the inbound webhook was called but its answer could not be used. */
  webhook_error?: string;
}

export interface ConnectDecision extends DecisionBase {
  action: 'connect';
  agent_id: string;
  agent_version?: number | string;
  phone_number_id: string;
  /** Outbound: the number to dial from. */
  caller_id?: string;
  dynamic_variables: Record<string, string>;
  /** Pool / agent caller-ID selection: how local the chosen number is to the callee. */
  caller_id_match?: CallerIdMatch;
  /** Outbound: where to send the call for the caller ID (src/services/routing/trunks.ts). */
  trunk?: Trunk;
  /** Outbound: the number's carrier, null without one. */
  carrier_id?: string | null;
}

export interface ForwardDecision extends DecisionBase {
  action: 'forward';
  forward_to: string;
  phone_number_id: string;
}

export interface RejectDecision extends DecisionBase {
  action: 'reject';
  reason: RejectReason;
  /** Absent when no number of the workspace was found. */
  phone_number_id?: string;
  caller_id?: string;
  /** outside_calling_hours: the earliest instant the call would be allowed (UTC ISO-8601). */
  next_allowed_at?: string;
}

/** A routing decision: what to do with the call, and the rule that decided it. */
export type Decision = ConnectDecision | ForwardDecision | RejectDecision;

export interface WorkspaceState {
  outage: boolean;
  /** 0 = unlimited. */
  maxConcurrentCalls: number;
  signingSecret: string | null;
}

export interface PoolState {
  id: string;
  workspaceId: string;
  name: string;
  strategy: PoolStrategy;
  callingHours: CallingWindow | null;
  /** Member number ids, in the order they were added. */
  members: string[];
  createdAt: string;
  updatedAt: string;
}

export type InboundKind = 'voice' | 'sms';

export interface InboundInput {
  to: string;
  from: string;
  call_id?: string | undefined;
  /** The address the INVITE came from, checked against the number's carrier's inbound gateways. */
  source_ip?: string | undefined;
}

/** An inbound decision that waits for the number's webhook before it is final. */
export interface PendingInbound {
  entry: NumberEntry;
  agent: AgentWeight | null;
  webhookUrl: string;
}

export interface OutboundInput {
  to: string;
  from?: string | undefined;
  pool_id?: string | undefined;
  agent_id?: string | undefined;
  call_id?: string | undefined;
}

const DEFAULT_WORKSPACE: WorkspaceState = Object.freeze({ outage: false, maxConcurrentCalls: 0, signingSecret: null });
const COUNTRY_CACHE_LIMIT = 100_000;

/**
 * Every routing decision, answered from memory only: the number index, workspace settings,
 * pools and live call leases. No I/O happens here (the webhook is the caller's business), so
 * a decision costs microseconds and the same code runs in the benchmark.
 */
export class Router {
  readonly index = new NumberIndex();
  readonly leases = new LeaseBook();
  readonly workspaces = new Map<string, WorkspaceState>();
  readonly pools = new Map<string, PoolState>();
  private readonly callerCountries = new Map<string, string | null>();

  workspace(id: string): WorkspaceState {
    return this.workspaces.get(id) ?? DEFAULT_WORKSPACE;
  }

  /** Inbound call or SMS: a final decision, or the pending one when a webhook must be asked first. */
  inbound(workspaceId: string, input: InboundInput, kind: InboundKind, nowMs: number): Decision | PendingInbound {
    const entry = this.index.find(input.to);
    // Another workspace's number is exactly as unknown as a missing one.
    if (!entry || entry.profile.workspaceId !== workspaceId) return { action: 'reject', reason: 'number_not_found', decided_by: 'number_lookup' };
    const { profile } = entry;
    const base = { phone_number_id: entry.id };
    if (!profile.active) return { action: 'reject', reason: 'number_inactive', decided_by: 'number_status', ...base };
    if (profile.allowedInbound !== null) {
      const country = this.callerCountry(input.from);
      if (country === null || !profile.allowedInbound.has(country)) {
        return { action: 'reject', reason: 'country_not_allowed', decided_by: 'country_policy', ...base };
      }
    }
    const settings = this.workspace(workspaceId);
    if (settings.outage) {
      return profile.fallbackNumber !== null
        ? { action: 'forward', forward_to: profile.fallbackNumber, decided_by: 'outage', ...base }
        : { action: 'reject', reason: 'outage_without_fallback', decided_by: 'outage', ...base };
    }
    const full = this.capacityRule(entry, settings, nowMs);
    if (full !== null) return overCapacityInbound(entry, full);
    const table = kind === 'voice' ? profile.inbound : profile.inboundSms;
    const agent = table === null ? null : pickAgent(table, input.call_id);
    const webhookUrl = kind === 'voice' ? profile.inboundWebhookUrl : profile.inboundSmsWebhookUrl;
    if (webhookUrl !== null) return { entry, agent, webhookUrl };
    return agent === null ? { action: 'reject', reason: 'no_agent', decided_by: 'binding', ...base } : connect(entry, agent, 'binding');
  }

  /**
   * Outbound call: the caller ID (given, from a pool, or among the agent's numbers) and the agent.
   * Caller-ID choice updates the number's least-recently-used time.
   */
  outbound(workspaceId: string, input: OutboundInput, to: string, nowMs: number): Decision {
    const destination = this.callerCountry(to);
    if (input.from !== undefined) {
      const entry = this.index.find(input.from);
      if (!entry || entry.profile.workspaceId !== workspaceId) return { action: 'reject', reason: 'number_not_found', decided_by: 'number_lookup' };
      const windows = entry.profile.callingHours ? [entry.profile.callingHours] : [];
      const verdict = this.eligibility(entry, destination, windows, to, nowMs);
      if (verdict !== null) return { ...verdict, phone_number_id: entry.id, caller_id: entry.e164 };
      return this.outboundAgent(entry, input, nowMs, {});
    }
    let candidates: NumberEntry[];
    let poolWindow: CallingWindow | null = null;
    let strategy: PoolStrategy = 'local_presence';
    let rule: DecisionRule;
    if (input.pool_id !== undefined) {
      const pool = this.pools.get(input.pool_id)!;
      candidates = [];
      for (const id of pool.members) {
        const entry = this.index.get(id);
        if (entry && entry.profile.workspaceId === workspaceId) candidates.push(entry);
      }
      poolWindow = pool.callingHours;
      strategy = pool.strategy;
      rule = 'pool';
    } else {
      candidates = [...this.index.withOutboundAgent(workspaceId, input.agent_id!)];
      rule = 'agent_numbers';
      if (candidates.length === 0) return { action: 'reject', reason: 'number_not_found', decided_by: rule };
    }
    const eligible: NumberEntry[] = [];
    let best: RejectDecision | null = null;
    for (const entry of candidates) {
      const windows = [entry.profile.callingHours, poolWindow].filter((window): window is CallingWindow => window !== null);
      const verdict = this.eligibility(entry, destination, windows, to, nowMs);
      if (verdict === null) eligible.push(entry);
      else best = closerRejection(best, verdict);
    }
    if (eligible.length === 0) return best ?? { action: 'reject', reason: 'number_inactive', decided_by: rule };
    const { entry, match } = chooseCallerId(eligible, strategy, describeCallee(to));
    return this.outboundAgent(entry, input, nowMs, { caller_id_match: match, decided_by: rule });
  }

  private outboundAgent(
    entry: NumberEntry,
    input: OutboundInput,
    nowMs: number,
    extra: { caller_id_match?: CallerIdMatch; decided_by?: DecisionRule },
  ): Decision {
    const base = { phone_number_id: entry.id, caller_id: entry.e164 };
    let agent: AgentWeight | null;
    let rule: DecisionRule = extra.decided_by ?? 'binding';
    if (input.agent_id !== undefined) {
      // An explicit agent keeps the version bound on this number, if the number lists it.
      agent = entry.profile.outbound?.agents.find((candidate) => candidate.agent_id === input.agent_id) ?? { agent_id: input.agent_id, weight: 1 };
      if (rule === 'binding') rule = 'agent_override';
    } else {
      agent = entry.profile.outbound === null ? null : pickAgent(entry.profile.outbound, input.call_id);
    }
    if (agent === null) return { action: 'reject', reason: 'no_agent', decided_by: 'binding', ...base };
    entry.lastUsedMs = nowMs;
    return {
      ...connect(entry, agent, rule),
      caller_id: entry.e164,
      ...(extra.caller_id_match ? { caller_id_match: extra.caller_id_match } : {}),
    };
  }

  /** Null when the number may place this call now; otherwise the rejection it would get. */
  private eligibility(entry: NumberEntry, destination: string | null, windows: CallingWindow[], to: string, nowMs: number): RejectDecision | null {
    const { profile } = entry;
    if (!profile.active || !profile.voice) return { action: 'reject', reason: 'number_inactive', decided_by: 'number_status' };
    if (profile.allowedOutbound !== null && (destination === null || !profile.allowedOutbound.has(destination))) {
      return { action: 'reject', reason: 'destination_not_allowed', decided_by: 'country_policy' };
    }
    const full = this.capacityRule(entry, this.workspace(profile.workspaceId), nowMs);
    if (full !== null) return { action: 'reject', reason: 'over_capacity', decided_by: full };
    if (windows.length > 0) {
      const zone = calleeZone(to) ?? profile.timeZone ?? 'UTC';
      const next = nextAllowedTime(windows, zone, nowMs);
      if (next !== null) {
        return { action: 'reject', reason: 'outside_calling_hours', decided_by: 'calling_hours', next_allowed_at: next.toISOString() };
      }
    }
    return null;
  }

  /** The caps a call on this number must fit under (a decision without any is never held up by the store). */
  capsOf(entry: NumberEntry): { number: boolean; workspace: boolean } {
    return { number: entry.profile.maxConcurrentCalls > 0, workspace: this.workspace(entry.profile.workspaceId).maxConcurrentCalls > 0 };
  }

  private capacityRule(entry: NumberEntry, settings: WorkspaceState, nowMs: number): DecisionRule | null {
    if (entry.profile.maxConcurrentCalls > 0 && this.leases.onNumber(entry.id, nowMs) >= entry.profile.maxConcurrentCalls) return 'number_capacity';
    if (settings.maxConcurrentCalls > 0 && this.leases.inWorkspace(entry.profile.workspaceId, nowMs) >= settings.maxConcurrentCalls) {
      return 'workspace_capacity';
    }
    return null;
  }

  /** The country of a caller (libphonenumber), memoised: parsing costs more than the rest of a decision. */
  callerCountry(number: string): string | null {
    let country = this.callerCountries.get(number);
    if (country !== undefined) return country;
    const e164 = canonicalE164(number);
    country = e164 === null ? null : countryOf(e164);
    if (this.callerCountries.size >= COUNTRY_CACHE_LIMIT) this.callerCountries.clear();
    this.callerCountries.set(number, country);
    return country;
  }
}

/** The decision to connect the call on this number to this agent. */
export function connect(entry: NumberEntry, agent: AgentWeight, rule: DecisionRule): ConnectDecision {
  return {
    action: 'connect',
    agent_id: agent.agent_id,
    ...(agent.agent_version !== undefined ? { agent_version: agent.agent_version } : {}),
    phone_number_id: entry.id,
    dynamic_variables: {},
    decided_by: rule,
  };
}

/** An inbound call over a cap: forwarded to the number's fallback if it has one, else rejected. */
export function overCapacityInbound(entry: NumberEntry, rule: DecisionRule): ForwardDecision | RejectDecision {
  const base = { phone_number_id: entry.id };
  return entry.profile.fallbackNumber !== null
    ? { action: 'forward', forward_to: entry.profile.fallbackNumber, decided_by: rule, ...base }
    : { action: 'reject', reason: 'over_capacity', decided_by: rule, ...base };
}

const REJECTION_RANK: Partial<Record<RejectReason, number>> = {
  outside_calling_hours: 4,
  over_capacity: 3,
  destination_not_allowed: 2,
  number_inactive: 1,
};

/** Of two rejections of pool members, the one closest to success (and the earliest retry time). */
function closerRejection(current: RejectDecision | null, next: RejectDecision): RejectDecision {
  if (current === null) return next;
  const a = REJECTION_RANK[current.reason] ?? 0;
  const b = REJECTION_RANK[next.reason] ?? 0;
  if (b !== a) return b > a ? next : current;
  if (next.next_allowed_at && current.next_allowed_at && next.next_allowed_at < current.next_allowed_at) return next;
  return current;
}

interface Callee {
  country: string | null;
  region: string | null;
  areaCode: string | null;
}

function describeCallee(to: string): Callee {
  const facts = describeNumber(to);
  return { country: facts.country, region: facts.region, areaCode: facts.area_code };
}

function calleeZone(to: string): string | null {
  return describeNumber(to).time_zones[0] ?? null;
}

function matchOf(entry: NumberEntry, callee: Callee): CallerIdMatch {
  if (callee.country !== null && entry.profile.country === callee.country) {
    if (callee.areaCode !== null && entry.profile.areaCode === callee.areaCode) return 'area_code';
    if (callee.region !== null && entry.profile.region === callee.region) return 'region';
    return 'country';
  }
  return 'any';
}

const MATCH_RANK: Record<CallerIdMatch, number> = { area_code: 0, region: 1, country: 2, any: 3 };

/**
 * local_presence: same area code → same region → same country → any, least recently used first;
 * round_robin: least recently used first; random: uniform. Ties go to the lower number.
 */
function chooseCallerId(eligible: NumberEntry[], strategy: PoolStrategy, callee: Callee): { entry: NumberEntry; match: CallerIdMatch } {
  if (strategy === 'random') {
    const entry = eligible[Math.floor(Math.random() * eligible.length)]!;
    return { entry, match: matchOf(entry, callee) };
  }
  let best = eligible[0]!;
  let bestRank = strategy === 'local_presence' ? MATCH_RANK[matchOf(best, callee)] : 0;
  for (let index = 1; index < eligible.length; index++) {
    const entry = eligible[index]!;
    const rank = strategy === 'local_presence' ? MATCH_RANK[matchOf(entry, callee)] : 0;
    if (
      rank < bestRank ||
      (rank === bestRank && (entry.lastUsedMs < best.lastUsedMs || (entry.lastUsedMs === best.lastUsedMs && entry.e164 < best.e164)))
    ) {
      best = entry;
      bestRank = rank;
    }
  }
  return { entry: best, match: matchOf(best, callee) };
}

export type { AgentTable };
