import { jsonColumn, type PhoneNumberAgentRow, type PhoneNumberRow } from '../../db/tables.ts';
import { newId } from '../../domain/ids.ts';
import { describeNumber, pseudoFacts } from '../../domain/phone.ts';
import {
  AGENT_LISTS,
  SIP_DEFAULTS,
  type AgentWeight,
  type CallingHours,
  type NumberSource,
  type NumberStatus,
  type PhoneNumber,
  type PhoneNumberChanges,
  type SipTransport,
} from './model.ts';

/**
 * The codec between the phone-number record and its row: the record's shape on one side, the
 * store's columns (flattened SIP settings, 0/1 booleans, JSON text lists) on the other. Pure:
 * sealing a SIP password is handed in, nothing here touches the store.
 */

/** The JSON columns of a phone-number row, each with what it holds. */
export const numberColumns = {
  agents: jsonColumn<AgentWeight[]>(),
  countries: jsonColumn<string[]>(),
  timeZones: jsonColumn<string[]>(),
  callingHours: jsonColumn<CallingHours>(),
};

/** Seals a plaintext secret for the store (SecretBox.seal). */
export type Seal = (plain: string) => string;

export function rowToPhoneNumber(row: PhoneNumberRow): PhoneNumber {
  const { agents, countries } = numberColumns;
  return {
    id: row.id,
    workspace_id: row.workspace_id,
    phone_number: row.e164,
    status: row.status as NumberStatus,
    source: row.source as NumberSource,
    provider_sid: row.provider_sid,
    carrier_id: row.carrier_id,
    purchased: row.purchased === 1,
    nickname: row.nickname,
    capabilities: { voice: row.voice === 1, sms: row.sms === 1 },
    country: row.country,
    region: row.region,
    locality: row.locality,
    area_code: row.area_code,
    number_type: row.number_type,
    time_zones: numberColumns.timeZones.decode(row.time_zones),
    phone_number_pretty: row.pretty,
    sip: {
      termination_uri: row.sip_termination_uri,
      outbound_proxy: row.sip_outbound_proxy,
      auth_username: row.sip_auth_username,
      transport: row.sip_transport as SipTransport,
      uac_enabled: row.sip_uac_enabled === 1,
      uac_register_expires: row.sip_uac_register_expires,
      has_password: row.sip_auth_password !== null,
    },
    inbound_agents: agents.decode(row.inbound_agents),
    outbound_agents: agents.decode(row.outbound_agents),
    inbound_sms_agents: agents.decode(row.inbound_sms_agents),
    outbound_sms_agents: agents.decode(row.outbound_sms_agents),
    allowed_inbound_country_list: countries.decode(row.allowed_inbound_countries),
    allowed_outbound_country_list: countries.decode(row.allowed_outbound_countries),
    inbound_webhook_url: row.inbound_webhook_url,
    inbound_sms_webhook_url: row.inbound_sms_webhook_url,
    fallback_number: row.fallback_number,
    max_concurrent_calls: row.max_concurrent_calls ?? null,
    calling_hours: row.calling_hours ? numberColumns.callingHours.decode(row.calling_hours) : null,
    error_message: row.error_message,
    created_at: row.created_at,
    updated_at: row.updated_at,
    version: row.version,
  };
}

/** The number a new row is stored under: E.164, or a pseudo number kept as given (no facts derived). */
export interface NumberKey {
  number: string;
  pseudo: boolean;
  /** Bought (stock or carrier) rather than imported; false when absent. */
  purchased?: boolean;
}

