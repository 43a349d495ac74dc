import type { CallLeaseRow } from '../../db/tables.ts';
import { requireScope, type Actor } from '../context.ts';
import { ConflictError, NotFoundError, OverCapacityError } from '../errors.ts';
import { IssueCollector } from '../phone-numbers/validate.ts';
import { CONTROL_CHARACTERS, type RoutingContext } from './context.ts';
import type { IndexLoader } from './index-loader.ts';
import { notifyingWrite } from '../transactions.ts';
import { takeSlot } from './slots.ts';
import { leaseOf, type StateSync } from './state-sync.ts';

export interface CallStart {
  phone_number_id?: string | undefined;
  phone_number?: string | undefined;
  direction?: 'inbound' | 'outbound' | undefined;
  lease_seconds?: number | undefined;
}

export interface CallRecord {
  call_id: string;
  phone_number_id: string;
  direction: 'inbound' | 'outbound';
  started_at: string;
  lease_expires_at: string;
  ended_at: string | null;
}

/** Call leases: each live call holds a slot on its number until it ends or its lease expires (the capacity caps count them). */
export class Calls {
  constructor(
    private readonly context: RoutingContext,
    private readonly loader: IndexLoader,
    private readonly state: StateSync,
  ) {}

  /**
   * Records (or renews) a call's lease on its number. Idempotent per call id: repeating it
   * extends the lease (the runtime's heartbeat); an ended call stays ended.
   */
  async start(actor: Actor, callId: string, input: CallStart): Promise<CallRecord> {
    requireScope(actor, 'routing');
    const issues = new IssueCollector();
    checkCallId(issues, callId);
    if ((input.phone_number_id === undefined) === (input.phone_number === undefined)) {
      issues.add('phone_number_id', 'give exactly one of phone_number_id or phone_number');
    }
    issues.throwIfAny();
    const { index } = this.context.router;
    if (input.phone_number_id !== undefined) await this.loader.admitByIds([input.phone_number_id]);
    else await this.loader.admitByNumber(input.phone_number!);
    const entry = input.phone_number_id !== undefined ? index.get(input.phone_number_id) : index.find(input.phone_number!);
    if (!entry || entry.profile.workspaceId !== actor.workspaceId) {
      throw new NotFoundError(`phone number ${input.phone_number_id ?? input.phone_number} not found`);
    }
    const nowMs = this.context.nowMs();
    const outcome = await takeSlot(this.context.deps.database, {
      workspaceId: actor.workspaceId,
      callId,
      numberId: entry.id,
      direction: input.direction ?? 'inbound',
      nowMs,
      expiresMs: nowMs + (input.lease_seconds ?? this.context.options.callLeaseSeconds) * 1000,
      caps: this.context.router.capsOf(entry),
    }, this.state.notices);
    switch (outcome.kind) {
      case 'elsewhere':
        throw new ConflictError(`call ${callId} was started on another number`, [{ field: 'phone_number_id', message: 'differs from the call\'s number' }]);
      case 'ended':
        return callRecord(outcome.row);
      case 'full':
        throw new OverCapacityError(
          outcome.rule === 'number_capacity'
            ? `phone number ${entry.e164} is at its max_concurrent_calls (${outcome.cap})`
            : `the workspace is at its max_concurrent_calls (${outcome.cap})`,
          outcome.rule === 'number_capacity' ? 'phone_number.max_concurrent_calls' : 'workspace.max_concurrent_calls',
        );
      case 'held':
        this.held(outcome.row);
        return callRecord(outcome.row);
    }
  }

  /** A slot the store granted: into this instance's lease book (its write told the other instances). */
  held(row: CallLeaseRow): void {
    this.context.router.leases.put(leaseOf(row));
  }

  /** Frees the call's slot. Idempotent: ending an ended call returns it unchanged. */
  async end(actor: Actor, callId: string): Promise<CallRecord> {
    requireScope(actor, 'routing');
    const issues = new IssueCollector();
    checkCallId(issues, callId);
    issues.throwIfAny();
    const existing = await this.leaseRow(actor.workspaceId, callId);
    if (!existing) throw new NotFoundError(`call ${callId} not found`);
    if (existing.ended_at !== null) return callRecord(existing);
    const { db } = this.context;
    const end = db
      .updateTable('call_leases')
      .set({ ended_at: this.context.nowIso() })
      .where('workspace_id', '=', actor.workspaceId)
      .where('call_id', '=', callId)
      .where('ended_at', 'is', null);
    await notifyingWrite(db, end, { leases: [existing.phone_number_id] }, this.state.notices);
    return this.changed(actor.workspaceId, callId);
  }

  private leaseRow(workspaceId: string, callId: string): Promise<CallLeaseRow | undefined> {
    return this.context.db.selectFrom('call_leases').selectAll().where('workspace_id', '=', workspaceId).where('call_id', '=', callId).executeTakeFirst();
  }

  private async changed(workspaceId: string, callId: string): Promise<CallRecord> {
    const row = (await this.leaseRow(workspaceId, callId))!;
    const { leases } = this.context.router;
    if (row.ended_at === null) leases.put(leaseOf(row));
    else leases.drop(workspaceId, callId);
    return callRecord(row);
  }
}

function checkCallId(issues: IssueCollector, callId: string): void {
  if (callId.trim() === '' || callId.length > 128) issues.add('call_id', 'must be 1 to 128 characters');
  else if (CONTROL_CHARACTERS.test(callId)) issues.add('call_id', 'must not contain control characters');
}

function callRecord(row: CallLeaseRow): CallRecord {
  return {
    call_id: row.call_id,
    phone_number_id: row.phone_number_id,
    direction: row.direction as CallRecord['direction'],
    started_at: row.started_at,
    lease_expires_at: row.expires_at,
    ended_at: row.ended_at,
  };
}
