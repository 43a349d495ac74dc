import { jsonColumn, type PhoneNumberEventRow } from '../../db/tables.ts';
import { newId } from '../../domain/ids.ts';
import type { Actor } from '../context.ts';
import type { Db } from '../transactions.ts';
import type { Static } from '@sinclair/typebox';
import type { PhoneNumber, PhoneNumberImport } from './model.ts';
import type { NumberEventSchema } from './schema.ts';

/**
 * The audit trail of phone numbers: one event per create, update and delete, with the fields
 * changed and the record before and after, written in the transaction of the change itself.
 *
 * A delete stores the whole record; a create stores the new record without the fields that hold
 * a new record's defaults (`createdPart`); an update stores only what it changed (its changed
 * fields and `updated_at`, before and after), not the wide record twice. The trail is read whole
 * and oldest first, so `eventsOf` rebuilds every event's full before and after: a create's
 * record with its defaults put back, each update laid over the record the events before it left.
 * Events written whole (by earlier versions) read the same way: a whole record simply replaces
 * every field.
 */

/** The record as the audit trail keeps it: no version counter, and no secret (only `has_password`). */
export type AuditedRecord = Omit<PhoneNumber, 'version'>;
/** What an update event stores of each side: the fields it changed (SIP settings one by one) and `updated_at`. */
export type AuditedChange = Partial<Omit<AuditedRecord, 'sip'>> & { sip?: Partial<AuditedRecord['sip']> };
/** What a create event stores: the record without the fields at their defaults, marked with the defaults it left out. */
type CreatedPart = AuditedChange & { [DEFAULTS_MARK]: 1 };

export type NumberEvent = Static<typeof NumberEventSchema>;

const eventColumns = { fields: jsonColumn<string[]>(), record: jsonColumn<AuditedRecord | AuditedChange | CreatedPart>() };

export interface Change {
  action: NumberEvent['action'];
  phoneNumberId: string;
  changed: string[];
  before: PhoneNumber | null;
  after: PhoneNumber | null;
  at: string;
}

/**
 * The event row of one change by `actor`: every writer of the trail (single writes, bulk
 * imports) builds its rows here. An update keeps only its changed fields of each side, a create
 * only the fields of its record that differ from a new record's defaults.
 */
export function eventRow(actor: Actor, change: Change): PhoneNumberEventRow {
  const side = (record: PhoneNumber | null) =>
    record === null
      ? null
      : eventColumns.record.encode(change.action === 'update' ? changedPart(record, change.changed) : change.action === 'create' ? createdPart(record) : audited(record));
  return {
    id: newId(),
    workspace_id: actor.workspaceId,
    phone_number_id: change.phoneNumberId,
    action: change.action,
    actor_key_id: actor.keyId,
    changed_fields: eventColumns.fields.encode(change.changed),
    before: side(change.before),
    after: side(change.after),
    at: change.at,
  };
}

/** The fields of `record` that `changed` names (`sip.auth_password` as `sip.has_password`), and its `updated_at`. */
function changedPart(record: PhoneNumber, changed: readonly string[]): AuditedChange {
  const part: Record<string, unknown> = { updated_at: record.updated_at };
  let sip: Record<string, unknown> | undefined;
  for (const field of changed) {
    if (field.startsWith('sip.')) {
      const name = field === 'sip.auth_password' ? 'has_password' : field.slice(4);
      (sip ??= {})[name] = record.sip[name as keyof PhoneNumber['sip']];
    } else {
      part[field] = record[field as keyof PhoneNumber];
    }
  }
  if (sip) part.sip = sip;
  return part;
}

/**
 * The mark of a create event's record stored without its defaults, and the defaults it left out:
 * every field of the record in the record's order, `undefined` where there is no default (ids,
 * the number and what libphonenumber says of it, timestamps: always stored). Stored events are
 * read with these values, so they are never edited: new defaults would be a mark of their own.
 * The whole record was ≈ 1.2 KB per event, the widest row of a bulk import (BENCHMARKS.md,
 * "Fourth round"); a typical create now stores less than half of it.
 */
const DEFAULTS_MARK = '$defaults';
const CREATE_DEFAULTS_1: Readonly<Record<keyof AuditedRecord, unknown>> = {
  id: undefined,
  workspace_id: undefined,
  phone_number: undefined,
  status: 'active',
  source: 'manual',
  provider_sid: null,
  carrier_id: null,
  purchased: false,
  nickname: null,
  capabilities: { voice: true, sms: false },
  country: undefined,
  region: undefined,
  locality: undefined,
  area_code: undefined,
  number_type: undefined,
  time_zones: undefined,
  phone_number_pretty: undefined,
  sip: { termination_uri: null, outbound_proxy: null, auth_username: null, transport: 'TCP', uac_enabled: false, uac_register_expires: 300, has_password: false },
  inbound_agents: [],
  outbound_agents: [],
  inbound_sms_agents: [],
  outbound_sms_agents: [],
  allowed_inbound_country_list: [],
  allowed_outbound_country_list: [],
  inbound_webhook_url: null,
  inbound_sms_webhook_url: null,
  fallback_number: null,
  max_concurrent_calls: null,
  calling_hours: null,
  error_message: null,
  created_at: undefined,
  updated_at: undefined,
};

