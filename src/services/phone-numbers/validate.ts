import { isId } from '../../domain/ids.ts';
import { canonicalE164, isCountryCode, isPseudoShape, isValidNumber, PSEUDO_NUMBER_RULE } from '../../domain/phone.ts';
import type { FieldIssue } from '../errors.ts';
import { ValidationError } from '../errors.ts';
import {
  AGENT_LISTS,
  NUMBER_SOURCES,
  NUMBER_STATUSES,
  SIP_TRANSPORTS,
  type AgentWeight,
  type CallingHours,
  type PhoneNumberChanges,
} from './model.ts';

export const WEIGHT_TOLERANCE = 1e-6;
export const MAX_AGENTS_PER_LIST = 100;
export const REGISTER_EXPIRES = { min: 60, max: 3600 };

/**
 * Semantic rules shared by every dialect. Shape and type checks happen earlier, in each
 * transport's request schema; these are the rules a schema cannot express.
 */
export class IssueCollector {
  readonly issues: FieldIssue[] = [];

  add(field: string, message: string): void {
    this.issues.push({ field, message });
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new ValidationError(this.issues);
  }
}

export function validatePhoneNumberField(
  issues: IssueCollector,
  field: string,
  value: string,
  { requireValid }: { requireValid: boolean },
): string | null {
  const e164 = canonicalE164(value);
  if (!e164) {
    issues.add(field, 'must be an E.164 phone number: "+", country code and up to 15 digits');
    return null;
  }
  if (requireValid && !isValidNumber(e164)) {
    issues.add(field, `${e164} is not a valid phone number for any country (libphonenumber)`);
    return null;
  }
  return e164;
}

/** A pseudo number, kept exactly as given; one shaped like a record id would be ambiguous in `/v1/phone-numbers/{id-or-number}`. */
export function validatePseudoNumberField(issues: IssueCollector, field: string, value: string): string | null {
  if (!isPseudoShape(value)) {
    issues.add(field, `a pseudo number must be ${PSEUDO_NUMBER_RULE}`);
    return null;
  }
  if (isId(value)) {
    issues.add(field, 'a pseudo number must not have the shape of a record id (UUID)');
    return null;
  }
  return value;
}

export function validateAgentList(issues: IssueCollector, field: string, list: AgentWeight[]): void {
  if (list.length > MAX_AGENTS_PER_LIST) {
    issues.add(field, `must have at most ${MAX_AGENTS_PER_LIST} agents`);
    return;
  }
  if (list.length === 0) return;
  const seen = new Set<string>();
  let total = 0;
  list.forEach((entry, index) => {
    if (entry.agent_id.trim() === '') issues.add(`${field}[${index}].agent_id`, 'must not be empty');
    if (seen.has(entry.agent_id)) {
      issues.add(`${field}[${index}].agent_id`, `agent ${entry.agent_id} appears more than once in the list`);
    }
    seen.add(entry.agent_id);
    if (!Number.isFinite(entry.weight) || entry.weight <= 0) {
      issues.add(`${field}[${index}].weight`, 'must be a number greater than 0');
    } else {
      total += entry.weight;
    }
    const version = entry.agent_version;
    if (typeof version === 'number' && (!Number.isInteger(version) || version < 0)) {
      issues.add(`${field}[${index}].agent_version`, 'must be a non-negative integer or a string reference');
    }
    if (typeof version === 'string' && (version.trim() === '' || version.length > 64)) {
      issues.add(`${field}[${index}].agent_version`, 'must be 1 to 64 characters');
    }
  });
  if (issues.issues.every((issue) => !issue.field.startsWith(`${field}[`)) && Math.abs(total - 1) > WEIGHT_TOLERANCE) {
    issues.add(field, `weights must sum to 1 (within ${WEIGHT_TOLERANCE}); they sum to ${total}`);
  }
}

export function validateCountryList(issues: IssueCollector, field: string, list: string[]): string[] {
  list.forEach((code, index) => {
    if (!isCountryCode(code)) issues.add(`${field}[${index}]`, `${JSON.stringify(code)} is not an ISO 3166-1 alpha-2 country code (e.g. "US")`);
  });
  return [...new Set(list)];
}

export function validateUrl(issues: IssueCollector, field: string, value: string): void {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    issues.add(field, 'must be an absolute http(s) URL');
  } else if (value.length > 2048) {
    issues.add(field, 'must be at most 2048 characters');
  }
}

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/**
 * A SIP target as trunks and proxies are written: a host name, IPv4 or [IPv6] address with an
 * optional port, optionally as a `sip:`/`sips:` URI with a user part and `;parameters`.
 */
const SIP_TARGET = new RegExp(
  `^(?:sips?:)?(?:[^@\\s:;/]+@)?(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*\\.?|\\d{1,3}(?:\\.\\d{1,3}){3}|\\[[0-9A-Fa-f:.]+\\])(?::(\\d{1,5}))?(?:;[A-Za-z0-9_.!~*'()%+-]+(?:=[A-Za-z0-9_.!~*'()%+:-]+)?)*$`,
  'i',
);

export function validateSipTarget(issues: IssueCollector, field: string, value: string | null | undefined): void {
  if (typeof value !== 'string') return;
  const match = SIP_TARGET.exec(value);
  const port = match?.[1] === undefined ? 5060 : Number(match[1]);
  if (!match || port < 1 || port > 65535) {
    issues.add(field, 'must be a SIP host name or address with an optional port, e.g. "trunk.example.com", "sip:trunk.example.com:5061" or "203.0.113.7"');
  }
}

