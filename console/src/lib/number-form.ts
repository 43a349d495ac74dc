/**
 * The number editor's form: a record as input text, and back to the PATCH body of only what
 * changed (absent keeps, null clears). Pure, so the rules are unit-tested.
 */
import type { paths, PhoneNumber } from '../../../clients/typescript/index.ts';
import { checkWeights, rowsOf, type WeightRow } from './weights.ts';

export type NumberChanges = NonNullable<paths['/v1/phone-numbers/{id}']['patch']['requestBody']>['content']['application/json'];

export const AGENT_LISTS = ['inbound_agents', 'outbound_agents', 'inbound_sms_agents', 'outbound_sms_agents'] as const;
export type AgentListName = (typeof AGENT_LISTS)[number];

export interface NumberForm {
  nickname: string;
  status: string;
  voice: boolean;
  sms: boolean;
  allowed_inbound_country_list: string;
  allowed_outbound_country_list: string;
  inbound_webhook_url: string;
  inbound_sms_webhook_url: string;
  fallback_number: string;
  max_concurrent_calls: string;
  carrier_id: string;
  hours_enabled: boolean;
  hours_days: number[];
  hours_start: string;
  hours_end: string;
  sip_termination_uri: string;
  sip_outbound_proxy: string;
  sip_auth_username: string;
  sip_transport: string;
  sip_uac_enabled: boolean;
  sip_uac_register_expires: string;
  /** Write-only: empty keeps the stored password. */
  sip_password: string;
  sip_password_remove: boolean;
  agents: Record<AgentListName, WeightRow[]>;
}

export function formOf(number: PhoneNumber): NumberForm {
  return {
    nickname: number.nickname ?? '',
    status: number.status,
    voice: number.capabilities.voice,
    sms: number.capabilities.sms,
    allowed_inbound_country_list: number.allowed_inbound_country_list.join(', '),
    allowed_outbound_country_list: number.allowed_outbound_country_list.join(', '),
    inbound_webhook_url: number.inbound_webhook_url ?? '',
    inbound_sms_webhook_url: number.inbound_sms_webhook_url ?? '',
    fallback_number: number.fallback_number ?? '',
    max_concurrent_calls: number.max_concurrent_calls === null ? '' : String(number.max_concurrent_calls),
    carrier_id: number.carrier_id ?? '',
    hours_enabled: number.calling_hours !== null,
    hours_days: number.calling_hours?.days ?? [1, 2, 3, 4, 5],
    hours_start: number.calling_hours?.start ?? '09:00',
    hours_end: number.calling_hours?.end ?? '18:00',
    sip_termination_uri: number.sip.termination_uri ?? '',
    sip_outbound_proxy: number.sip.outbound_proxy ?? '',
    sip_auth_username: number.sip.auth_username ?? '',
    sip_transport: number.sip.transport,
    sip_uac_enabled: number.sip.uac_enabled,
    sip_uac_register_expires: String(number.sip.uac_register_expires),
    sip_password: '',
    sip_password_remove: false,
    agents: Object.fromEntries(AGENT_LISTS.map((list) => [list, rowsOf(number[list])])) as Record<AgentListName, WeightRow[]>,
  };
}

const textOrNull = (text: string) => (text.trim() === '' ? null : text.trim());
const countries = (text: string) => text.split(/[\s,;]+/).filter(Boolean).map((code) => code.toUpperCase());
/** Empty → null (clears); a whole number; anything else → undefined (refused before sending). */
const integerOrNull = (text: string): number | null | undefined => (text.trim() === '' ? null : /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : undefined);

export interface FormResult {
  changes: NumberChanges;
  /** Agent lists the editor refuses to send, with the reason. */
  refused: Partial<Record<AgentListName, string>>;
  /** Fields (API names) whose text is not what the API takes, with the reason; nothing is sent while any stands. */
  invalid: Record<string, string>;
}

/** What the form changes relative to the record. */
export function changesOf(number: PhoneNumber, form: NumberForm): FormResult {
  const before = formOf(number);
  const changes: Record<string, unknown> = {};
  const refused: FormResult['refused'] = {};
  const invalid: Record<string, string> = {};
  const integer = (field: string, text: string): number | null | undefined => {
    const value = integerOrNull(text);
    if (value === undefined) invalid[field] = 'must be a whole number';
    return value;
  };
  const differs = (name: keyof NumberForm) => JSON.stringify(before[name]) !== JSON.stringify(form[name]);

  if (differs('nickname')) changes.nickname = textOrNull(form.nickname);
  if (differs('status')) changes.status = form.status;
  if (differs('voice') || differs('sms')) changes.capabilities = { voice: form.voice, sms: form.sms };
  if (differs('allowed_inbound_country_list')) changes.allowed_inbound_country_list = countries(form.allowed_inbound_country_list);
  if (differs('allowed_outbound_country_list')) changes.allowed_outbound_country_list = countries(form.allowed_outbound_country_list);
  for (const name of ['inbound_webhook_url', 'inbound_sms_webhook_url', 'fallback_number', 'carrier_id'] as const) {
    if (differs(name)) changes[name] = textOrNull(form[name]);
  }
  if (differs('max_concurrent_calls')) changes.max_concurrent_calls = integer('max_concurrent_calls', form.max_concurrent_calls);
  if (['hours_enabled', 'hours_days', 'hours_start', 'hours_end'].some((name) => differs(name as keyof NumberForm))) {
    changes.calling_hours = form.hours_enabled ? { days: [...form.hours_days].sort(), start: form.hours_start, end: form.hours_end } : null;
  }

  const sip: Record<string, unknown> = {};
  if (differs('sip_termination_uri')) sip.termination_uri = textOrNull(form.sip_termination_uri);
  if (differs('sip_outbound_proxy')) sip.outbound_proxy = textOrNull(form.sip_outbound_proxy);
  if (differs('sip_auth_username')) sip.auth_username = textOrNull(form.sip_auth_username);
  if (differs('sip_transport')) sip.transport = form.sip_transport;
  if (differs('sip_uac_enabled')) sip.uac_enabled = form.sip_uac_enabled;
  if (differs('sip_uac_register_expires')) sip.uac_register_expires = integer('sip.uac_register_expires', form.sip_uac_register_expires);
  if (form.sip_password_remove) sip.auth_password = null;
  else if (form.sip_password !== '') sip.auth_password = form.sip_password;
  if (Object.keys(sip).length > 0) changes.sip = sip;

  for (const list of AGENT_LISTS) {
    if (JSON.stringify(before.agents[list]) === JSON.stringify(form.agents[list])) continue;
    const check = checkWeights(form.agents[list]);
    if (check.list === null) refused[list] = check.errors.list ?? 'fix the highlighted agents first';
    else changes[list] = check.list;
  }
  return { changes: changes as NumberChanges, refused, invalid };
}

/** The API's message for a field or anything inside it (`sip` → `sip.transport`, `inbound_agents` → `inbound_agents[0].weight`). */
export function errorFor(errors: Record<string, string>, field: string): string | undefined {
  if (errors[field]) return errors[field];
  const inner = Object.keys(errors).find((name) => name.startsWith(`${field}.`) || name.startsWith(`${field}[`));
  return inner ? `${inner}: ${errors[inner]}` : undefined;
}
