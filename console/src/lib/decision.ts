/** A routing decision as a sentence, for the routing check: `connect agent_sales v3 (binding)`. */
import type { RoutingDecision } from '../../../clients/typescript/index.ts';

const RULES: Record<RoutingDecision['decided_by'], string> = {
  number_lookup: 'number lookup',
  number_status: 'number status',
  country_policy: 'country policy',
  outage: 'outage',
  number_capacity: 'number at capacity',
  workspace_capacity: 'workspace at capacity',
  calling_hours: 'calling hours',
  binding: 'binding',
  agent_override: 'agent override',
  webhook: 'webhook',
  binding_after_webhook_failure: 'binding after webhook failure',
  pool: 'pool',
  agent_numbers: "agent's numbers",
  carrier_source: "carrier's source addresses",
};

function agentWords(decision: RoutingDecision): string {
  const { agent_id: agent, agent_version: version } = decision;
  if (!agent) return 'no agent';
  if (version === undefined) return agent;
  return typeof version === 'number' ? `${agent} v${version}` : `${agent} (${version})`;
}

export function decisionInWords(decision: RoutingDecision): string {
  const rule = RULES[decision.decided_by] ?? decision.decided_by;
  const webhook = decision.webhook_error ? `; webhook not used: ${decision.webhook_error}` : '';
  switch (decision.action) {
    case 'connect': {
      const from = decision.caller_id ? ` calling from ${decision.caller_id}` : '';
      const match = decision.caller_id_match ? `, ${decision.caller_id_match.replace('_', ' ')} match` : '';
      return `connect ${agentWords(decision)}${from} (${rule}${match}${webhook})`;
    }
    case 'forward':
      return `forward to ${decision.forward_to ?? 'the fallback number'} (${rule}${webhook})`;
    case 'reject': {
      const next = decision.next_allowed_at ? ` (next allowed ${decision.next_allowed_at})` : '';
      return `reject: ${decision.reason ?? rule}${next}${webhook}`;
    }
  }
}
