import { canonicalE164 } from '../../domain/phone.ts';
import { requireScope, type Actor } from '../context.ts';
import type { AgentWeight } from '../phone-numbers/model.ts';
import { IssueCollector } from '../phone-numbers/validate.ts';
import { CONTROL_CHARACTERS, type RoutingContext } from './context.ts';
import type { IndexLoader } from './index-loader.ts';
import type { Calls } from './calls.ts';
import type { Pools } from './pools.ts';
import { connect, overCapacityInbound, type ConnectDecision, type Decision, type InboundInput, type InboundKind, type OutboundInput, type PendingInbound } from './router.ts';
import { takeSlot, type CapacityRule } from './slots.ts';
import { parseWebhookAnswer } from './webhook-answer.ts';
import { postWebhook, signatureOf } from './webhook.ts';
import type { StateSync } from './state-sync.ts';
import type { WorkspaceSettings } from './workspace-settings.ts';
import type { Trunks } from './trunks.ts';

/** Caller IDs an outbound decision tries when the store finds the chosen one's cap full. */
const OUTBOUND_ATTEMPTS = 3;

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
    private readonly calls: Calls,
    private readonly state: StateSync,
    private readonly trunks: Trunks,
  ) {}

  async inbound(actor: Actor, input: InboundInput, kind: InboundKind): Promise<Decision> {
    requireScope(actor, 'routing');
    const issues = new IssueCollector();
    checkCallId(issues, input.call_id);
    issues.throwIfAny();
    // Checked here as well as inside: once the index is complete a decision awaits nothing.
    if (this.loader.loading) {
      await this.loader.admitByNumber(input.to);
      const held = this.context.router.index.byNumber(canonicalE164(input.to) ?? '');
      await this.state.refreshUntrusted(actor.workspaceId, held ? [held.id] : []);
    }
    const result = this.context.router.inbound(actor.workspaceId, input, kind, this.context.nowMs());
    const direction = kind === 'voice' ? 'inbound_voice' : 'inbound_sms';
    if (input.source_ip !== undefined) {
      // A spoofed INVITE sent straight to the SBC never reaches an agent (or the number's webhook).
      const id = 'action' in result ? (result.action === 'reject' && result.reason === 'number_not_found' ? undefined : result.phone_number_id) : result.entry.id;
      if (id !== undefined && (await this.trunks.sourceAllowed(actor, id, input.source_ip)) === false) {
        return this.reported(direction, { action: 'reject', reason: 'source_not_allowed', decided_by: 'carrier_source', phone_number_id: id });
      }
    }
    const decision = 'action' in result ? result : await this.consultWebhook(actor, input, kind, result);
    // An SMS is no call: it holds no slot (the caps are checked against the calls in progress all the same).
    if (decision.action !== 'connect' || input.call_id === undefined || kind !== 'voice') return this.reported(direction, decision);
    const entry = this.context.router.index.get(decision.phone_number_id)!;
    const full = await this.holdSlot(actor.workspaceId, input.call_id, 'inbound', decision);
    return this.reported(direction, full === null ? decision : overCapacityInbound(entry, full));
  }

  async outbound(actor: Actor, input: OutboundInput): Promise<Decision> {
    requireScope(actor, 'routing');
    const to = canonicalE164(input.to);
    const issues = new IssueCollector();
    checkCallId(issues, input.call_id);
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
    const decision = await this.outboundHoldingSlot(actor, input, to!);
    if (decision.action !== 'connect') return this.reported('outbound', decision);
    const route = await this.trunks.outbound(actor, decision.phone_number_id);
    return this.reported('outbound', route ? { ...decision, trunk: route.trunk, carrier_id: route.carrier_id } : decision);
  }

  private reported(direction: 'inbound_voice' | 'inbound_sms' | 'outbound', decision: Decision): Decision {
    this.context.deps.telemetry?.emit('decision', { direction, action: decision.action, decidedBy: decision.decided_by });
    return decision;
  }

  /** The router's outbound answer; a `connect` with a call id holds the call's slot (another caller ID if the store finds this one full). */
  private async outboundHoldingSlot(actor: Actor, input: OutboundInput, to: string): Promise<Decision> {
    for (let attempt = 1; ; attempt++) {
      const decision = this.context.router.outbound(actor.workspaceId, input, to, this.context.nowMs());
      if (decision.action !== 'connect' || input.call_id === undefined) return decision;
      const full = await this.holdSlot(actor.workspaceId, input.call_id, 'outbound', decision);
      if (full === null) return decision;
      // The workspace cap holds for every caller ID; a number's cap may leave another one free.
      const tryAnother = full === 'number_capacity' && attempt < OUTBOUND_ATTEMPTS && (input.pool_id !== undefined || input.from === undefined);
      if (!tryAnother) return { action: 'reject', reason: 'over_capacity', decided_by: full, phone_number_id: decision.phone_number_id, caller_id: decision.caller_id! };
    }
  }

  /**
   * A `connect` for a call with a call id takes the call's slot, decided in the store (see
   * takeSlot). Null when the call holds its slot (or the number and workspace have no cap, so
   * there is nothing to hold and no round trip); otherwise the cap that is full. A call id
   * already leased on another number, or ended, takes nothing new.
   */
  private async holdSlot(workspaceId: string, callId: string, direction: 'inbound' | 'outbound', decision: ConnectDecision): Promise<CapacityRule | null> {
    const { router, options, deps } = this.context;
    const entry = router.index.get(decision.phone_number_id);
    if (!entry) return null;
    const caps = router.capsOf(entry);
    if (!caps.number && !caps.workspace) return null;
    const nowMs = this.context.nowMs();
    const outcome = await takeSlot(deps.database, { workspaceId, callId, numberId: entry.id, direction, nowMs, expiresMs: nowMs + options.callLeaseSeconds * 1000, caps }, this.state.notices);
    if (outcome.kind === 'held') this.calls.held(outcome.row);
    if (outcome.kind !== 'full') return null;
    // This instance counted fewer calls than the store: learn the number's leases before deciding again.
    await this.state.reloadLeases([entry.id]);
    return outcome.rule;
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
    const started = performance.now();
    const outcome = await postWebhook(pending.webhookUrl, body, signatureOf(body, secret, Date.now()), {
      timeoutMs: this.context.options.webhookTimeoutMs,
      allowPrivateTargets: this.context.options.allowPrivateWebhookTargets,
    });
    const base = { phone_number_id: entry.id };
    const answer = outcome.ok ? parseWebhookAnswer(outcome.body, event) : null;
    this.context.deps.telemetry?.emit('webhook', {
      outcome: outcome.ok ? (answer === null ? 'invalid_response' : 'ok') : outcome.failure,
      seconds: (performance.now() - started) / 1000,
    });
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

/** A call id may become a lease (and a log line): no control characters, as in /calls/{call_id}/start. */
function checkCallId(issues: IssueCollector, callId: string | undefined): void {
  if (callId !== undefined && CONTROL_CHARACTERS.test(callId)) issues.add('call_id', 'must not contain control characters');
}