/** The row of a new number: its facts from libphonenumber, every other field its default, then `changes`. */
export function newRow(workspaceId: string, key: NumberKey, changes: PhoneNumberChanges, now: string, seal: Seal): PhoneNumberRow {
  const facts = key.pseudo ? pseudoFacts(key.number) : describeNumber(key.number);
  const e164 = key.number;
  const none = numberColumns.agents.encode([]);
  const base: PhoneNumberRow = {
    id: newId(),
    workspace_id: workspaceId,
    e164,
    status: 'active',
    source: 'manual',
    provider_sid: null,
    carrier_id: null,
    purchased: key.purchased ? 1 : 0,
    nickname: null,
    voice: 1,
    sms: 0,
    country: facts.country,
    region: facts.region,
    locality: facts.locality,
    area_code: facts.area_code,
    number_type: facts.number_type,
    time_zones: numberColumns.timeZones.encode(facts.time_zones),
    pretty: facts.pretty,
    sip_termination_uri: null,
    sip_outbound_proxy: null,
    sip_auth_username: null,
    sip_auth_password: null,
    sip_transport: SIP_DEFAULTS.transport,
    sip_uac_enabled: SIP_DEFAULTS.uac_enabled ? 1 : 0,
    sip_uac_register_expires: SIP_DEFAULTS.uac_register_expires,
    inbound_agents: none,
    outbound_agents: none,
    inbound_sms_agents: none,
    outbound_sms_agents: none,
    has_inbound_agent: 0,
    allowed_inbound_countries: numberColumns.countries.encode([]),
    allowed_outbound_countries: numberColumns.countries.encode([]),
    inbound_webhook_url: null,
    inbound_sms_webhook_url: null,
    fallback_number: null,
    max_concurrent_calls: null,
    calling_hours: null,
    error_message: null,
    version: 1,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
  return mergeRow(base, changes, now, seal);
}

const clearedSip = {
  termination_uri: null,
  outbound_proxy: null,
  auth_username: null,
  auth_password: null,
  transport: null,
  uac_enabled: null,
  uac_register_expires: null,
};

/** The row after applying changes: absent keeps, null resets to the default. The version is the caller's. */
export function mergeRow(current: PhoneNumberRow, changes: PhoneNumberChanges, now: string, seal: Seal): PhoneNumberRow {
  const next: PhoneNumberRow = { ...current, updated_at: now };
  const pick = <T>(value: T | null | undefined, fallback: T, keep: T): T =>
    value === undefined ? keep : value === null ? fallback : value;
  next.status = pick(changes.status, 'active', current.status);
  next.source = pick(changes.source, 'manual', current.source);
  next.provider_sid = pick(changes.provider_sid, null, current.provider_sid);
  next.carrier_id = pick(changes.carrier_id, null, current.carrier_id);
  next.nickname = pick(changes.nickname, null, current.nickname);
  next.error_message = pick(changes.error_message, null, current.error_message);
  if (changes.capabilities === null) {
    next.voice = 1;
    next.sms = 0;
  } else if (changes.capabilities) {
    next.voice = pick(changes.capabilities.voice, true, current.voice === 1) ? 1 : 0;
    next.sms = pick(changes.capabilities.sms, false, current.sms === 1) ? 1 : 0;
  }
  const sip = changes.sip === null ? clearedSip : changes.sip;
  if (sip) {
    next.sip_termination_uri = pick(sip.termination_uri, null, current.sip_termination_uri);
    next.sip_outbound_proxy = pick(sip.outbound_proxy, null, current.sip_outbound_proxy);
    next.sip_auth_username = pick(sip.auth_username, null, current.sip_auth_username);
    next.sip_transport = pick(sip.transport, SIP_DEFAULTS.transport, current.sip_transport as SipTransport);
    next.sip_uac_enabled = pick(sip.uac_enabled, SIP_DEFAULTS.uac_enabled, current.sip_uac_enabled === 1) ? 1 : 0;
    next.sip_uac_register_expires = pick(sip.uac_register_expires, SIP_DEFAULTS.uac_register_expires, current.sip_uac_register_expires);
    if (sip.auth_password !== undefined) {
      next.sip_auth_password = sip.auth_password === null ? null : seal(sip.auth_password);
    }
  }
  for (const name of AGENT_LISTS) {
    const list = changes[name];
    if (list !== undefined) next[name] = numberColumns.agents.encode(list ?? []);
  }
  next.has_inbound_agent = next.inbound_agents === numberColumns.agents.encode([]) ? 0 : 1;
  if (changes.allowed_inbound_country_list !== undefined) {
    next.allowed_inbound_countries = numberColumns.countries.encode(changes.allowed_inbound_country_list ?? []);
  }
  if (changes.allowed_outbound_country_list !== undefined) {
    next.allowed_outbound_countries = numberColumns.countries.encode(changes.allowed_outbound_country_list ?? []);
  }
  next.inbound_webhook_url = pick(changes.inbound_webhook_url, null, current.inbound_webhook_url);
  next.inbound_sms_webhook_url = pick(changes.inbound_sms_webhook_url, null, current.inbound_sms_webhook_url);
  next.fallback_number = pick(changes.fallback_number, null, current.fallback_number);
  next.max_concurrent_calls = pick(changes.max_concurrent_calls, null, current.max_concurrent_calls);
  if (changes.calling_hours !== undefined) {
    next.calling_hours = changes.calling_hours === null ? null : numberColumns.callingHours.encode(changes.calling_hours);
  }
  return next;
}

/** One `phone_number_agents` row per agent bound through any of the four lists, so "numbers of agent X" is an index lookup. */
export function agentRowsOf(row: PhoneNumberRow): PhoneNumberAgentRow[] {
  const ids = new Set<string>();
  for (const name of AGENT_LISTS) {
    for (const entry of numberColumns.agents.decode(row[name])) ids.add(entry.agent_id);
  }
  return [...ids].map((agentId) => ({ phone_number_id: row.id, workspace_id: row.workspace_id, agent_id: agentId }));
}
