import type { Compilable, Kysely, Transaction } from 'kysely';
import { isUniqueViolation } from '../db/database.ts';
import { sendNotices, writeNotifying, type WriteNotice } from '../db/single-writes.ts';
import type { Tables } from '../db/tables.ts';
import type { ChangeNotice } from './routing/sync.ts';

/**
 * Transactions, retries and unique-violation handling for every service: the few ways a write
 * can lose to another writer, and what each service does then, said in one place.
 */

/** The store or an open transaction: the queries that may run in either take this. */
export type Db = Kysely<Tables> | Transaction<Tables>;

/**
 * Builds the notices a write sends the other instances itself (PgSync, `ChangeFeed.remote`); null
 * on SQLite, where one process is the whole installation and nobody is to be told.
 */
export interface NoticeSigner {
  ready(): Promise<void>;
  noticesFor(...notices: ChangeNotice[]): WriteNotice[];
}

/** What a write inside `inTransaction` changed, for the other instances. */
export type Notify = (notice: ChangeNotice) => void;

/**
 * Runs `work` in a transaction. What it reports to `notify` is sent by that transaction, as its
 * last statement (with a `signer`, on PostgreSQL): the other instances hear of it exactly at its
 * commit, never of a write that rolled back, and nothing is left to send after the commit (a
 * process dying in between would leave them on stale state).
 */
export async function inTransaction<T>(db: Kysely<Tables>, work: (trx: Transaction<Tables>, notify: Notify) => Promise<T>, signer: NoticeSigner | null = null): Promise<T> {
  if (signer) await signer.ready();
  return db.transaction().execute(async (trx) => {
    const pending: ChangeNotice[] = [];
    const result = await work(trx, (notice) => pending.push(notice));
    if (signer && pending.length > 0) await sendNotices(trx, signer.noticesFor(...pending));
    return result;
  });
}

/**
 * One writing statement that tells the other instances of `notice` itself, when it wrote (see
 * `writeNotifying`): for the writes that are one statement, so no transaction or round trip is
 * added for the notice. Resolves to the rows written.
 */
export async function notifyingWrite(db: Db, statement: Compilable, notice: ChangeNotice, signer: NoticeSigner | null): Promise<number> {
  if (signer) await signer.ready();
  return writeNotifying(db, statement.compile(), signer ? signer.noticesFor(notice) : []);
}

/**
 * Another writer changed the row between our read and our conditional write (its version, its
 * claim token): the work lost a race and may run again from a fresh read.
 */
export class ConcurrentChange extends Error {}

export function isConcurrentChange(error: unknown): boolean {
  return error instanceof ConcurrentChange;
}

export interface RetryPolicy {
  /** How many times the work runs at most (1: never again). */
  attempts: number;
  /** Which errors mean "lost a race, run again"; any other error ends the work at once. */
  retryOn: (error: unknown) => boolean;
  /** The error to raise when the last attempt lost too; without it that attempt's own error propagates. */
  exhausted?: () => Error;
}

/** Runs `work` (told which attempt it is, from 1) until it finishes or loses `policy.attempts` times. */
export async function retrying<T>(policy: RetryPolicy, work: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (!policy.retryOn(error)) throw error;
      if (attempt >= policy.attempts) throw policy.exhausted ? policy.exhausted() : error;
    }
  }
}

/**
 * Runs `work`; when a UNIQUE (or primary-key) constraint rejects it, returns `instead()`: read
 * the row that won, or throw the conflict the caller should see.
 */
export async function onUniqueViolation<T>(work: () => Promise<T>, instead: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return instead();
  }
}