export const MAX_CONCURRENT_CALLS_LIMIT = 1_000_000;
const CLOCK_TIME = /^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/;

/** Minutes after midnight of `HH:MM` (`24:00` = 1440), or null when it is not such a time. */
export function minutesOfDay(value: string): number | null {
  const match = CLOCK_TIME.exec(value);
  if (!match) return null;
  return match[3] ? 1440 : Number(match[1]) * 60 + Number(match[2]);
}

export function validateCallingHours(issues: IssueCollector, field: string, hours: CallingHours): CallingHours {
  const days = [...new Set(hours.days)].sort((a, b) => a - b);
  if (days.length === 0) issues.add(`${field}.days`, 'must name at least one ISO weekday (1 = Monday … 7 = Sunday)');
  hours.days.forEach((day, index) => {
    if (!Number.isInteger(day) || day < 1 || day > 7) issues.add(`${field}.days[${index}]`, 'must be an ISO weekday from 1 (Monday) to 7 (Sunday)');
  });
  const start = minutesOfDay(hours.start);
  const end = minutesOfDay(hours.end);
  if (start === null || start === 1440) issues.add(`${field}.start`, 'must be a time of day HH:MM from 00:00 to 23:59');
  if (end === null) issues.add(`${field}.end`, 'must be a time of day HH:MM from 00:01 to 24:00');
  if (start !== null && end !== null && start >= end) issues.add(`${field}.end`, 'must be later than start (windows do not cross midnight)');
  return { days, start: hours.start, end: hours.end };
}

export function validateMaxConcurrentCalls(issues: IssueCollector, field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_CONCURRENT_CALLS_LIMIT) {
    issues.add(field, `must be an integer from 1 to ${MAX_CONCURRENT_CALLS_LIMIT} (null = unlimited)`);
  }
}

function checkLength(issues: IssueCollector, field: string, value: string | null | undefined, max: number): void {
  if (typeof value === 'string') {
    if (value.length > max) issues.add(field, `must be at most ${max} characters`);
    if (/[\u0000-\u001f]/.test(value)) issues.add(field, 'must not contain control characters');
  }
}

/**
 * Checks every rule that depends only on the values themselves (not on other records).
 * Returns the normalised values: canonical fallback number, de-duplicated country lists.
 */
export function validateChanges(issues: IssueCollector, changes: PhoneNumberChanges): PhoneNumberChanges {
  const out: PhoneNumberChanges = { ...changes };
  if (changes.status != null && !(NUMBER_STATUSES as readonly string[]).includes(changes.status)) {
    issues.add('status', `must be one of ${NUMBER_STATUSES.join(', ')}`);
  }
  if (changes.source != null && !(NUMBER_SOURCES as readonly string[]).includes(changes.source)) {
    issues.add('source', `must be one of ${NUMBER_SOURCES.join(', ')}`);
  }
  checkLength(issues, 'nickname', changes.nickname, 255);
  checkLength(issues, 'provider_sid', changes.provider_sid, 128);
  checkLength(issues, 'error_message', changes.error_message, 1000);
  const sip = changes.sip;
  if (sip) {
    checkLength(issues, 'sip.termination_uri', sip.termination_uri, 255);
    checkLength(issues, 'sip.outbound_proxy', sip.outbound_proxy, 255);
    // One issue per field: a value already refused for its length or characters is not parsed further.
    for (const field of ['termination_uri', 'outbound_proxy'] as const) {
      if (!issues.issues.some((issue) => issue.field === `sip.${field}`)) validateSipTarget(issues, `sip.${field}`, sip[field]);
    }
    checkLength(issues, 'sip.auth_username', sip.auth_username, 255);
    checkLength(issues, 'sip.auth_password', sip.auth_password, 255);
    if (sip.transport != null && !(SIP_TRANSPORTS as readonly string[]).includes(sip.transport)) {
      issues.add('sip.transport', `must be one of ${SIP_TRANSPORTS.join(', ')}`);
    }
    const expires = sip.uac_register_expires;
    if (expires != null && (!Number.isInteger(expires) || expires < REGISTER_EXPIRES.min || expires > REGISTER_EXPIRES.max)) {
      issues.add('sip.uac_register_expires', `must be an integer from ${REGISTER_EXPIRES.min} to ${REGISTER_EXPIRES.max} seconds`);
    }
  }
  for (const name of AGENT_LISTS) {
    const list = changes[name];
    if (list) validateAgentList(issues, name, list);
  }
  if (changes.allowed_inbound_country_list) {
    out.allowed_inbound_country_list = validateCountryList(issues, 'allowed_inbound_country_list', changes.allowed_inbound_country_list);
  }
  if (changes.allowed_outbound_country_list) {
    out.allowed_outbound_country_list = validateCountryList(issues, 'allowed_outbound_country_list', changes.allowed_outbound_country_list);
  }
  if (changes.inbound_webhook_url != null) validateUrl(issues, 'inbound_webhook_url', changes.inbound_webhook_url);
  if (changes.inbound_sms_webhook_url != null) validateUrl(issues, 'inbound_sms_webhook_url', changes.inbound_sms_webhook_url);
  if (changes.fallback_number != null) {
    out.fallback_number = validatePhoneNumberField(issues, 'fallback_number', changes.fallback_number, { requireValid: false });
  }
  if (changes.max_concurrent_calls != null) validateMaxConcurrentCalls(issues, 'max_concurrent_calls', changes.max_concurrent_calls);
  if (changes.calling_hours != null) out.calling_hours = validateCallingHours(issues, 'calling_hours', changes.calling_hours);
  return out;
}
