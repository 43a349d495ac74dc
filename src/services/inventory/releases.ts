import type { Kysely, Transaction } from 'kysely';
import type { CarrierNumberRow, Tables } from '../../db/tables.ts';
import { newId } from '../../domain/ids.ts';
import { nowIso, requireScope, type Actor, type ServiceDeps } from '../context.ts';
import { NotFoundError, ServiceError, ValidationError } from '../errors.ts';
import type { PhoneNumber } from '../phone-numbers/model.ts';
import { decodeCursor, pageOf, type Page } from '../pages.ts';
import type { AvailableNumber, CarrierProvider } from './provider.ts';

export interface ReleaseOptions {
  /** First wait after a failed attempt; doubles per attempt, at most MAX_BACKOFF_MS. */
  retryMs: number;
  /** Attempts before the release is marked `failed`. */
  maxAttempts: number;
}

export const RELEASE_STATES = ['held', 'pending', 'released', 'failed'] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];

/** A number bought at a carrier, as `GET /v1/carrier-releases` shows it. */
export interface CarrierRelease {
  id: string;
  phone_number_id: string | null;
  phone_number: string;
  provider: string;
  provider_sid: string;
  state: ReleaseState;
  reason: 'deleted' | 'registration_failed' | null;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  bought_at: string;
  released_at: string | null;
}

const MAX_BACKOFF_MS = 3_600_000;
/** A claim on a due attempt: another process (or tick) leaves the row alone this long. */
const ATTEMPT_LEASE_MS = 120_000;
/** A purchase whose registration never finished (the process died in between) is given back after this. */
const UNREGISTERED_AFTER_MS = 60_000;
const DUE_BATCH = 50;

/**
 * The durable ledger of numbers bought at carriers and their release. Deleting a bought number
 * (through any dialect) moves its row from `held` to `pending` exactly once; each attempt is
 * claimed with a conditional update, so one release call happens at a time even with several
 * processes on one store. A failed attempt is retried with exponential backoff; after
 * `maxAttempts` the row is `failed`, listed by the API and retried on request, never dropped.
 * Numbers imported or synced from an account never get a row, so they are never released.
 */
