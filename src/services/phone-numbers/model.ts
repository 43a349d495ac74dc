import type { PhoneNumberRow } from '../../db/tables.ts';

export interface AgentWeight {
  agent_id: string;
  weight: number;
  /** A version number, or a reference such as `latest`, `latest_published` or a tag; stored as given. */
  agent_version?: number | string;
}

export const AGENT_LISTS = ['inbound_agents', 'outbound_agents', 'inbound_sms_agents', 'outbound_sms_agents'] as const;
export type AgentListName = (typeof AGENT_LISTS)[number];

export const NUMBER_STATUSES = ['pending', 'active', 'failed', 'inactive'] as const;
export type NumberStatus = (typeof NUMBER_STATUSES)[number] | 'deleted';

export const NUMBER_SOURCES = ['twilio', 'telnyx', 'vonage', 'plivo', 'bandwidth', 'signalwire', 'custom', 'manual', 'inventory'] as const;
export type NumberSource = (typeof NUMBER_SOURCES)[number];

/**
 * When outbound calls may be placed from a number (or a pool), in the callee's local time.
 * `days` are ISO weekdays (1 = Monday … 7 = Sunday); `start` < `end`, `HH:MM`, `end` may be `24:00`.
 */
export interface CallingHours {
  days: number[];
  start: string;
  end: string;
}

export const SIP_TRANSPORTS = ['TLS', 'TCP', 'UDP'] as const;
export type SipTransport = (typeof SIP_TRANSPORTS)[number];

export interface SipSettings {
  termination_uri: string | null;
  outbound_proxy: string | null;
  auth_username: string | null;
  transport: SipTransport;
  uac_enabled: boolean;
  uac_register_expires: number;
  /** Whether a password is stored; the password itself never leaves the store. */
  has_password: boolean;
}

/** The core record, as every transport sees it (the native API returns it as is). */
export interface PhoneNumber {
  id: string;
  workspace_id: string;
  phone_number: string;
  status: NumberStatus;
  source: NumberSource;
  provider_sid: string | null;
  carrier_id: string | null;
  nickname: string | null;
  capabilities: { voice: boolean; sms: boolean };
  country: string | null;
  region: string | null;
  locality: string | null;
  area_code: string | null;
  number_type: string | null;
  time_zones: string[];
  phone_number_pretty: string;
  sip: SipSettings;
  inbound_agents: AgentWeight[];
  outbound_agents: AgentWeight[];
  inbound_sms_agents: AgentWeight[];
  outbound_sms_agents: AgentWeight[];
  allowed_inbound_country_list: string[];
  allowed_outbound_country_list: string[];
  inbound_webhook_url: string | null;
  inbound_sms_webhook_url: string | null;
  fallback_number: string | null;
  /** Most simultaneous calls (inbound + outbound) on this number; null = unlimited. */
  max_concurrent_calls: number | null;
  /** Outbound calling window in the callee's time zone; null = any time. */
  calling_hours: CallingHours | null;
  error_message: string | null;
  created_at: string;
  updated_at: string;
  /** Increases on every change; the ETag. */
  version: number;
}

export interface SipInput {
  termination_uri?: string | null;
  outbound_proxy?: string | null;
  auth_username?: string | null;
  /** Write-only. */
  auth_password?: string | null;
  transport?: SipTransport | null;
  uac_enabled?: boolean | null;
  uac_register_expires?: number | null;
}

/** Writable fields. On import an absent field takes its default; on update absent keeps and null clears. */
export interface PhoneNumberChanges {
  status?: (typeof NUMBER_STATUSES)[number] | null;
  source?: NumberSource | null;
  provider_sid?: string | null;
  carrier_id?: string | null;
  nickname?: string | null;
  capabilities?: { voice?: boolean | null; sms?: boolean | null } | null;
  sip?: SipInput | null;
  inbound_agents?: AgentWeight[] | null;
  outbound_agents?: AgentWeight[] | null;
  inbound_sms_agents?: AgentWeight[] | null;
  outbound_sms_agents?: AgentWeight[] | null;
  allowed_inbound_country_list?: string[] | null;
  allowed_outbound_country_list?: string[] | null;
  inbound_webhook_url?: string | null;
  inbound_sms_webhook_url?: string | null;
  fallback_number?: string | null;
  max_concurrent_calls?: number | null;
  calling_hours?: CallingHours | null;
  error_message?: string | null;
}

export interface PhoneNumberImport extends PhoneNumberChanges {
  phone_number: string;
}

export const SIP_DEFAULTS = { transport: 'TCP' as SipTransport, uac_enabled: false, uac_register_expires: 300 };

export function rowToPhoneNumber(row: PhoneNumberRow): PhoneNumber {
  return {
    id: row.id,
    workspace_id: row.workspace_id,
    phone_number: row.e164,
    status: row.status as NumberStatus,
    source: row.source as NumberSource,
    provider_sid: row.provider_sid,
    carrier_id: row.carrier_id,
    nickname: row.nickname,
    capabilities: { voice: row.voice === 1, sms: row.sms === 1 },
    country: row.country,
    region: row.region,
    locality: row.locality,
    area_code: row.area_code,
    number_type: row.number_type,
    time_zones: JSON.parse(row.time_zones) as string[],
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
    inbound_agents: JSON.parse(row.inbound_agents) as AgentWeight[],
    outbound_agents: JSON.parse(row.outbound_agents) as AgentWeight[],
    inbound_sms_agents: JSON.parse(row.inbound_sms_agents) as AgentWeight[],
    outbound_sms_agents: JSON.parse(row.outbound_sms_agents) as AgentWeight[],
    allowed_inbound_country_list: JSON.parse(row.allowed_inbound_countries) as string[],
    allowed_outbound_country_list: JSON.parse(row.allowed_outbound_countries) as string[],
    inbound_webhook_url: row.inbound_webhook_url,
    inbound_sms_webhook_url: row.inbound_sms_webhook_url,
    fallback_number: row.fallback_number,
    max_concurrent_calls: row.max_concurrent_calls ?? null,
    calling_hours: row.calling_hours ? (JSON.parse(row.calling_hours) as CallingHours) : null,
    error_message: row.error_message,
    created_at: row.created_at,
    updated_at: row.updated_at,
    version: row.version,
  };
}
