import type { PhoneNumberRow } from '../../db/tables.ts';
import { canonicalE164 } from '../../domain/phone.ts';
import type { AgentWeight, CallingHours, PhoneNumber } from '../phone-numbers/model.ts';
import { callingWindow, type CallingWindow } from './calling-hours.ts';
import { agentTable, type AgentTable } from './weighted.ts';

/**
 * The stored columns routing reads, each with how a record written in this process supplies
 * it: the one list of routing fields. Its order is the order of ROUTING_COLUMNS, which the
 * index load selects and reads back as arrays.
 */
const ROUTING_FIELDS = {
  id: (record) => record.id,
  workspace_id: (record) => record.workspace_id,
  e164: (record) => record.phone_number,
  status: (record) => record.status,
  voice: (record) => (record.capabilities.voice ? 1 : 0),
  sms: (record) => (record.capabilities.sms ? 1 : 0),
  country: (record) => record.country,
  region: (record) => record.region,
  area_code: (record) => record.area_code,
  time_zones: (record) => JSON.stringify(record.time_zones),
  inbound_agents: (record) => JSON.stringify(record.inbound_agents),
  outbound_agents: (record) => JSON.stringify(record.outbound_agents),
  inbound_sms_agents: (record) => JSON.stringify(record.inbound_sms_agents),
  outbound_sms_agents: (record) => JSON.stringify(record.outbound_sms_agents),
  allowed_inbound_countries: (record) => JSON.stringify(record.allowed_inbound_country_list),
  allowed_outbound_countries: (record) => JSON.stringify(record.allowed_outbound_country_list),
  inbound_webhook_url: (record) => record.inbound_webhook_url,
  inbound_sms_webhook_url: (record) => record.inbound_sms_webhook_url,
  fallback_number: (record) => record.fallback_number,
  max_concurrent_calls: (record) => record.max_concurrent_calls,
  calling_hours: (record) => (record.calling_hours ? JSON.stringify(record.calling_hours) : null),
  version: (record) => record.version,
} satisfies { [Column in keyof PhoneNumberRow]?: (record: PhoneNumber) => PhoneNumberRow[Column] };

export type RoutingColumn = keyof typeof ROUTING_FIELDS;

/** The columns of a stored number that routing reads, and nothing else (the load selects only these). */
export const ROUTING_COLUMNS = Object.keys(ROUTING_FIELDS) as readonly RoutingColumn[];

/** A stored number as routing reads it: the JSON columns still as their stored text. */
export type RoutingRow = Pick<PhoneNumberRow, RoutingColumn>;

/** The columns that identify a number; every other routing column describes its profile. */
const IDENTITY_COLUMNS: ReadonlySet<RoutingColumn> = new Set(['id', 'e164', 'version']);
const PROFILE_COLUMNS = ROUTING_COLUMNS.filter((column) => !IDENTITY_COLUMNS.has(column));

/**
 * A row read as an array of the ROUTING_COLUMNS values, in their order. The decoder is one
 * object literal generated from ROUTING_COLUMNS (as Fastify does for its serializers and ajv
 * for its validators), so it is the hand-written literal it replaces: built key by key from
 * `{}`, decoding 1,000,000 rows took ≈ 40 s instead of ≈ 3 s, paid at every start. The column
 * names are this file's constants, never input.
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the code is built from this file's constants (above), never from input
export const routingRowOfValues = new Function(
  'values',
  `return { ${ROUTING_COLUMNS.map((column, index) => `${column}: values[${index}]`).join(', ')} };`,
) as (values: readonly unknown[]) => RoutingRow;

/** The routing columns of a record, with its lists written back as JSON text (writes in this process). */
export function routingRowOf(record: PhoneNumber): RoutingRow {
  const row: Record<string, unknown> = {};
  for (const column of ROUTING_COLUMNS) row[column] = ROUTING_FIELDS[column](record);
  return row as unknown as RoutingRow;
}

/** The interning key of a row's profile: every profile column, null kept apart from ''. */
function profileKey(row: RoutingRow): string {
  return PROFILE_COLUMNS.map((column) => row[column] ?? '\u0001').join('\u0000');
}

/**
 * What routing needs of a number besides its identity. Most numbers of an installation share
 * theirs (same workspace, agent lists, policies and area code), so profiles are interned by
 * content and counted: a million numbers hold a few profiles, not a million copies.
 */
export interface NumberProfile {
  /** The interning key (the routing columns it was built from). */
  readonly key: string;
  /** Numbers holding this profile; at 0 it leaves the index. */
  users: number;
  readonly workspaceId: string;
  readonly active: boolean;
  readonly voice: boolean;
  readonly sms: boolean;
  readonly country: string | null;
  readonly region: string | null;
  readonly areaCode: string | null;
  /** The first of the number's time zones (the fallback zone of its calling hours). */
  readonly timeZone: string | null;
  readonly inbound: AgentTable | null;
  readonly outbound: AgentTable | null;
  readonly inboundSms: AgentTable | null;
  readonly outboundSms: AgentTable | null;
  readonly allowedInbound: ReadonlySet<string> | null;
  readonly allowedOutbound: ReadonlySet<string> | null;
  readonly inboundWebhookUrl: string | null;
  readonly inboundSmsWebhookUrl: string | null;
  readonly fallbackNumber: string | null;
  /** 0 = unlimited. */
  readonly maxConcurrentCalls: number;
  readonly callingHours: CallingWindow | null;
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
}

/**
 * Values shared by content between profiles (parsed agent lists, country sets, windows,
 * strings), counted by the profiles holding them: the last profile to let go removes the
 * value, so the caches hold what live numbers use and never grow beyond it.
 */
