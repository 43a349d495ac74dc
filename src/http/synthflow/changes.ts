import type { Static } from '@sinclair/typebox';
import { canonicalE164, isPseudoShape, isValidNumber } from '../../domain/phone.ts';
import { ValidationError, type FieldIssue } from '../../services/errors.ts';
import type { PhoneNumber, PhoneNumberChanges, SipInput } from '../../services/phone-numbers/model.ts';
import type { FieldNames } from '../dialect.ts';
import type { CreateBody, UpdateBody } from './schemas.ts';
import { SYNTHFLOW_PROVIDER_SOURCES, synthflowProviderName, type SynthflowProviderName } from '../origins.ts';

/**
 * Synthflow's create and update bodies as core changes. Its rules that span several of its own
 * fields (two aliases for one stored value, REGISTER needing credentials) are checked here; every
 * other rule is the phone-number service's.
 */

/** Core field → the name a create request uses for it. */
export const CREATE_FIELDS: FieldNames = {
  nickname: 'friendly_name',
  source: 'provider_name',
  'sip.termination_uri': 'termination_uri',
  'sip.outbound_proxy': 'sip_outbound_proxy',
  'sip.auth_username': 'trunk_username',
  'sip.auth_password': 'trunk_pwd',
  'sip.uac_enabled': 'uac_enabled',
  'sip.uac_register_expires': 'uac_register_expires',
};

type CreateInput = Static<typeof CreateBody>;
type UpdateInput = Static<typeof UpdateBody>;

/** Two names for one stored value must agree (Switchboard keeps one of each). */
function oneValue<T>(issues: FieldIssue[], names: [string, string], values: [T | undefined, T | undefined]): T | undefined {
  const [first, second] = values;
  if (first !== undefined && second !== undefined && first !== second) {
    issues.push({ field: names[1], message: `must equal ${names[0]} when both are sent: Switchboard keeps one value for both` });
  }
  return first !== undefined ? first : second;
}

/**
 * The SIP settings Synthflow fills itself for a provider's numbers, where its documentation
 * gives them (Zoom: docs.synthflow.ai/zoom). Five9, RingCX and 8x8 are filled by Synthflow too,
 * but with values it does not publish: they need `termination_uri` here.
 */
const GENERATED_SIP: Partial<Record<SynthflowProviderName, { termination_uri: string; outbound_proxy: string }>> = {
  zoom: { termination_uri: '156.45.35.193', outbound_proxy: '156.45.35.193:5061;transport=tls' },
};

function sourceOf(provider: SynthflowProviderName | undefined) {
  return provider ? SYNTHFLOW_PROVIDER_SOURCES[provider] : undefined;
}

/**
 * Synthflow's custom numbers take "your internal id or a random string" as well as E.164: what is
 * not a valid number (with or without `+`) but has a pseudo number's shape is one, kept exactly.
 */
function isSynthflowPseudo(phoneNumber: string): boolean {
  const e164 = canonicalE164(phoneNumber);
  return isPseudoShape(phoneNumber) && (e164 === null || !isValidNumber(e164));
}

