import { canonicalE164 } from '../../domain/phone.ts';
import { requireScope, type Actor } from '../context.ts';
import type { AgentWeight } from '../phone-numbers/model.ts';
import { IssueCollector } from '../phone-numbers/validate.ts';
import type { RoutingContext } from './context.ts';
import type { IndexLoader } from './index-loader.ts';
import type { Pools } from './pools.ts';
import { connect, type Decision, type InboundInput, type InboundKind, type OutboundInput, type PendingInbound } from './router.ts';
import { parseWebhookAnswer } from './webhook-answer.ts';
import { postWebhook, signatureOf } from './webhook.ts';
import type { StateSync } from './state-sync.ts';
import type { WorkspaceSettings } from './workspace-settings.ts';
import type { Trunks } from './trunks.ts';

/**
 * Routing decisions: the input checked, the numbers a decision needs fetched while the index
 * still loads, the in-memory answer (Router), and for inbound numbers with a webhook, its say.
 */
export class Decisions {
  constructor(
    private readonly context: RoutingContext,
    private readonly loader: IndexLoader,
    private readonly pools: Pools,
    private readonly settings: WorkspaceSettings,
    private readonly state: StateSync,
    private readonly trunks: Trunks,
  ) {}

  async inbound(actor: Actor, input: InboundInput, kind: InboundKind): Promise<Decision> {
    requireScope(actor, 'routing');
    // Checked here as well as inside: once the index is complete a decision awaits nothing.
    if (this.loader.loading) {
      await this.loader.admitByNumber(input.to);
      const held = this.context.router.index.byNumber(canonicalE164(input.to) ?? '');
      await this.state.refreshUntrusted(actor.workspaceId, held ? [held.id] : []);
    }
    const result = this.context.router.inbound(actor.workspaceId, input, kind, this.context.nowMs());
    if (input.source_ip !== undefined) {
      // A spoofed INVITE sent straight to the SBC never reaches an agent (or the number's webhook).
      const id = 'action' in result ? (result.action === 'reject' && result.reason === 'number_not_found' ? undefined : result.phone_number_id) : result.entry.id;
      if (id !== undefined && (await this.trunks.sourceAllowed(actor, id, input.source_ip)) === false) {
        return { action: 'reject', reason: 'source_not_allowed', decided_by: 'carrier_source', phone_number_id: id };
      }
    }
    return 'action' in result ? result : this.consultWebhook(actor, input, kind, result);
  }

  async outbound(actor: Actor, input: OutboundInput): Promise<Decision> {
    requireScope(actor, 'routing');
    const to = canonicalE164(input.to);
    const issues = new IssueCollector();
    if (to === null) issues.add('to', 'must be an E.164 phone number: "+", country code and up to 15 digits');
    const sources = [input.from, input.pool_id].filter((value) => value !== undefined).length;
    if (sources > 1) issues.add('from', 'give either from or pool_id, not both');
    if (sources === 0 && input.agent_id === undefined) issues.add('from', 'give from, pool_id or agent_id');
    issues.throwIfAny();
    if (input.pool_id !== undefined) {
      if (this.loader.untrusted) await this.state.refreshUntrusted(actor.workspaceId, [], input.pool_id);
      const pool = this.pools.poolOf(actor, input.pool_id);
      if (this.loader.loading) await this.loader.admitByIds(pool.members);
      await this.state.refreshUntrusted(actor.workspaceId, pool.members);
    } else if (this.loader.loading) {
      if (input.from !== undefined) await this.loader.admitByNumber(input.from);
      else await this.loader.admitOutboundAgent(actor.workspaceId, input.agent_id!);
      const from = input.from === undefined ? undefined : this.context.router.index.byNumber(canonicalE164(input.from) ?? '');
      await this.state.refreshUntrusted(actor.workspaceId, from ? [from.id] : []);
    }
    const decision = this.context.router.outbound(actor.workspaceId, input, to!, this.context.nowMs());
    if (decision.action !== 'connect') return decision;
    const route = await this.trunks.outbound(actor, decision.phone_number_id);
    return route ? { ...decision, trunk: route.trunk, carrier_id: route.carrier_id } : decision;
  }

  /**
   * Asks the number's webhook (signed like Retell's) and applies its answer. A webhook that
   * fails, times out, is refused as a private target or answers garbage never fails the call:
   * the configured binding decides and the decision says why (`webhook_error`).
   */
  private async consultWebhook(actor: Actor, input: InboundInput, kind: InboundKind, pending: PendingInbound): Promise<Decision> {
    const { entry, agent } = pending;
    const event = kind === 'voice' ? 'call_inbound' : 'chat_inbound';
    const body = JSON.stringify({
      event,
      [event]: {
        ...(kind === 'voice' ? { call_id: input.call_id ?? null } : { chat_id: input.call_id ?? null }),
        from_number: canonicalE164(input.from) ?? input.from,
        to_number: entry.e164,
        agent_id: agent?.agent_id ?? null,
        agent_version: agent?.agent_version ?? null,
      },
    });
    const secret = await this.settings.signingSecret(actor.workspaceId);
    // Signed with the wall clock, not an injected one: receivers check freshness against theirs.
    const outcome = await postWebhook(pending.webhookUrl, body, signatureOf(body, secret, Date.now()), {
      timeoutMs: this.context.options.webhookTimeoutMs,
      allowPrivateTargets: this.context.options.allowPrivateWebhookTargets,
    });
    const base = { phone_number_id: entry.id };
    const answer = outcome.ok ? parseWebhookAnswer(outcome.body, event) : null;
    if (!outcome.ok || answer === null) {
      const error = outcome.ok ? 'invalid_response' : outcome.failure;
      if (agent === null) return { action: 'reject', reason: 'no_agent', decided_by: 'binding_after_webhook_failure', webhook_error: error, ...base };
      return { ...connect(entry, agent, 'binding_after_webhook_failure'), webhook_error: error };
    }
    if (answer.reject) return { action: 'reject', reason: 'rejected_by_webhook', decided_by: 'webhook', ...base };
    let chosen: AgentWeight | null = agent;
    if (answer.agentId !== undefined) {
      chosen = { agent_id: answer.agentId, weight: 1, ...(answer.agentVersion !== undefined ? { agent_version: answer.agentVersion } : {}) };
    } else if (answer.agentVersion !== undefined && chosen) {
      chosen = { ...chosen, agent_version: answer.agentVersion };
    }
    if (chosen === null) return { action: 'reject', reason: 'no_agent', decided_by: 'webhook', ...base };
    return { ...connect(entry, chosen, 'webhook'), dynamic_variables: answer.dynamicVariables };
  }
}