export class CarrierReleases {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly carriers: ReadonlyMap<string, CarrierProvider>,
    private readonly options: ReleaseOptions,
  ) {}

  private get db(): Kysely<Tables> {
    return this.deps.database.db;
  }

  /** Records a number just bought, before it is registered here (so a crash in between cannot leak it). */
  async recordPurchase(workspaceId: string, number: AvailableNumber & { provider_sid: string }, provider: string): Promise<string> {
    const id = newId();
    await this.db
      .insertInto('carrier_numbers')
      .values({
        id,
        workspace_id: workspaceId,
        phone_number_id: null,
        e164: number.e164,
        provider,
        provider_sid: number.provider_sid,
        bought_at: nowIso(this.deps),
        state: 'held',
        release_reason: null,
        attempts: 0,
        next_attempt_at: null,
        last_error: null,
        released_at: null,
      })
      .execute();
    return id;
  }

  async attach(id: string, phoneNumberId: string): Promise<void> {
    await this.db.updateTable('carrier_numbers').set({ phone_number_id: phoneNumberId }).where('id', '=', id).execute();
  }

  /** A bought number that could not be registered here goes back now (and is retried until it is). */
  async releaseUnregistered(id: string): Promise<void> {
    await this.db
      .updateTable('carrier_numbers')
      .set({ state: 'pending', release_reason: 'registration_failed', next_attempt_at: nowIso(this.deps) })
      .where('id', '=', id)
      .where('state', '=', 'held')
      .execute();
    await this.attempt(id);
  }

  /** The change feed's delete notification: the bought number behind `record` (if any) is released. */
  async onDeleted(record: PhoneNumber): Promise<void> {
    const rows = await this.db
      .updateTable('carrier_numbers')
      .set({ state: 'pending', release_reason: 'deleted', next_attempt_at: nowIso(this.deps) })
      .where('phone_number_id', '=', record.id)
      .where('state', '=', 'held')
      .returning('id')
      .execute();
    for (const row of rows) await this.attempt(row.id);
  }

  /** Runs every due attempt once, and catches up on deletes whose notification was lost. */
  async runDue(): Promise<void> {
    const now = nowIso(this.deps);
    // A delete committed while the process died before its notification ran.
    await this.db
      .updateTable('carrier_numbers')
      .set({ state: 'pending', release_reason: 'deleted', next_attempt_at: now })
      .where('state', '=', 'held')
      .where('phone_number_id', 'in', (eb) => eb.selectFrom('phone_numbers').select('id').where('deleted_at', 'is not', null))
      .execute();
    const stale = new Date(Date.parse(now) - UNREGISTERED_AFTER_MS).toISOString();
    await this.db
      .updateTable('carrier_numbers')
      .set({ state: 'pending', release_reason: 'registration_failed', next_attempt_at: now })
      .where('state', '=', 'held')
      .where('phone_number_id', 'is', null)
      .where('bought_at', '<', stale)
      .execute();
    const due = await this.db
      .selectFrom('carrier_numbers')
      .select('id')
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(DUE_BATCH)
      .execute();
    for (const row of due) await this.attempt(row.id);
  }

  /** Checks for due attempts every `everyMs` (unref'd: it never keeps the process alive). */
  start(everyMs = Math.min(this.options.retryMs, 30_000)): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runDue()
        .catch(() => undefined)
        .finally(() => (this.running = null));
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  async list(actor: Actor, query: { state?: ReleaseState | undefined; limit: number; cursor?: string | undefined }): Promise<Page<CarrierRelease>> {
    requireScope(actor, 'numbers:read');
    let select = this.db.selectFrom('carrier_numbers').selectAll().where('workspace_id', '=', actor.workspaceId);
    if (query.state) select = select.where('state', '=', query.state);
    if (query.cursor) select = select.where('id', '>', decodeCursor(query.cursor));
    const rows = await select.orderBy('id').limit(query.limit + 1).execute();
    return pageOf(rows, query.limit, toRelease);
  }

  /** A `failed` release is tried again now, with a fresh count of attempts. */
  async retry(actor: Actor, id: string): Promise<CarrierRelease> {
    requireScope(actor, 'numbers:write');
    const row = await this.db.selectFrom('carrier_numbers').selectAll().where('id', '=', id).where('workspace_id', '=', actor.workspaceId).executeTakeFirst();
    if (!row) throw new NotFoundError(`carrier release ${id} not found`);
    if (row.state !== 'failed') throw ValidationError.field('state', `only a failed release can be retried (this one is ${row.state})`);
    await this.db
      .updateTable('carrier_numbers')
      .set({ state: 'pending', attempts: 0, next_attempt_at: nowIso(this.deps) })
      .where('id', '=', id)
      .where('state', '=', 'failed')
      .execute();
    await this.attempt(id);
    return toRelease((await this.db.selectFrom('carrier_numbers').selectAll().where('id', '=', id).executeTakeFirstOrThrow()));
  }

  /** One release call for a pending row whose attempt is due, if this caller wins the claim. */
  private async attempt(id: string): Promise<void> {
    const now = nowIso(this.deps);
    const row = await this.db.selectFrom('carrier_numbers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.state !== 'pending' || (row.next_attempt_at !== null && row.next_attempt_at > now)) return;
    const lease = new Date(Date.parse(now) + ATTEMPT_LEASE_MS).toISOString();
    const claimed = await this.db
      .updateTable('carrier_numbers')
      .set({ next_attempt_at: lease })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .where((eb) => (row.next_attempt_at === null ? eb('next_attempt_at', 'is', null) : eb('next_attempt_at', '=', row.next_attempt_at)))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return;

    const carrier = this.carriers.get(row.provider);
    let failure: string | null = carrier ? null : `${row.provider} is not configured on this installation`;
    if (carrier) {
      try {
        await carrier.release({ e164: row.e164, provider_sid: row.provider_sid });
      } catch (error) {
        // ProviderError messages name the carrier and the status, never a credential.
        failure = error instanceof ServiceError ? error.message : 'the release failed unexpectedly';
      }
    }
    const attempts = row.attempts + 1;
    const at = nowIso(this.deps);
    // The outcome and its audit entry commit together: whoever sees `released` sees the entry.
    await this.db.transaction().execute(async (trx) => {
      if (failure === null) {
        await trx.updateTable('carrier_numbers').set({ state: 'released', attempts, released_at: at, next_attempt_at: null, last_error: null }).where('id', '=', id).execute();
        await this.audit(trx, row, 'carrier_release', at);
        return;
      }
      const gaveUp = attempts >= this.options.maxAttempts;
      const wait = Math.min(this.options.retryMs * 2 ** (attempts - 1), MAX_BACKOFF_MS);
      await trx
        .updateTable('carrier_numbers')
        .set({ state: gaveUp ? 'failed' : 'pending', attempts, last_error: failure, next_attempt_at: gaveUp ? null : new Date(Date.parse(at) + wait).toISOString() })
        .where('id', '=', id)
        .execute();
      if (gaveUp) await this.audit(trx, row, 'carrier_release_failed', at);
    });
  }

  /** An entry in the number's audit trail, carrying the record as it was deleted (source, provider sid). */
  private async audit(trx: Transaction<Tables>, row: CarrierNumberRow, action: 'carrier_release' | 'carrier_release_failed', at: string): Promise<void> {
    if (!row.phone_number_id) return;
    const deleted = await trx
      .selectFrom('phone_number_events')
      .select('after')
      .where('phone_number_id', '=', row.phone_number_id)
      .where('action', '=', 'delete')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    await trx
      .insertInto('phone_number_events')
      .values({
        id: newId(),
        workspace_id: row.workspace_id,
        phone_number_id: row.phone_number_id,
        action,
        actor_key_id: null,
        changed_fields: JSON.stringify([]),
        before: null,
        after: deleted?.after ?? null,
        at,
      })
      .execute();
  }
}

function toRelease(row: CarrierNumberRow): CarrierRelease {
  return {
    id: row.id,
    phone_number_id: row.phone_number_id,
    phone_number: row.e164,
    provider: row.provider,
    provider_sid: row.provider_sid,
    state: row.state,
    reason: row.release_reason as CarrierRelease['reason'],
    attempts: Number(row.attempts),
    next_attempt_at: row.next_attempt_at,
    last_error: row.last_error,
    bought_at: row.bought_at,
    released_at: row.released_at,
  };
}