/** Synthflow's create body as core changes, with the rules that span several of its fields. */
export function createChanges(body: CreateInput): PhoneNumberChanges & { phone_number: string; pseudo: boolean } {
  const issues: FieldIssue[] = [];
  const generated = body.provider_name ? GENERATED_SIP[body.provider_name] : undefined;
  const termination = body.termination_uri ?? generated?.termination_uri;
  if (termination === undefined) {
    issues.push({ field: 'termination_uri', message: `is required for provider ${body.provider_name ?? 'custom'}: the SIP domain outbound calls go to` });
  }
  const username = oneValue(issues, ['trunk_username', 'sip_auth_username'], [body.trunk_username, body.sip_auth_username]);
  if (body.uac_enabled) {
    if (username === undefined) issues.push({ field: 'trunk_username', message: 'is required when uac_enabled is true' });
    if (body.trunk_pwd === undefined) issues.push({ field: 'trunk_pwd', message: 'is required when uac_enabled is true' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  const sip: SipInput = { termination_uri: termination! };
  const proxy = body.sip_outbound_proxy ?? (body.termination_uri === undefined ? generated?.outbound_proxy : undefined);
  if (proxy !== undefined) sip.outbound_proxy = proxy;
  if (username !== undefined) sip.auth_username = username;
  if (body.trunk_pwd !== undefined) sip.auth_password = body.trunk_pwd;
  if (body.uac_enabled !== undefined) sip.uac_enabled = body.uac_enabled;
  if (body.uac_register_expires !== undefined) sip.uac_register_expires = body.uac_register_expires;
  return {
    phone_number: body.phone_number,
    pseudo: isSynthflowPseudo(body.phone_number),
    source: sourceOf(body.provider_name) ?? 'custom',
    ...(body.friendly_name !== undefined && body.friendly_name !== '' ? { nickname: body.friendly_name } : {}),
    sip,
  };
}

/** Synthflow's partial update as core changes, checked against the current record where its rules need it. */
export function updateChanges(body: UpdateInput, current: PhoneNumber): { changes: PhoneNumberChanges; names: FieldNames } {
  const issues: FieldIssue[] = [];
  const sent = oneValue(issues, ['sip_term_uri', 'termination_uri'], [body.sip_term_uri, body.termination_uri]);
  // Switching to a provider whose domain Synthflow fills fills it when none is stored or sent.
  const generated = body.provider_name ? GENERATED_SIP[body.provider_name] : undefined;
  const termination = sent === undefined && current.sip.termination_uri === null && generated ? generated.termination_uri : sent;
  const username = oneValue(issues, ['trunk_username', 'sip_auth_username'], [body.trunk_username, body.sip_auth_username]);
  const terminationAfter = termination === undefined ? current.sip.termination_uri : termination;
  if (terminationAfter === null && (body.provider_name !== undefined || termination === null)) {
    issues.push({
      field: body.sip_term_uri !== undefined || body.termination_uri === undefined ? 'sip_term_uri' : 'termination_uri',
      message: `is required for provider ${body.provider_name ?? synthflowProviderName(current.source)}: the SIP domain outbound calls go to`,
    });
  }
  // Checked when REGISTER is being turned on, or stays on while its credentials are being cleared.
  const uacAfter = body.uac_enabled ?? current.sip.uac_enabled;
  if (body.uac_enabled === true || (uacAfter && (username === null || body.trunk_pwd === null))) {
    const usernameAfter = username === undefined ? current.sip.auth_username : username;
    const hasPassword = body.trunk_pwd === undefined ? current.sip.has_password : body.trunk_pwd !== null;
    if (usernameAfter === null) issues.push({ field: 'trunk_username', message: 'is required when uac_enabled is true' });
    if (!hasPassword) issues.push({ field: 'trunk_pwd', message: 'is required when uac_enabled is true' });
  }
  if (issues.length > 0) throw new ValidationError(issues);

  const sip: SipInput = {};
  if (termination !== undefined) sip.termination_uri = termination;
  if (body.sip_outbound_proxy !== undefined) sip.outbound_proxy = body.sip_outbound_proxy;
  if (username !== undefined) sip.auth_username = username;
  if (body.trunk_pwd !== undefined) sip.auth_password = body.trunk_pwd;
  if (body.uac_enabled !== undefined) sip.uac_enabled = body.uac_enabled;
  if (body.uac_register_expires !== undefined) sip.uac_register_expires = body.uac_register_expires;
  const changes: PhoneNumberChanges = {};
  if (body.friendly_name !== undefined) changes.nickname = body.friendly_name === '' ? null : body.friendly_name;
  const source = sourceOf(body.provider_name);
  if (source) changes.source = source;
  if (Object.keys(sip).length > 0) changes.sip = sip;
  const names = {
    ...CREATE_FIELDS,
    'sip.termination_uri': body.sip_term_uri !== undefined || body.termination_uri === undefined ? 'sip_term_uri' : 'termination_uri',
    'sip.auth_username': body.trunk_username !== undefined || body.sip_auth_username === undefined ? 'trunk_username' : 'sip_auth_username',
  };
  return { changes, names };
}