export class SharedValues<V> {
  private readonly held = new Map<string, { value: V; users: number }>();

  get size(): number {
    return this.held.size;
  }

  acquire(key: string, make: (key: string) => V): V {
    let slot = this.held.get(key);
    if (slot === undefined) this.held.set(key, (slot = { value: make(key), users: 0 }));
    slot.users++;
    return slot.value;
  }

  release(key: string): void {
    const slot = this.held.get(key);
    if (slot !== undefined && --slot.users === 0) this.held.delete(key);
  }
}

/** One shared value a profile holds, to give back when the profile leaves. */
interface Share {
  values: SharedValues<unknown>;
  key: string;
}

const sameString = (value: string): string => value;

export class NumberIndex {
  private readonly byE164 = new Map<string, NumberEntry>();
  private readonly byId = new Map<string, NumberEntry>();
  /** `${workspace}\0${agent}` → numbers whose outbound_agents contain the agent. */
  private readonly byOutboundAgent = new Map<string, Set<NumberEntry>>();
  private readonly profiles = new Map<string, NumberProfile>();
  /** What each live profile (by key) took from the shared values below. */
  private readonly shares = new Map<string, Share[]>();
  private readonly strings = new SharedValues<string>();
  // Keyed by the stored JSON text, so a million rows sharing a list parse it once.
  private readonly tables = new SharedValues<AgentTable | null>();
  private readonly countrySets = new SharedValues<ReadonlySet<string> | null>();
  private readonly firstZones = new SharedValues<string | null>();
  private readonly windows = new SharedValues<CallingWindow>();

  get size(): number {
    return this.byE164.size;
  }

  /** How much the index holds besides the entries (tests check that it shrinks back). */
  get sharedSizes(): { profiles: number; strings: number; tables: number; countrySets: number; firstZones: number; windows: number } {
    return {
      profiles: this.profiles.size,
      strings: this.strings.size,
      tables: this.tables.size,
      countrySets: this.countrySets.size,
      firstZones: this.firstZones.size,
      windows: this.windows.size,
    };
  }

  byNumber(e164: string): NumberEntry | undefined {
    return this.byE164.get(e164);
  }

  /**
   * The number a client's reference names: stored exactly so (every pseudo number, and E.164 as
   * written canonically), else its canonical E.164 form (see `numberKeys`).
   */
  find(reference: string): NumberEntry | undefined {
    const exact = this.byE164.get(reference);
    if (exact) return exact;
    const e164 = canonicalE164(reference);
    return e164 === null || e164 === reference ? undefined : this.byE164.get(e164);
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
    const { outbound, workspaceId } = entry.profile;
    if (outbound) {
      for (const agent of outbound.agents) {
        const key = `${workspaceId}\0${agent.agent_id}`;
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
    const { profile } = entry;
    if (--profile.users === 0) this.dropProfile(profile);
    this.byId.delete(entry.id);
    if (this.byE164.get(entry.e164) === entry) this.byE164.delete(entry.e164);
    if (profile.outbound) {
      for (const agent of profile.outbound.agents) {
        const key = `${profile.workspaceId}\0${agent.agent_id}`;
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
    const key = profileKey(row);
    let profile = this.profiles.get(key);
    if (profile === undefined) {
      const shares: Share[] = [];
      const share = <V>(values: SharedValues<V>, text: string, make: (text: string) => V): V => {
        shares.push({ values: values, key: text });
        return values.acquire(text, make);
      };
      const shareNullable = (text: string | null): string | null => (text === null ? null : share(this.strings, text, sameString));
      profile = {
        key,
        users: 0,
        workspaceId: share(this.strings, row.workspace_id, sameString),
        active: row.status === 'active',
        voice: row.voice === 1,
        sms: row.sms === 1,
        country: shareNullable(row.country),
        region: shareNullable(row.region),
        areaCode: shareNullable(row.area_code),
        timeZone: share(this.firstZones, row.time_zones, (json) => (JSON.parse(json) as string[])[0] ?? null),
        inbound: share(this.tables, row.inbound_agents, parseAgentTable),
        outbound: share(this.tables, row.outbound_agents, parseAgentTable),
        inboundSms: share(this.tables, row.inbound_sms_agents, parseAgentTable),
        outboundSms: share(this.tables, row.outbound_sms_agents, parseAgentTable),
        allowedInbound: share(this.countrySets, row.allowed_inbound_countries, parseCountrySet),
        allowedOutbound: share(this.countrySets, row.allowed_outbound_countries, parseCountrySet),
        inboundWebhookUrl: row.inbound_webhook_url,
        inboundSmsWebhookUrl: row.inbound_sms_webhook_url,
        fallbackNumber: row.fallback_number,
        maxConcurrentCalls: row.max_concurrent_calls ?? 0,
        callingHours: row.calling_hours === null ? null : share(this.windows, row.calling_hours, parseWindow),
      };
      this.profiles.set(key, profile);
      this.shares.set(key, shares);
    }
    return profile;
  }

  private dropProfile(profile: NumberProfile): void {
    this.profiles.delete(profile.key);
    for (const { values, key } of this.shares.get(profile.key) ?? []) values.release(key);
    this.shares.delete(profile.key);
  }
}

function parseAgentTable(json: string): AgentTable | null {
  return agentTable((JSON.parse(json) as AgentWeight[]).map((agent) => Object.freeze({ ...agent })));
}

function parseCountrySet(json: string): ReadonlySet<string> | null {
  const list = JSON.parse(json) as string[];
  return list.length === 0 ? null : new Set(list);
}

function parseWindow(json: string): CallingWindow {
  return callingWindow(JSON.parse(json) as CallingHours);
}
