import type { PhoneNumberRow } from '../../db/tables.ts';
import type { AgentWeight, CallingHours, PhoneNumber } from '../phone-numbers/model.ts';
import { callingWindow, type CallingWindow } from './calling-hours.ts';
import { agentTable, type AgentTable } from './weighted.ts';
/**
 * What routing needs of a number besides its identity. Most numbers of an installation share
 * theirs (same workspace, agent lists, policies and area code), so profiles are interned by
 * content and counted: a million numbers hold a few profiles, not a million copies.
 */
export class NumberProfile {
  /** Numbers holding this profile; at 0 it leaves the index. */
  users = 0;

  constructor(
    /** The interning key (the routing columns it was built from). */
    readonly key: string,
    readonly workspaceId: string,
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
  ) {}
}

/**
 * What routing needs of one number, and nothing else: its identity, its version, its last use
 * and its shared profile (≈ 64 bytes plus the two strings, where a flat object took ≈ 210).
 */
export class NumberEntry {
  /** Last time this number was chosen as an outbound caller ID (ms); drives least-recently-used. */
  lastUsedMs = 0;

  constructor(
    readonly id: string,
    readonly e164: string,
    readonly version: number,
    readonly profile: NumberProfile,
  ) {}

  get workspaceId(): string {
    return this.profile.workspaceId;
  }
  get active(): boolean {
    return this.profile.active;
  }
  get voice(): boolean {
    return this.profile.voice;
  }
  get sms(): boolean {
    return this.profile.sms;
  }
  get country(): string | null {
    return this.profile.country;
  }
  get region(): string | null {
    return this.profile.region;
  }
  get areaCode(): string | null {
    return this.profile.areaCode;
  }
  get timeZone(): string | null {
    return this.profile.timeZone;
  }
  get inbound(): AgentTable | null {
    return this.profile.inbound;
  }
  get outbound(): AgentTable | null {
    return this.profile.outbound;
  }
  get inboundSms(): AgentTable | null {
    return this.profile.inboundSms;
  }
  get outboundSms(): AgentTable | null {
    return this.profile.outboundSms;
  }
  get allowedInbound(): ReadonlySet<string> | null {
    return this.profile.allowedInbound;
  }
  get allowedOutbound(): ReadonlySet<string> | null {
    return this.profile.allowedOutbound;
  }
  get inboundWebhookUrl(): string | null {
    return this.profile.inboundWebhookUrl;
  }
  get inboundSmsWebhookUrl(): string | null {
    return this.profile.inboundSmsWebhookUrl;
  }
  get fallbackNumber(): string | null {
    return this.profile.fallbackNumber;
  }
  get maxConcurrentCalls(): number {
    return this.profile.maxConcurrentCalls;
  }
  get callingHours(): CallingWindow | null {
    return this.profile.callingHours;
  }
}

/** The columns of a stored number that routing reads, and nothing else (the load selects only these). */
export const ROUTING_COLUMNS = [
  'id',
  'workspace_id',
  'e164',
  'status',
  'voice',
  'sms',
  'country',
  'region',
  'area_code',
  'time_zones',
  'inbound_agents',
  'outbound_agents',
  'inbound_sms_agents',
  'outbound_sms_agents',
  'allowed_inbound_countries',
  'allowed_outbound_countries',
  'inbound_webhook_url',
  'inbound_sms_webhook_url',
  'fallback_number',
  'max_concurrent_calls',
  'calling_hours',
  'version',
] as const satisfies readonly (keyof PhoneNumberRow)[];

/** A stored number as routing reads it: the JSON columns still as their stored text. */
export type RoutingRow = Pick<PhoneNumberRow, (typeof ROUTING_COLUMNS)[number]>;

/** A row read as an array of the ROUTING_COLUMNS values, in their order. */
export function routingRowOfValues(values: unknown[]): RoutingRow {
  return {
    id: values[0] as string,
    workspace_id: values[1] as string,
    e164: values[2] as string,
    status: values[3] as string,
    voice: values[4] as number,
    sms: values[5] as number,
    country: values[6] as string | null,
    region: values[7] as string | null,
    area_code: values[8] as string | null,
    time_zones: values[9] as string,
    inbound_agents: values[10] as string,
    outbound_agents: values[11] as string,
    inbound_sms_agents: values[12] as string,
    outbound_sms_agents: values[13] as string,
    allowed_inbound_countries: values[14] as string,
    allowed_outbound_countries: values[15] as string,
    inbound_webhook_url: values[16] as string | null,
    inbound_sms_webhook_url: values[17] as string | null,
    fallback_number: values[18] as string | null,
    max_concurrent_calls: values[19] as number | null,
    calling_hours: values[20] as string | null,
    version: values[21] as number,
  };
}

// routingRowOfValues reads by position: fail at load, not with misrouted calls, if the two lists drift.
const probe = routingRowOfValues(ROUTING_COLUMNS.map((_, index) => index));
if (ROUTING_COLUMNS.some((column, index) => (probe[column] as unknown) !== index)) throw new Error('routingRowOfValues does not follow ROUTING_COLUMNS');

