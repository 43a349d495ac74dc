import { Type } from '@sinclair/typebox';
import type { FieldIssue } from '../../services/errors.ts';
import type { AgentListName, AgentWeight, PhoneNumber, PhoneNumberChanges } from '../../services/phone-numbers/model.ts';
import { Nullable } from '../schemas/common.ts';

/**
 * Retell's deprecated single-agent fields (`inbound_agent_id`, `inbound_agent_version`, …), still
 * served by Retell and sent by older clients, over the core's weighted lists. On a request a
 * single agent is the list of one agent of weight 1; when the weighted list is sent too and is
 * not empty, the list wins (Retell: "if not set or empty, fallback to inbound_agent_id"); `null`
 * unbinds. On a response each names the list's agent when it has one, else its heaviest (the
 * first of equals), `null` when the list is empty.
 */
const SINGLE_AGENT_FIELDS = [
  { list: 'inbound_agents', id: 'inbound_agent_id', version: 'inbound_agent_version' },
  { list: 'outbound_agents', id: 'outbound_agent_id', version: 'outbound_agent_version' },
  { list: 'inbound_sms_agents', id: 'inbound_sms_agent_id', version: null },
  { list: 'outbound_sms_agents', id: 'outbound_sms_agent_id', version: null },
] as const satisfies ReadonlyArray<{ list: AgentListName; id: string; version: string | null }>;

const AgentId = Nullable(Type.String({ minLength: 1, maxLength: 128, description: 'Deprecated by Retell: one agent of weight 1 (the weighted list wins when it is sent and not empty); null unbinds' }));
const AgentVersion = Nullable(
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1, maxLength: 64 })], {
    description: 'Deprecated by Retell: the version of the single agent (a number, `latest`, `latest_published` or a tag); null clears it',
  }),
);

/** The request fields, for create, import and update bodies. */
export const singleAgentRequestFields = {
  inbound_agent_id: Type.Optional(AgentId),
  inbound_agent_version: Type.Optional(AgentVersion),
  outbound_agent_id: Type.Optional(AgentId),
  outbound_agent_version: Type.Optional(AgentVersion),
  inbound_sms_agent_id: Type.Optional(AgentId),
  outbound_sms_agent_id: Type.Optional(AgentId),
};

const responseDescription = 'Deprecated by Retell: the agent of the list when it has one, else its heaviest (first of equals); null when the list is empty';
/** The response fields, on every phone-number object. */
export const singleAgentResponseFields = {
  inbound_agent_id: Nullable(Type.String({ description: responseDescription })),
  inbound_agent_version: Nullable(Type.Union([Type.Integer(), Type.String()], { description: 'The version of `inbound_agent_id`, null when none is pinned' })),
  outbound_agent_id: Nullable(Type.String({ description: responseDescription })),
  outbound_agent_version: Nullable(Type.Union([Type.Integer(), Type.String()], { description: 'The version of `outbound_agent_id`, null when none is pinned' })),
  inbound_sms_agent_id: Nullable(Type.String({ description: responseDescription })),
  outbound_sms_agent_id: Nullable(Type.String({ description: responseDescription })),
};

type SingleAgentRequest = Partial<Record<'inbound_agent_id' | 'outbound_agent_id' | 'inbound_sms_agent_id' | 'outbound_sms_agent_id', string | null>> &
  Partial<Record<'inbound_agent_version' | 'outbound_agent_version', string | number | null>>;
type Lists = Partial<Record<AgentListName, AgentWeight[] | null>>;

/** The list a response's single agent names: its only agent, else the heaviest, first of equals. */
export function representativeAgent(list: readonly AgentWeight[]): AgentWeight | null {
  let best: AgentWeight | null = null;
  for (const entry of list) if (best === null || entry.weight > best.weight) best = entry;
  return best;
}

export function singleAgentFieldsOf(record: PhoneNumber) {
  const inbound = representativeAgent(record.inbound_agents);
  const outbound = representativeAgent(record.outbound_agents);
  return {
    inbound_agent_id: inbound?.agent_id ?? null,
    inbound_agent_version: inbound?.agent_version ?? null,
    outbound_agent_id: outbound?.agent_id ?? null,
    outbound_agent_version: outbound?.agent_version ?? null,
    inbound_sms_agent_id: representativeAgent(record.inbound_sms_agents)?.agent_id ?? null,
    outbound_sms_agent_id: representativeAgent(record.outbound_sms_agents)?.agent_id ?? null,
  };
}

/**
 * The weighted lists a request's single-agent fields set, beside the lists it sent (which win when
 * not empty). A version alone re-pins the number's single agent (`current`, on update); with no
 * single agent to pin it is refused, naming the field.
 */
export function singleAgentChanges(body: SingleAgentRequest & Lists, current: PhoneNumber | null): { changes: PhoneNumberChanges; issues: FieldIssue[] } {
  const changes: PhoneNumberChanges = {};
  const issues: FieldIssue[] = [];
  for (const { list, id, version } of SINGLE_AGENT_FIELDS) {
    const sentList = body[list];
    if (sentList !== undefined && sentList !== null && sentList.length > 0) continue;
    const agentId = body[id];
    const agentVersion = version === null ? undefined : body[version];
    if (agentId === undefined && agentVersion === undefined) continue;
    if (agentId === null) {
      changes[list] = [];
      continue;
    }
    let agent: AgentWeight;
    if (agentId !== undefined) {
      // The same single agent again keeps its pinned version unless a version is sent.
      const same = current?.[list].length === 1 && current[list][0]!.agent_id === agentId ? current[list][0]! : null;
      agent = { agent_id: agentId, weight: 1, ...(same?.agent_version !== undefined ? { agent_version: same.agent_version } : {}) };
    } else {
      const only = current?.[list].length === 1 ? current[list][0]! : null;
      if (only === null) {
        issues.push({ field: version!, message: `needs ${id}: the number has no single agent whose version it could set` });
        continue;
      }
      agent = { agent_id: only.agent_id, weight: 1, ...(only.agent_version !== undefined ? { agent_version: only.agent_version } : {}) };
    }
    if (agentVersion !== undefined) {
      delete agent.agent_version;
      if (agentVersion !== null) agent.agent_version = agentVersion;
    }
    changes[list] = [agent];
  }
  return { changes, issues };
}
