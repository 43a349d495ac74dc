import type { Static } from '@sinclair/typebox';
import { ForbiddenError, ValidationError, type FieldIssue } from '../../services/errors.ts';
import type { PhoneNumber, PhoneNumberChanges, SipInput } from '../../services/phone-numbers/model.ts';
import type { FieldNames } from '../dialect.ts';
import type { CreateBody, UpdateBody } from './schemas.ts';
import { GENERATED_PROVIDERS, PROVIDER_TO_SOURCE, type ProviderName } from './wire.ts';

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

function checkProvider(provider: ProviderName | undefined): void {
  if (provider && (GENERATED_PROVIDERS as readonly string[]).includes(provider)) {
    throw new ForbiddenError(
      `provider_name: importing ${provider} numbers is not enabled; Switchboard cannot generate their SIP settings. Use "custom" with your termination_uri`,
    );
  }
}

function sourceOf(provider: ProviderName | undefined) {
  return provider ? PROVIDER_TO_SOURCE[provider as keyof typeof PROVIDER_TO_SOURCE] : undefined;
}

/** Synthflow's create body as core changes, with the rules that span several of its fields. */
export function createChanges(body: CreateInput): PhoneNumberChanges & { phone_number: string } {
  checkProvider(body.provider_name);
  const issues: FieldIssue[] = [];
  const username = oneValue(issues, ['trunk_username', 'sip_auth_username'], [body.trunk_username, body.sip_auth_username]);
  if (body.uac_enabled) {
    if (username === undefined) issues.push({ field: 'trunk_username', message: 'is required when uac_enabled is true' });
    if (body.trunk_pwd === undefined) issues.push({ field: 'trunk_pwd', message: 'is required when uac_enabled is true' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  const sip: SipInput = { termination_uri: body.termination_uri };
  if (body.sip_outbound_proxy !== undefined) sip.outbound_proxy = body.sip_outbound_proxy;
  if (username !== undefined) sip.auth_username = username;
  if (body.trunk_pwd !== undefined) sip.auth_password = body.trunk_pwd;
  if (body.uac_enabled !== undefined) sip.uac_enabled = body.uac_enabled;
  if (body.uac_register_expires !== undefined) sip.uac_register_expires = body.uac_register_expires;
  return {
    phone_number: body.phone_number,
    source: sourceOf(body.provider_name) ?? 'custom',
    ...(body.friendly_name !== undefined && body.friendly_name !== '' ? { nickname: body.friendly_name } : {}),
    sip,
  };
}

/** Synthflow's partial update as core changes, checked against the current record where its rules need it. */
export function updateChanges(body: UpdateInput, current: PhoneNumber): { changes: PhoneNumberChanges; names: FieldNames } {
  checkProvider(body.provider_name);
  const issues: FieldIssue[] = [];
  const termination = oneValue(issues, ['sip_term_uri', 'termination_uri'], [body.sip_term_uri, body.termination_uri]);
  const username = oneValue(issues, ['trunk_username', 'sip_auth_username'], [body.trunk_username, body.sip_auth_username]);
  const terminationAfter = termination === undefined ? current.sip.termination_uri : termination;
  if (terminationAfter === null && (body.provider_name !== undefined || termination === null)) {
    issues.push({
      field: body.sip_term_uri !== undefined || body.termination_uri === undefined ? 'sip_term_uri' : 'termination_uri',
      message: `is required for provider ${body.provider_name ?? providerLabel(current)}: every provider Switchboard accepts needs a SIP termination URI`,
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

function providerLabel(record: PhoneNumber): string {
  return record.source === 'manual' ? 'custom' : record.source;
}
