import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { CallLeaseRow, Tables } from '../../db/tables.ts';
import { notifyingWrite, type NoticeSigner } from '../transactions.ts';

export type CapacityRule = 'number_capacity' | 'workspace_capacity';

/** Which caps a slot must fit under (the router's view of the number and its workspace). */
export interface Caps {
  number: boolean;
  workspace: boolean;
}

export interface SlotRequest {
  workspaceId: string;
  callId: string;
  numberId: string;
  direction: 'inbound' | 'outbound';
  nowMs: number;
  expiresMs: number;
  caps: Caps;
}

export type SlotOutcome =
  /** The call holds its slot until `row.expires_at` (taken now, or renewed). */
  | { kind: 'held'; row: CallLeaseRow }
  /** The call id already has a lease on another number; nothing changed. */
  | { kind: 'elsewhere'; row: CallLeaseRow }
  /** The call has ended; an ended call stays ended. */
  | { kind: 'ended'; row: CallLeaseRow }
  | { kind: 'full'; rule: CapacityRule; cap: number };

/**
 * Takes (or renews) a call's slot on its number, deciding in the store so that instances
 * sharing it cannot both take the last slot. With a cap, the check and the write run under one
 * lock: on PostgreSQL a transaction-scoped advisory lock on the workspace (when it has a cap)
 * or else on the number; on SQLite a `BEGIN IMMEDIATE` transaction (writers are serialised).
 * Without a cap the lease is written directly: nothing to count.
 */
export async function takeSlot(database: Database, request: SlotRequest, signer: NoticeSigner | null): Promise<SlotOutcome> {
  const { caps } = request;
  if (!caps.number && !caps.workspace) return writeLease(database.db, request, signer);
  const lockKey = caps.workspace ? `workspace:${request.workspaceId}` : `number:${request.numberId}`;
  return serialised(database, lockKey, (db) => writeLease(db, request, signer));
}

/**
 * The lease's read, then its write (an UPDATE or an INSERT), which also tells the other instances
 * that the number's leases changed (`notifyingWrite`: inside the statement, so the call path gets
 * no round trip for it, and under a cap's lock it goes out at that transaction's commit).
 */
async function writeLease(db: Kysely<Tables>, request: SlotRequest, signer: NoticeSigner | null, attempt = 0): Promise<SlotOutcome> {
  const { workspaceId, callId, numberId, nowMs } = request;
  const nowIso = new Date(nowMs).toISOString();
  const expires = new Date(request.expiresMs).toISOString();
  const existing = await db.selectFrom('call_leases').selectAll().where('workspace_id', '=', workspaceId).where('call_id', '=', callId).executeTakeFirst();
  if (existing) {
    if (existing.phone_number_id !== numberId) return { kind: 'elsewhere', row: existing };
    if (existing.ended_at !== null) return { kind: 'ended', row: existing };
  }
  // A live lease already holds its slot; an expired one counts for nothing, so taking it again is checked.
  if (!existing || existing.expires_at <= nowIso) {
    const full = await fullRule(db, request, nowIso);
    if (full) return full;
  }
  const notice = { leases: [numberId] };
  if (existing) {
    await notifyingWrite(db, db.updateTable('call_leases').set({ expires_at: expires }).where('workspace_id', '=', workspaceId).where('call_id', '=', callId), notice, signer);
    return { kind: 'held', row: { ...existing, expires_at: expires } };
  }
  const row: CallLeaseRow = { workspace_id: workspaceId, call_id: callId, phone_number_id: numberId, direction: request.direction, started_at: nowIso, expires_at: expires, ended_at: null };
  const insert = db.insertInto('call_leases').values(row).onConflict((conflict) => conflict.columns(['workspace_id', 'call_id']).doNothing());
  const inserted = await notifyingWrite(db, insert, notice, signer);
  // Only without a lock can another start of the same call id have won the insert: look again.
  if (inserted === 0 && attempt === 0) return writeLease(db, request, signer, 1);
  return { kind: 'held', row };
}

/** The cap the call would break (the caps as stored now, the live leases of other calls), or null. */
async function fullRule(db: Kysely<Tables>, request: SlotRequest, nowIso: string): Promise<SlotOutcome | null> {
  const { workspaceId, callId, numberId, caps } = request;
  const live = db.selectFrom('call_leases').where('ended_at', 'is', null).where('expires_at', '>', nowIso).where('call_id', '!=', callId);
  const counts = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('phone_numbers').select('max_concurrent_calls').where('id', '=', numberId).as('number_cap'),
      live.select(eb.fn.countAll<number>().as('n')).where('phone_number_id', '=', numberId).as('number_live'),
      eb.selectFrom('workspace_settings').select('max_concurrent_calls').where('workspace_id', '=', workspaceId).as('workspace_cap'),
      // Counted only under a workspace cap: it reads every live lease of the workspace.
      caps.workspace ? live.select(eb.fn.countAll<number>().as('n')).where('workspace_id', '=', workspaceId).as('workspace_live') : sql<number>`0`.as('workspace_live'),
    ])
    .executeTakeFirstOrThrow();
  const numberCap = counts.number_cap ?? 0;
  if (caps.number && numberCap > 0 && Number(counts.number_live) >= numberCap) return { kind: 'full', rule: 'number_capacity', cap: numberCap };
  const workspaceCap = counts.workspace_cap ?? 0;
  if (caps.workspace && workspaceCap > 0 && Number(counts.workspace_live) >= workspaceCap) return { kind: 'full', rule: 'workspace_capacity', cap: workspaceCap };
  return null;
}

/** Runs `work` in a transaction that no other slot-taker of the same key (on any instance) runs alongside. */
async function serialised<T>(database: Database, lockKey: string, work: (db: Kysely<Tables>) => Promise<T>): Promise<T> {
  if (database.engine === 'postgres') {
    return database.db.transaction().execute(async (trx) => {
      // Advisory locks are database-wide: the schema keeps installations sharing a database apart.
      await sql`select pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || ${lockKey}, 0))`.execute(trx);
      return work(trx);
    });
  }
  return database.db.connection().execute(async (connection) => {
    // IMMEDIATE takes the write lock before the count, so even another process on the file waits.
    await sql`begin immediate`.execute(connection);
    try {
      const result = await work(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => {});
      throw error;
    }
  });
}
