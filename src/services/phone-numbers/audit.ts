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
 */

/** The record as the audit trail keeps it: no version counter, and no secret (only `has_password`). */
export type AuditedRecord = Omit<PhoneNumber, 'version'>;

export type NumberEvent = Static<typeof NumberEventSchema>;

const eventColumns = { fields: jsonColumn<string[]>(), record: jsonColumn<AuditedRecord>() };

export interface Change {
  action: NumberEvent['action'];
  phoneNumberId: string;
  changed: string[];
  before: PhoneNumber | null;
  after: PhoneNumber | null;
  at: string;
}

/** The event row of one change by `actor`. */
export function eventRow(actor: Actor, change: Change): PhoneNumberEventRow {
  return {
    id: newId(),
    workspace_id: actor.workspaceId,
    phone_number_id: change.phoneNumberId,
    action: change.action,
    actor_key_id: actor.keyId,
    changed_fields: eventColumns.fields.encode(change.changed),
    before: change.before ? eventColumns.record.encode(audited(change.before)) : null,
    after: change.after ? eventColumns.record.encode(audited(change.after)) : null,
    at: change.at,
  };
}

export async function recordEvent(trx: Db, actor: Actor, change: Change): Promise<void> {
  await trx.insertInto('phone_number_events').values(eventRow(actor, change)).execute();
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
  return rows.map((row) => ({
    id: row.id,
    action: row.action as NumberEvent['action'],
    actor_key_id: row.actor_key_id,
    actor_key_name: row.actor_key_name ?? null,
    changed_fields: eventColumns.fields.decode(row.changed_fields),
    before: row.before ? eventColumns.record.decode(row.before) : null,
    after: row.after ? eventColumns.record.decode(row.after) : null,
    at: row.at,
  }));
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

/** The fields an update changed (nested SIP settings as `sip.<name>`, a stored password as `sip.auth_password`). */
export function changedFields(before: PhoneNumber, after: PhoneNumber): string[] {
  const changed: string[] = [];
  for (const key of Object.keys(after) as Array<keyof PhoneNumber>) {
    if (key === 'updated_at' || key === 'version') continue;
    if (key === 'sip') {
      for (const sipKey of Object.keys(after.sip) as Array<keyof PhoneNumber['sip']>) {
        if (sipKey === 'has_password') {
          if (before.sip.has_password !== after.sip.has_password) changed.push('sip.auth_password');
          continue;
        }
        if (JSON.stringify(before.sip[sipKey]) !== JSON.stringify(after.sip[sipKey])) changed.push(`sip.${sipKey}`);
      }
    } else if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      changed.push(key);
    }
  }
  return changed;
}