/** `record` without its fields at CREATE_DEFAULTS_1 (SIP settings and capabilities one by one), marked. */
function createdPart(record: PhoneNumber): CreatedPart {
  const part: Record<string, unknown> = { [DEFAULTS_MARK]: 1 };
  for (const key in record) {
    if (key === 'version') continue;
    const value = record[key as keyof PhoneNumber];
    const fallback = CREATE_DEFAULTS_1[key as keyof AuditedRecord];
    if (Array.isArray(fallback)) {
      if (!Array.isArray(value) || value.length > 0) part[key] = value;
    } else if (fallback === null || typeof fallback !== 'object' || value === null || typeof value !== 'object') {
      if (value !== fallback) part[key] = value;
    } else {
      // capabilities, sip: only the settings that differ.
      let differing: Record<string, unknown> | undefined;
      for (const [name, setting] of Object.entries(value)) {
        if (setting !== (fallback as Record<string, unknown>)[name]) (differing ??= {})[name] = setting;
      }
      if (differing) part[key] = differing;
    }
  }
  return part as CreatedPart;
}

/** A create's stored record with the defaults it left out put back, in the record's order; any other stored record as it is. */
function withDefaults(stored: AuditedRecord | AuditedChange | CreatedPart): AuditedRecord | AuditedChange {
  if (!(DEFAULTS_MARK in stored)) return stored;
  const { [DEFAULTS_MARK]: _mark, ...part } = stored;
  const record: Record<string, unknown> = {};
  for (const key in CREATE_DEFAULTS_1) {
    const fallback = CREATE_DEFAULTS_1[key as keyof AuditedRecord];
    const value = (part as Record<string, unknown>)[key];
    if (fallback !== null && typeof fallback === 'object' && !Array.isArray(fallback)) record[key] = { ...fallback, ...(value as object | undefined) };
    else if (value !== undefined || key in part) record[key] = value;
    else if (fallback !== undefined) record[key] = Array.isArray(fallback) ? [] : fallback;
  }
  // Fields of a later record shape than these defaults: stored, as they were.
  for (const [key, value] of Object.entries(part)) if (!(key in record)) record[key] = value;
  return record;
}

/** `base` with the fields `part` stores replaced (SIP settings one by one); without a base, `part` as stored. */
function laidOver(base: AuditedRecord | null, part: AuditedRecord | AuditedChange): AuditedRecord {
  if (base === null) return part as AuditedRecord;
  return { ...base, ...part, sip: { ...base.sip, ...part.sip } };
}

/** The trail of one number of the workspace, oldest first. */
export async function eventsOf(db: Db, workspaceId: string, phoneNumberId: string): Promise<NumberEvent[]> {
  const rows = await db
    .selectFrom('phone_number_events as e')
    .leftJoin('api_keys as k', 'k.id', 'e.actor_key_id')
    .selectAll('e')
    .select('k.name as actor_key_name')
    .where('e.workspace_id', '=', workspaceId)
    .where('e.phone_number_id', '=', phoneNumberId)
    .orderBy('e.id', 'asc')
    .execute();
  // The record as the events so far left it: the base each stored update is laid over.
  let current: AuditedRecord | null = null;
  return rows.map((row) => {
    const stored = { before: row.before ? withDefaults(eventColumns.record.decode(row.before)) : null, after: row.after ? withDefaults(eventColumns.record.decode(row.after)) : null };
    let before = stored.before as AuditedRecord | null;
    let after = stored.after as AuditedRecord | null;
    if (row.action === 'update') {
      before = stored.before && laidOver(current, stored.before);
      after = stored.after && laidOver(current, stored.after);
    }
    if (row.action === 'create' || row.action === 'update' || row.action === 'delete') current = after;
    return {
      id: row.id,
      action: row.action as NumberEvent['action'],
      actor_key_id: row.actor_key_id,
      actor_key_name: row.actor_key_name ?? null,
      changed_fields: eventColumns.fields.decode(row.changed_fields),
      before,
      after,
      at: row.at,
    };
  });
}

function audited(record: PhoneNumber): AuditedRecord {
  const { version: _version, ...rest } = record;
  return rest;
}

/** The writable fields an import set (nested SIP settings as `sip.<name>`), for the create event. */
export function givenFields(input: PhoneNumberImport): string[] {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    // `pseudo` says how to read `phone_number`; it is not a field of the record.
    if (value === undefined || key === 'pseudo') continue;
    if (key === 'sip' && value !== null && typeof value === 'object') {
      for (const [sipKey, sipValue] of Object.entries(value)) if (sipValue !== undefined) fields.push(`sip.${sipKey}`);
    } else {
      fields.push(key);
    }
  }
  return fields;
}

/**
 * The fields an update changed (nested SIP settings as `sip.<name>`, a stored password as
 * `sip.auth_password`), in the record's order. `touched`: the only fields that can differ (those
 * the change names; every other one is kept as it was), so the rest are not compared: comparing
 * lists and objects by their JSON was the audit's largest cost in a PATCH.
 */
export function changedFields(before: PhoneNumber, after: PhoneNumber, touched?: ReadonlySet<string>): string[] {
  const changed: string[] = [];
  for (const key of Object.keys(after) as Array<keyof PhoneNumber>) {
    if (key === 'updated_at' || key === 'version' || (touched !== undefined && !touched.has(key))) continue;
    if (key === 'sip') {
      for (const sipKey of Object.keys(after.sip) as Array<keyof PhoneNumber['sip']>) {
        if (sipKey === 'has_password') {
          if (before.sip.has_password !== after.sip.has_password) changed.push('sip.auth_password');
          continue;
        }
        if (differs(before.sip[sipKey], after.sip[sipKey])) changed.push(`sip.${sipKey}`);
      }
    } else if (differs(before[key], after[key])) {
      changed.push(key);
    }
  }
  return changed;
}

/** Scalars compared as they are; lists and objects (agents, calling hours) by their JSON. */
function differs(a: unknown, b: unknown): boolean {
  if (a === b) return false;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return true;
  return JSON.stringify(a) !== JSON.stringify(b);
}
