/** What a number's inbound webhook answered, once checked. */
export interface WebhookAnswer {
  reject: boolean;
  agentId?: string;
  agentVersion?: number | string;
  dynamicVariables: Record<string, string>;
}

/**
 * Reads Retell's answer shape (`{call_inbound: {override_agent_id, override_agent_version,
 * dynamic_variables}}`, or the same fields at the top level; `agent_id`/`agent_version` are
 * accepted too) plus `reject: true`. Anything malformed makes the whole answer unusable (null).
 */
export function parseWebhookAnswer(body: unknown, event: string): WebhookAnswer | null {
  if (!isPlainObject(body)) return null;
  const inner = body[event] ?? body;
  if (!isPlainObject(inner)) return null;
  const answer: WebhookAnswer = { reject: false, dynamicVariables: {} };
  const reject = inner.reject ?? body.reject;
  if (reject !== undefined && typeof reject !== 'boolean') return null;
  answer.reject = reject === true;
  const agentId = inner.override_agent_id ?? inner.agent_id;
  if (agentId !== undefined && agentId !== null) {
    if (typeof agentId !== 'string' || agentId.trim() === '' || agentId.length > 128) return null;
    answer.agentId = agentId;
  }
  const version = inner.override_agent_version ?? inner.agent_version;
  if (version !== undefined && version !== null) {
    const validNumber = typeof version === 'number' && Number.isInteger(version) && version >= 0;
    const validString = typeof version === 'string' && version.trim() !== '' && version.length <= 64;
    if (!validNumber && !validString) return null;
    answer.agentVersion = version;
  }
  const variables = inner.dynamic_variables;
  if (variables !== undefined && variables !== null) {
    if (!isPlainObject(variables)) return null;
    for (const [key, value] of Object.entries(variables)) {
      if (typeof value !== 'string') return null;
      answer.dynamicVariables[key] = value;
    }
  }
  return answer;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
