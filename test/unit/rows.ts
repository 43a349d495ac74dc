import type { AgentWeight, CallingHours } from '../../src/services/phone-numbers/model.ts';
import type { RoutingRow } from '../../src/services/routing/number-index.ts';

export const WORKSPACE = 'ws_unit';

/** The routing fields of a number, as a test states them (lists as values, not JSON). */
export interface NumberFields {
  id: string;
  e164: string;
  workspace?: string;
  version?: number;
  status?: string;
  voice?: boolean;
  sms?: boolean;
  country?: string | null;
  region?: string | null;
  areaCode?: string | null;
  timeZones?: string[];
  inbound?: AgentWeight[];
  outbound?: AgentWeight[];
  inboundSms?: AgentWeight[];
  outboundSms?: AgentWeight[];
  allowedInbound?: string[];
  allowedOutbound?: string[];
  inboundWebhookUrl?: string | null;
  fallbackNumber?: string | null;
  maxConcurrentCalls?: number | null;
  callingHours?: CallingHours | null;
}

/** A stored routing row for the index, with defaults for what a test leaves out (a San Francisco number). */
export function routingRow(fields: NumberFields): RoutingRow {
  return {
    id: fields.id,
    workspace_id: fields.workspace ?? WORKSPACE,
    e164: fields.e164,
    status: fields.status ?? 'active',
    voice: fields.voice === false ? 0 : 1,
    sms: fields.sms === false ? 0 : 1,
    country: fields.country === undefined ? 'US' : fields.country,
    region: fields.region === undefined ? 'California' : fields.region,
    area_code: fields.areaCode === undefined ? '415' : fields.areaCode,
    time_zones: JSON.stringify(fields.timeZones ?? ['America/Los_Angeles']),
    inbound_agents: JSON.stringify(fields.inbound ?? []),
    outbound_agents: JSON.stringify(fields.outbound ?? []),
    inbound_sms_agents: JSON.stringify(fields.inboundSms ?? []),
    outbound_sms_agents: JSON.stringify(fields.outboundSms ?? []),
    allowed_inbound_countries: JSON.stringify(fields.allowedInbound ?? []),
    allowed_outbound_countries: JSON.stringify(fields.allowedOutbound ?? []),
    inbound_webhook_url: fields.inboundWebhookUrl ?? null,
    inbound_sms_webhook_url: null,
    fallback_number: fields.fallbackNumber ?? null,
    max_concurrent_calls: fields.maxConcurrentCalls ?? null,
    calling_hours: fields.callingHours ? JSON.stringify(fields.callingHours) : null,
    version: fields.version ?? 1,
  };
}