/** The routing columns of a record, with its lists written back as JSON text (writes in this process). */
export function routingRowOf(record: PhoneNumber): RoutingRow {
  return {
    id: record.id,
    workspace_id: record.workspace_id,
    e164: record.phone_number,
    status: record.status,
    voice: record.capabilities.voice ? 1 : 0,
    sms: record.capabilities.sms ? 1 : 0,
    country: record.country,
    region: record.region,
    area_code: record.area_code,
    time_zones: JSON.stringify(record.time_zones),
    inbound_agents: JSON.stringify(record.inbound_agents),
    outbound_agents: JSON.stringify(record.outbound_agents),
    inbound_sms_agents: JSON.stringify(record.inbound_sms_agents),
    outbound_sms_agents: JSON.stringify(record.outbound_sms_agents),
    allowed_inbound_countries: JSON.stringify(record.allowed_inbound_country_list),
    allowed_outbound_countries: JSON.stringify(record.allowed_outbound_country_list),
    inbound_webhook_url: record.inbound_webhook_url,
    inbound_sms_webhook_url: record.inbound_sms_webhook_url,
    fallback_number: record.fallback_number,
    max_concurrent_calls: record.max_concurrent_calls,
    calling_hours: record.calling_hours ? JSON.stringify(record.calling_hours) : null,
    version: record.version,
  };
}

export class NumberIndex {
  private readonly byE164 = new Map<string, NumberEntry>();
  private readonly byId = new Map<string, NumberEntry>();
  /** `${workspace}\0${agent}` → numbers whose outbound_agents contain the agent. */
  private readonly byOutboundAgent = new Map<string, Set<NumberEntry>>();
  private readonly profiles = new Map<string, NumberProfile>();
  private readonly strings = new Map<string, string>();
  // Keyed by the stored JSON text, so a million rows sharing a list parse it once.
  private readonly tables = new Map<string, AgentTable | null>();
  private readonly countrySets = new Map<string, ReadonlySet<string> | null>();
  private readonly firstZones = new Map<string, string | null>();
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
    this.upsertRow(routingRowOf(record));
  }

  /** As upsert, from the stored columns. */
  upsertRow(row: RoutingRow): void {
    const existing = this.byId.get(row.id);
    if (existing && existing.version > row.version) return;
    const entry = this.entryOf(row);
    if (existing) this.unlink(existing);
    else {
      // The same number under a new id (deleted and re-imported): the old record is gone.
      const sameNumber = this.byE164.get(row.e164);
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
    if (--entry.profile.users === 0) this.profiles.delete(entry.profile.key);
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

  private entryOf(row: RoutingRow): NumberEntry {
    const profile = this.profileOf(row);
    profile.users++;
    return new NumberEntry(row.id, row.e164, row.version, profile);
  }

  private profileOf(row: RoutingRow): NumberProfile {
    const key = [
      row.workspace_id,
      row.status,
      row.voice,
      row.sms,
      row.country,
      row.region,
      row.area_code,
      row.time_zones,
      row.inbound_agents,
      row.outbound_agents,
      row.inbound_sms_agents,
      row.outbound_sms_agents,
      row.allowed_inbound_countries,
      row.allowed_outbound_countries,
      row.inbound_webhook_url,
      row.inbound_sms_webhook_url,
      row.fallback_number,
      row.max_concurrent_calls,
      row.calling_hours,
    ]
      // null and '' must not share a key.
      .map((value) => (value === null ? '\u0001' : value))
      .join('\u0000');
    let profile = this.profiles.get(key);
    if (profile === undefined) {
      profile = new NumberProfile(
        key,
        this.intern(row.workspace_id),
        row.status === 'active',
        row.voice === 1,
        row.sms === 1,
        this.internNullable(row.country),
        this.internNullable(row.region),
        this.internNullable(row.area_code),
        this.firstZone(row.time_zones),
        this.table(row.inbound_agents),
        this.table(row.outbound_agents),
        this.table(row.inbound_sms_agents),
        this.table(row.outbound_sms_agents),
        this.countrySet(row.allowed_inbound_countries),
        this.countrySet(row.allowed_outbound_countries),
        row.inbound_webhook_url,
        row.inbound_sms_webhook_url,
        row.fallback_number,
        row.max_concurrent_calls ?? 0,
        row.calling_hours === null ? null : this.window(row.calling_hours),
      );
      this.profiles.set(key, profile);
    }
    return profile;
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

  private firstZone(json: string): string | null {
    let zone = this.firstZones.get(json);
    if (zone === undefined) this.firstZones.set(json, (zone = this.internNullable((JSON.parse(json) as string[])[0] ?? null)));
    return zone;
  }

  private table(json: string): AgentTable | null {
    let table = this.tables.get(json);
    if (table === undefined) {
      const agents = JSON.parse(json) as AgentWeight[];
      this.tables.set(json, (table = agentTable(agents.map((agent) => Object.freeze({ ...agent })))));
    }
    return table;
  }

  private countrySet(json: string): ReadonlySet<string> | null {
    let set = this.countrySets.get(json);
    if (set === undefined) {
      const list = JSON.parse(json) as string[];
      this.countrySets.set(json, (set = list.length === 0 ? null : new Set(list)));
    }
    return set;
  }

  private window(json: string): CallingWindow {
    let window = this.windows.get(json);
    if (!window) this.windows.set(json, (window = callingWindow(JSON.parse(json) as CallingHours)));
    return window;
  }
}
