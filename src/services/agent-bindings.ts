import { requireScope, type Actor } from './context.ts';
import { NotFoundError, PreconditionFailedError, ValidationError } from './errors.ts';
import type { AgentWeight, PhoneNumber, PhoneNumberChanges } from './phone-numbers/model.ts';
import type { PhoneNumberService } from './phone-numbers/service.ts';
import { IssueCollector, validateChanges } from './phone-numbers/validate.ts';
import { retrying } from './transactions.ts';

/**
 * Attaching agents to numbers the way Synthflow's outbound number pools do: attaching builds the
 * agent's outbound caller-ID pool ("Does this apply to inbound agents? No."), so attach and
 * detach touch `outbound_agents` only; the inbound agent (at most one per number) is set
 * elsewhere. Attachment is expressed in the core binding lists, so routing and the native API see
 * exactly what a pool client set up.
 */

/** Agent ids bound to the number through its voice lists (inbound first), without duplicates. */
export function attachedAgentIds(record: Pick<PhoneNumber, 'inbound_agents' | 'outbound_agents'>): string[] {
  return [...new Set([...record.inbound_agents, ...record.outbound_agents].map((entry) => entry.agent_id))];
}

/** Free for inbound assignment: no inbound agent yet. */
export function isAvailableForInbound(record: Pick<PhoneNumber, 'inbound_agents'>): boolean {
  return record.inbound_agents.length === 0;
}

/** Equal shares, keeping each entry's pinned version; the last share absorbs the rounding. */
function spreadEqually(entries: AgentWeight[]): AgentWeight[] {
  const share = 1 / entries.length;
  return entries.map((entry, index) => ({
    ...entry,
    weight: index === entries.length - 1 ? 1 - share * (entries.length - 1) : share,
  }));
}

/** Whether the number is in the agent's outbound pool. */
export function isInOutboundPool(record: Pick<PhoneNumber, 'outbound_agents'>, agentId: string): boolean {
  return record.outbound_agents.some((entry) => entry.agent_id === agentId);
}

/** The changes attaching `agentId` to the number's outbound pool makes, or null when it is in it already. */
export function attachChanges(record: PhoneNumber, agentId: string): PhoneNumberChanges | null {
  if (isInOutboundPool(record, agentId)) return null;
  return { outbound_agents: spreadEqually([...record.outbound_agents, { agent_id: agentId, weight: 1 }]) };
}

/** The changes detaching `agentId` from the number's outbound pool makes, or null when it is not in it. */
export function detachChanges(record: PhoneNumber, agentId: string): PhoneNumberChanges | null {
  if (!isInOutboundPool(record, agentId)) return null;
  const outbound = record.outbound_agents.filter((entry) => entry.agent_id !== agentId);
  return { outbound_agents: outbound.length > 0 ? spreadEqually(outbound) : [] };
}

// Each lost race means another writer made progress, so a few attempts cover any realistic burst on one number.
const MAX_WRITE_ATTEMPTS = 10;

export class AgentBindingService {
  constructor(private readonly numbers: PhoneNumberService) {}

  /**
   * Attaches the agent to every listed number (E.164, with or without `+`). Every number is
   * looked up and every resulting binding validated before the first write, so an unknown
   * number or a full list changes nothing. Already attached numbers are left as they are.
   */
  async attach(actor: Actor, agentId: string, numbers: string[], field = 'phone_numbers'): Promise<PhoneNumber[]> {
    requireScope(actor, 'numbers:write');
    checkAgentId(agentId);
    const records = await this.lookUpAll(actor, numbers, field);
    const issues = new IssueCollector();
    records.forEach((record, index) => {
      const changes = attachChanges(record, agentId);
      if (!changes) return;
      const check = new IssueCollector();
      validateChanges(check, changes);
      for (const issue of check.issues) issues.add(`${field}[${index}]`, `${record.phone_number}: ${issue.field} ${issue.message}`);
    });
    issues.throwIfAny();
    const result: PhoneNumber[] = [];
    for (const record of records) result.push(await this.applyWithRetry(actor, record, (current) => attachChanges(current, agentId)));
    return result;
  }

  /** Detaches the agent from one number; 404 when the number is unknown or the agent is not attached to it. */
  async detach(actor: Actor, agentId: string, number: string): Promise<PhoneNumber> {
    requireScope(actor, 'numbers:write');
    checkAgentId(agentId);
    const record = await this.numbers.getByNumber(actor, number);
    if (!isInOutboundPool(record, agentId)) {
      throw new NotFoundError(`agent ${agentId} is not attached to ${record.phone_number} (its outbound pool)`);
    }
    return this.applyWithRetry(actor, record, (current) => detachChanges(current, agentId));
  }

  private async lookUpAll(actor: Actor, numbers: string[], field: string): Promise<PhoneNumber[]> {
    const records: PhoneNumber[] = [];
    const seen = new Set<string>();
    for (const [index, number] of numbers.entries()) {
      let record: PhoneNumber;
      try {
        record = await this.numbers.getByNumber(actor, number);
      } catch (error) {
        if (error instanceof NotFoundError) throw new NotFoundError(`${field}[${index}]: phone number ${number} not found`);
        throw error;
      }
      if (seen.has(record.id)) continue;
      seen.add(record.id);
      records.push(record);
    }
    return records;
  }

  /** Writes conditionally on the version read; when someone else wrote in between, recomputes from their result. */
  private async applyWithRetry(actor: Actor, record: PhoneNumber, changesFor: (current: PhoneNumber) => PhoneNumberChanges | null): Promise<PhoneNumber> {
    const policy = { attempts: MAX_WRITE_ATTEMPTS, retryOn: (error: unknown) => error instanceof PreconditionFailedError };
    return retrying(policy, async (attempt) => {
      const current = attempt === 1 ? record : await this.numbers.get(actor, record.id);
      const changes = changesFor(current);
      if (!changes) return current;
      return this.numbers.update(actor, current.id, changes, { ifVersion: current.version });
    });
  }
}

function checkAgentId(agentId: string): void {
  if (agentId.trim() === '' || agentId.length > 128) throw ValidationError.field('model_id', 'must be 1 to 128 characters');
}
