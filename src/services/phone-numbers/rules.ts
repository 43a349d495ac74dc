import type { PhoneNumberRow } from '../../db/tables.ts';
import { isId } from '../../domain/ids.ts';
import type { FieldIssue } from '../errors.ts';
import type { Db } from '../transactions.ts';

/**
 * The rules a record cannot check alone: a number is registered once (whichever workspace), its
 * carrier is a live carrier of its workspace, and fallbacks do not chain. The store is asked for
 * the facts (`storedFacts`); the verdicts (`ruleIssues`) are pure, over a batch of rows at once.
 */

type RuleRow = Pick<PhoneNumberRow, 'id' | 'e164' | 'carrier_id' | 'fallback_number'>;

/** A rule's verdict on one row of a batch, keyed by the row's number. */
export interface RowIssue {
  e164: string;
  issue: FieldIssue;
}

/** What the store knows that the rules need, for one batch of rows. */
export interface StoredFacts {
  /** The live carriers of the workspace, of those the rows name. */
  carriers: ReadonlySet<string>;
  /** The fallback of each stored live number some row names as its fallback (the batch's own rows left out). */
  fallbackOf: ReadonlyMap<string, string | null>;
  /** The stored live number, if any, that names a row's number as its fallback (the batch's own rows left out). */
  referrerOf: ReadonlyMap<string, string>;
}

/** Store reads are split so an `IN` list stays far below every engine's parameter limit. */
const LOOKUP_BATCH = 500;

/** Which of these numbers a live record holds, in any workspace. */
export async function takenNumbers(db: Db, numbers: string[]): Promise<Set<string>> {
  const taken = new Set<string>();
  for (let start = 0; start < numbers.length; start += LOOKUP_BATCH) {
    const rows = await db
      .selectFrom('phone_numbers')
      .select('e164')
      .where('e164', 'in', numbers.slice(start, start + LOOKUP_BATCH))
      .where('deleted_at', 'is', null)
      .execute();
    for (const row of rows) taken.add(row.e164);
  }
  return taken;
}

export async function storedFacts(db: Db, workspaceId: string, rows: RuleRow[]): Promise<StoredFacts> {
  const facts = { carriers: new Set<string>(), fallbackOf: new Map<string, string | null>(), referrerOf: new Map<string, string>() };
  const wanted = [...new Set(rows.map((row) => row.carrier_id).filter((id): id is string => id !== null))];
  if (wanted.length > 0) {
    const ids = wanted.filter(isId);
    const carriers = await db
      .selectFrom('carriers')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('deleted_at', 'is', null)
      .where('id', 'in', ids.length > 0 ? ids : ['-'])
      .execute();
    for (const carrier of carriers) facts.carriers.add(carrier.id);
  }
  const withFallback = rows.filter((row) => row.fallback_number !== null);
  if (withFallback.length === 0) return facts;
  // A Set: a 10,000-number import with fallbacks would otherwise compare every stored row with every id.
  const batchIds = new Set(rows.map((row) => row.id));
  const live = db
    .selectFrom('phone_numbers')
    .select(['e164', 'fallback_number', 'id'])
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null);
  const targets = await live.where('e164', 'in', [...new Set(withFallback.map((row) => row.fallback_number!))]).execute();
  for (const row of targets) if (!batchIds.has(row.id)) facts.fallbackOf.set(row.e164, row.fallback_number);
  const referrers = await live.where('fallback_number', 'in', withFallback.map((row) => row.e164)).execute();
  for (const row of referrers) if (!batchIds.has(row.id)) facts.referrerOf.set(row.fallback_number!, row.e164);
  return facts;
}

/** Every rule broken by a row of the batch, judged against the other rows of the batch and the stored facts. */
export function ruleIssues(rows: RuleRow[], facts: StoredFacts): RowIssue[] {
  return [...carrierIssues(rows, facts), ...fallbackIssues(rows, facts)];
}

function carrierIssues(rows: RuleRow[], facts: StoredFacts): RowIssue[] {
  return rows
    .filter((row) => row.carrier_id !== null && !facts.carriers.has(row.carrier_id))
    .map((row) => issueOf(row, 'carrier_id', `carrier ${row.carrier_id} not found`));
}

/**
 * No fallback chains, in either direction, within the workspace: a number's fallback may not
 * have a fallback of its own, and a number that is another number's fallback may not get one.
 */
function fallbackIssues(rows: RuleRow[], facts: StoredFacts): RowIssue[] {
  const withFallback = rows.filter((row) => row.fallback_number !== null);
  const batchFallbackOf = new Map(rows.map((row) => [row.e164, row.fallback_number]));
  const batchReferrerOf = new Map(withFallback.map((row) => [row.fallback_number!, row.e164]));
  const issues: RowIssue[] = [];
  for (const row of withFallback) {
    const target = row.fallback_number!;
    const targetFallback = batchFallbackOf.has(target) ? batchFallbackOf.get(target) : facts.fallbackOf.get(target);
    if (targetFallback) {
      issues.push(issueOf(row, 'fallback_number', `${target} has its own fallback number (${targetFallback}); fallback chains are not allowed`));
    }
  }
  for (const row of withFallback) {
    const referrer = batchReferrerOf.get(row.e164) ?? facts.referrerOf.get(row.e164);
    if (referrer && referrer !== row.e164) {
      issues.push(issueOf(row, 'fallback_number', `${row.e164} is the fallback number of ${referrer}, so it cannot have a fallback of its own`));
    }
  }
  return issues;
}

function issueOf(row: RuleRow, field: string, message: string): RowIssue {
  return { e164: row.e164, issue: { field, message } };
}

/** The issues of each row's number, in the order the rules found them. */
export function issuesByNumber(issues: RowIssue[]): Map<string, FieldIssue[]> {
  const byNumber = new Map<string, FieldIssue[]>();
  for (const { e164, issue } of issues) byNumber.set(e164, [...(byNumber.get(e164) ?? []), issue]);
  return byNumber;
}
