import type { AgentWeight, PhoneNumber } from '../phone-numbers/model.ts';
import { callingWindow, type CallingWindow } from './calling-hours.ts';
import { agentTable, type AgentTable } from './weighted.ts';

/**
 * What routing needs of one number, and nothing else: about a tenth of the full record.
 * Strings shared by many numbers (workspace ids, countries, zones, agent lists) are interned,
 * so a million numbers cost one entry object plus two map slots each.
 */
export class NumberEntry {
  /** Last time this number was chosen as an outbound caller ID (ms); drives least-recently-used. */
  lastUsedMs = 0;

  constructor(
    readonly id: string,
    readonly workspaceId: string,
    readonly e164: string,
    readonly active: boolean,
    readonly voice: boolean,
    readonly sms: boolean,
    readonly country: string | null,
    readonly region: string | null,
    readonly areaCode: string | null,
    readonly timeZone: string | null,
    readonly inbound: AgentTable | null,
    readonly outbound: AgentTable | null,
    readonly inboundSms: AgentTable | null,
    readonly outboundSms: AgentTable | null,
    readonly allowedInbound: ReadonlySet<string> | null,
    readonly allowedOutbound: ReadonlySet<string> | null,
    readonly inboundWebhookUrl: string | null,
    readonly inboundSmsWebhookUrl: string | null,
    readonly fallbackNumber: string | null,
    /** 0 = unlimited. */
    readonly maxConcurrentCalls: number,
    readonly callingHours: CallingWindow | null,
    readonly version: number,
  ) {}
}

export class NumberIndex {
  private readonly byE164 = new Map<string, NumberEntry>();
  private readonly byId = new Map<string, NumberEntry>();
  /** `${workspace}\0${agent}` → numbers whose outbound_agents contain the agent. */
  private readonly byOutboundAgent = new Map<string, Set<NumberEntry>>();
  private readonly strings = new Map<string, string>();
  private readonly tables = new Map<string, AgentTable | null>();
  private readonly countrySets = new Map<string, ReadonlySet<string> | null>();
  private readonly windows = new Map<string, CallingWindow>();

  get size(): number {
    return this.byE164.size;
  }

  byNumber(e164: string): NumberEntry | undefined {
    return this.byE164.get(e164);
  }

  get(id: string): NumberEntry | undefined {
    return this.byId.get(id);
  }

  ids(): IterableIterator<string> {
    return [...this.byId.keys()].values();
  }

  withOutboundAgent(workspaceId: string, agentId: string): Iterable<NumberEntry> {
    return this.byOutboundAgent.get(`${workspaceId}\0${agentId}`) ?? [];
  }

  /** Inserts or replaces a number; a record older than the one held is ignored (reload races). */
  upsert(record: PhoneNumber): void {
    const existing = this.byId.get(record.id);
    if (existing && existing.version > record.version) return;
    const entry = this.entryOf(record);
    if (existing) this.unlink(existing);
    else {
      // The same number under a new id (deleted and re-imported): the old record is gone.
      const sameNumber = this.byE164.get(record.phone_number);
      if (sameNumber) this.remove(sameNumber.id);
    }
    if (existing) entry.lastUsedMs = existing.lastUsedMs;
    this.byE164.set(entry.e164, entry);
    this.byId.set(entry.id, entry);
    if (entry.outbound) {
      for (const agent of entry.outbound.agents) {
        const key = `${entry.workspaceId}\0${agent.agent_id}`;
        let set = this.byOutboundAgent.get(key);
        if (!set) this.byOutboundAgent.set(key, (set = new Set()));
        set.add(entry);
      }
    }
  }

  remove(id: string): void {
    const existing = this.byId.get(id);
    if (existing) this.unlink(existing);
  }

  private unlink(entry: NumberEntry): void {
    this.byId.delete(entry.id);
    if (this.byE164.get(entry.e164) === entry) this.byE164.delete(entry.e164);
    if (entry.outbound) {
      for (const agent of entry.outbound.agents) {
        const key = `${entry.workspaceId}\0${agent.agent_id}`;
        const set = this.byOutboundAgent.get(key);
        set?.delete(entry);
        if (set?.size === 0) this.byOutboundAgent.delete(key);
      }
    }
  }

  private entryOf(record: PhoneNumber): NumberEntry {
    return new NumberEntry(
      record.id,
      this.intern(record.workspace_id),
      record.phone_number,
      record.status === 'active',
      record.capabilities.voice,
      record.capabilities.sms,
      this.internNullable(record.country),
      this.internNullable(record.region),
      this.internNullable(record.area_code),
      this.internNullable(record.time_zones[0] ?? null),
      this.table(record.inbound_agents),
      this.table(record.outbound_agents),
      this.table(record.inbound_sms_agents),
      this.table(record.outbound_sms_agents),
      this.countrySet(record.allowed_inbound_country_list),
      this.countrySet(record.allowed_outbound_country_list),
      record.inbound_webhook_url,
      record.inbound_sms_webhook_url,
      record.fallback_number,
      record.max_concurrent_calls ?? 0,
      record.calling_hours ? this.window(record.calling_hours) : null,
      record.version,
    );
  }

  private intern(value: string): string {
    const held = this.strings.get(value);
    if (held !== undefined) return held;
    this.strings.set(value, value);
    return value;
  }

  private internNullable(value: string | null): string | null {
    return value === null ? null : this.intern(value);
  }

  private table(agents: AgentWeight[]): AgentTable | null {
    if (agents.length === 0) return null;
    const key = JSON.stringify(agents);
    let table = this.tables.get(key);
    if (table === undefined) this.tables.set(key, (table = agentTable(agents.map((agent) => Object.freeze({ ...agent })))));
    return table;
  }

  private countrySet(list: string[]): ReadonlySet<string> | null {
    if (list.length === 0) return null;
    const key = list.join(',');
    let set = this.countrySets.get(key);
    if (set === undefined) this.countrySets.set(key, (set = new Set(list)));
    return set;
  }

  private window(hours: NonNullable<PhoneNumber['calling_hours']>): CallingWindow {
    const key = JSON.stringify(hours);
    let window = this.windows.get(key);
    if (!window) this.windows.set(key, (window = callingWindow(hours)));
    return window;
  }
}
