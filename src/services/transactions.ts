import type { Kysely, Transaction } from 'kysely';
import { isUniqueViolation } from '../db/database.ts';
import type { Tables } from '../db/tables.ts';

/**
 * Transactions, retries and unique-violation handling for every service: the few ways a write
 * can lose to another writer, and what each service does then, said in one place.
 */

/** The store or an open transaction: the queries that may run in either take this. */
export type Db = Kysely<Tables> | Transaction<Tables>;

export function inTransaction<T>(db: Kysely<Tables>, work: (trx: Transaction<Tables>) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
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
