import type { Static } from '@sinclair/typebox';
import type { AgentWeightSchema, CallingHoursSchema } from '../schemas.ts';
import type { PhoneNumberChangesSchema, PhoneNumberImportSchema, PhoneNumberSchema, SipInputSchema } from './schema.ts';

/**
 * The core model of a phone number. Its shapes are derived from the TypeBox schemas in
 * schema.ts (what the transports validate and document), so the two cannot drift apart.
 */

/** An agent's share of a binding list; `agent_version` is a number or a reference (`latest`, a tag), stored as given. */
export type AgentWeight = Static<typeof AgentWeightSchema>;

export const AGENT_LISTS = ['inbound_agents', 'outbound_agents', 'inbound_sms_agents', 'outbound_sms_agents'] as const;
export type AgentListName = (typeof AGENT_LISTS)[number];

export const NUMBER_STATUSES = ['pending', 'active', 'failed', 'inactive'] as const;
export type NumberStatus = (typeof NUMBER_STATUSES)[number] | 'deleted';

/**
 * Where a number comes from: a carrier, a SIP platform Synthflow names (`ring_central`, `ringcx`,
 * `zoom`, `five9`, `8x8`), a `custom` SIP trunk, a `manual` entry, or the operator's stock of no
 * named carrier (`inventory`). Whether it was bought or imported is the record's `purchased`.
 */
export const NUMBER_SOURCES = [
  'twilio', 'telnyx', 'vonage', 'plivo', 'bandwidth', 'signalwire', 'ring_central', 'ringcx', 'zoom', 'five9', '8x8', 'custom', 'manual', 'inventory',
] as const;
export type NumberSource = (typeof NUMBER_SOURCES)[number];

/**
 * When outbound calls may be placed from a number (or a pool), in the callee's local time.
 * `days` are ISO weekdays (1 = Monday … 7 = Sunday); `start` < `end`, `HH:MM`, `end` may be `24:00`.
 */
export type CallingHours = Static<typeof CallingHoursSchema>;

export const SIP_TRANSPORTS = ['TLS', 'TCP', 'UDP'] as const;
export type SipTransport = (typeof SIP_TRANSPORTS)[number];

/** The core record, as every transport sees it (the native API returns it as is, its version as the ETag). */
export interface PhoneNumber extends Static<typeof PhoneNumberSchema> {
  /** Increases on every change; the ETag. */
  version: number;
}

/** A number's SIP trunk settings; `has_password` says whether a password is stored (it never leaves the store). */
export type SipSettings = PhoneNumber['sip'];

/** SIP settings as written: absent keeps, null clears; the password is write-only. */
export type SipInput = Static<typeof SipInputSchema>;

/** Writable fields. On import an absent field takes its default; on update absent keeps and null clears. */
export type PhoneNumberChanges = Static<typeof PhoneNumberChangesSchema>;

export type PhoneNumberImport = Static<typeof PhoneNumberImportSchema>;

export const SIP_DEFAULTS = { transport: 'TCP' as SipTransport, uac_enabled: false, uac_register_expires: 300 };
