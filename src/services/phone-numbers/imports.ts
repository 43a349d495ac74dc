import type { Kysely } from 'kysely';
import { rowInserter } from '../../db/bulk-insert.ts';
import { isUniqueViolation } from '../../db/database.ts';
import { insertsTogether } from '../../db/single-writes.ts';
import { PHONE_NUMBER_AGENT_COLUMNS, PHONE_NUMBER_COLUMNS, PHONE_NUMBER_EVENT_COLUMNS, type PhoneNumberRow, type Tables } from '../../db/tables.ts';
import type { ChangeFeed } from '../change-feed.ts';
import { nowIso, requireScope, type Actor, type ServiceDeps } from '../context.ts';
import { ConflictError, type ErrorCode, type FieldIssue } from '../errors.ts';
import { LoopBudget } from '../loop-budget.ts';
import { inTransaction, retrying, type Db, type Notify } from '../transactions.ts';
import { BulkImportWorker, type DecodedOnWorker, type WorkerRun } from './bulk-worker-client.ts';
import { eventRow, givenFields } from './audit.ts';
import type { PhoneNumber, PhoneNumberImport } from './model.ts';
import type { RecentRecords } from './recent-records.ts';
import { agentRowsOf, newRow, rowToPhoneNumber } from './rows.ts';
import { issuesByNumber, ruleIssues, storedFacts, takenNumbers } from './rules.ts';
import { IssueCollector, validateChanges, validatePhoneNumberField, validatePseudoNumberField } from './validate.ts';

/** PostgreSQL can lose a check-then-insert race to a concurrent import; the unique index decides, and the import re-checks. */
const IMPORT_ATTEMPTS = 5;
/** Created numbers handed to the routing index per event-loop turn. */
const PUBLISH_SLICE = 100;
/** On a SQLite file, imports of this many numbers or more run on the bulk-import worker thread (smaller ones stall the loop for well under a slice). */
const WORKER_MIN_ITEMS = 100;

export interface ImportOptions {
  /** Accept numbers libphonenumber does not know (Retell's `ignore_e164_validation`); the E.164 shape is still required. */
  allowUnknownNumbers?: boolean;
  /** The numbers were bought (stock or carrier), not imported: only the inventory service says so. */
  purchased?: boolean;
}

/** Encoded input decoded on the bulk-import worker and held there (`decodeOnWorker`): how many items, and the decoder's fingerprint of it. */
export type DecodedImport = DecodedOnWorker;

export type BulkItemResult =
  | { index: number; status: 'created'; phone_number: PhoneNumber }
  | { index: number; status: 'failed'; code: ErrorCode; message: string; errors: FieldIssue[] };

interface Candidate {
  index: number;
  row: PhoneNumberRow;
  /** The fields the client set, for the audit trail's `changed_fields`. */
  given: string[];
  /** The record of `row`, once built. */
  record?: PhoneNumber;
}

/**
 * Creating numbers, one or many: each item validated on its own, the survivors checked against
 * the store and the cross-record rules, then inserted in one transaction with their audit events
 * (batched inserts; one statement for a single number where the engine allows) and published to
 * the routing index. On a SQLite file, large imports run on the bulk-import worker thread.
 * PhoneNumberService exposes these; reads, updates and deletes stay there.
 */
export class NumberImports {
  // The bulk import's inserts: SQL built once per row count, not by Kysely per batch (see src/db/bulk-insert.ts).
  private readonly insertNumbers;
  private readonly insertAgents;
  private readonly insertEvents;
  // A single import's inserts, with its audit event (see src/db/single-writes.ts).
  private readonly insertOne;
  /** Where large imports run on a SQLite file (bulk-worker-client.ts); null elsewhere. */
  private readonly bulkWorker: BulkImportWorker | null;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly feed: ChangeFeed,
    /** The service's held records: a single import's record is held from its commit on. */
    private readonly recent: RecentRecords,
    /** False for the service the worker itself runs (its imports run in process, on its thread). */
    options: { bulkImportWorker?: boolean } = {},
  ) {
    const engine = deps.database.engine;
    this.insertNumbers = rowInserter(engine, 'phone_numbers', PHONE_NUMBER_COLUMNS);
    this.insertAgents = rowInserter(engine, 'phone_number_agents', PHONE_NUMBER_AGENT_COLUMNS);
    this.insertEvents = rowInserter(engine, 'phone_number_events', PHONE_NUMBER_EVENT_COLUMNS);
    this.insertOne = insertsTogether(engine, [
      { table: 'phone_numbers', columns: PHONE_NUMBER_COLUMNS },
      { table: 'phone_number_agents', columns: PHONE_NUMBER_AGENT_COLUMNS },
      { table: 'phone_number_events', columns: PHONE_NUMBER_EVENT_COLUMNS },
    ]);
    this.bulkWorker = options.bulkImportWorker !== false && engine === 'sqlite' && deps.database.file !== null ? new BulkImportWorker({ file: deps.database.file, secretKey: deps.secrets.keyCopy() }) : null;
  }

  /** Stops the bulk-import worker thread, if one was started. */
  async close(): Promise<void> {
    await this.bulkWorker?.close();
  }

  private get db(): Kysely<Tables> {
    return this.deps.database.db;
  }

  private readonly seal = (plain: string): string => this.deps.secrets.seal(plain);

  /**
   * Imports many numbers in one transaction with batched inserts. Each item succeeds or fails
   * on its own (per-item results), so one bad row does not sink a 10,000-row import. The work is
   * cut into slices (LoopBudget): between items and between insert statements the event loop
   * gets a turn, so a bulk import never stalls routing decisions for more than a slice.
   */
  async importMany(actor: Actor, inputs: PhoneNumberImport[], options: ImportOptions = {}): Promise<BulkItemResult[]> {
    requireScope(actor, 'numbers:write');
    const now = nowIso(this.deps);
    const budget = new LoopBudget();
    if (this.bulkWorker && inputs.length >= WORKER_MIN_ITEMS) {
      const worker = this.bulkWorker;
      return this.onWorker(budget, () => worker.importMany(actor, inputs, options, now));
    }
    const between = () => budget.breathe();
    const results = new Array<BulkItemResult>(inputs.length);
    const candidates: Candidate[] = [];
    const seenInBatch = new Map<string, number>();

    for (let index = 0; index < inputs.length; index++) {
      await budget.breathe();
      const input = inputs[index]!;
      const issues = new IssueCollector();
      const e164 = input.pseudo
        ? validatePseudoNumberField(issues, 'phone_number', input.phone_number)
        : validatePhoneNumberField(issues, 'phone_number', input.phone_number, { requireValid: !options.allowUnknownNumbers });
      const { phone_number: _number, pseudo, ...fields } = input;
      const changes = validateChanges(issues, fields);
      if (e164 && changes.fallback_number === e164) issues.add('fallback_number', 'must not be the number itself');
      if (e164 && seenInBatch.has(e164)) {
        results[index] = failure(index, 'CONFLICT', `${e164} appears earlier in this request (item ${seenInBatch.get(e164)})`, [
          { field: 'phone_number', message: 'duplicate within the request' },
        ]);
        continue;
      }
      if (issues.issues.length > 0 || !e164) {
        results[index] = failure(index, 'VALIDATION_FAILED', 'the number was rejected', issues.issues);
        continue;
      }
      seenInBatch.set(e164, index);
      candidates.push({ index, row: newRow(actor.workspaceId, { number: e164, pseudo: pseudo === true, purchased: options.purchased === true }, changes, now, this.seal), given: givenFields(input) });
    }

    const importPolicy = { attempts: IMPORT_ATTEMPTS, retryOn: isUniqueViolation, exhausted: () => new ConflictError('the number is already registered') };
    if (candidates.length > 0) await this.feed.ready();
    // Nothing valid to write (a rejected single import): no transaction at all.
    const created = candidates.length === 0 ? [] : await retrying(importPolicy, (attempt) => {
      // One number: the unique index answers "already registered" as well as a read would, so
      // the first attempt just inserts; a unique violation rolls it back, and the attempt after
      // it reads (and reports the number taken like any other import). Its inserts are one
      // statement on PostgreSQL (insertsTogether), which needs no transaction around it.
      const optimistic = attempt === 1 && candidates.length === 1;
      const write = <T>(work: (db: Db, notify?: Notify) => Promise<T>) => (optimistic && this.insertOne.atomic ? work(this.db) : inTransaction(this.db, work, this.feed.remote));
      return write(async (trx, notify) => {
        const accepted = optimistic ? await this.checkRules(trx, actor, candidates, results) : await this.checkAgainstStore(trx, actor, candidates, results);
        const events = [];
        for (const c of accepted) {
          await budget.breathe();
          c.record = rowToPhoneNumber(c.row);
          events.push(eventRow(actor, { action: 'create', phoneNumberId: c.row.id, changed: c.given, before: null, after: c.record, at: now }));
        }
        if (optimistic) {
          // Other instances are told by the insert itself (PostgreSQL: its statement ends with the NOTIFY).
          const notice = accepted.length === 1 ? this.feed.numberNotice(accepted[0]!.row.id) : null;
          await this.insertOne.run(trx, [accepted.map((c) => c.row), accepted.flatMap((c) => agentRowsOf(c.row)), events], notice);
          return accepted;
        }
        // Sent by this transaction, at its commit (inTransaction).
        if (accepted.length > 0) notify?.({ numbers: accepted.map((c) => c.row.id) });
        await between();
        await this.insertNumbers(trx, accepted.map((c) => c.row), between);
        await between();
        await this.insertAgents(trx, accepted.flatMap((c) => agentRowsOf(c.row)), between);
        await this.insertEvents(trx, events, between);
        return accepted;
      });
    });

    // A single import is held (its next read or update starts from it); a bulk import's records are not, so as not to evict what readers hold.
    const hold = inputs.length === 1;
    const records = created.map((c) => {
      // Built once for the audit event inside the transaction; reused for the response.
      const built = c.record ?? rowToPhoneNumber(c.row);
      const record = hold ? this.recent.remember(c.row, built) : built;
      results[c.index] = { index: c.index, status: 'created', phone_number: record };
      return record;
    });
    await this.publishCreated(records, budget);
    return results;
  }

  /**
   * Whether `decodeOnWorker` can take encoded input: on a SQLite file, where imports run on the
   * bulk-import worker thread. Elsewhere the transport decodes the input itself and calls `importMany`.
   */
  get decodesOnWorker(): boolean {
    return this.bulkWorker !== null;
  }

  /**
   * Hands an import's encoded input (the bytes of a bulk request) to the bulk-import worker, whose
   * decoder (the transport's, see src/bulk-import-worker.ts) turns it into the items there, so that
   * parsing and validating them never stalls this thread. Rejects with what the decoder threw. The
   * items stay on the worker for `importDecoded` (or `dropDecoded`).
   */
  async decodeOnWorker(bytes: Uint8Array, request: unknown): Promise<DecodedImport> {
    if (!this.bulkWorker) throw new Error('no bulk-import worker: decodeOnWorker needs a SQLite file');
    return this.bulkWorker.decode(bytes, request);
  }

  /** `importMany` of the items `decodeOnWorker` left on the worker: the same checks, transaction, audit and results. */
  async importDecoded(actor: Actor, decoded: DecodedImport, options: ImportOptions = {}): Promise<BulkItemResult[]> {
    requireScope(actor, 'numbers:write');
    const worker = this.bulkWorker!;
    const now = nowIso(this.deps);
    return this.onWorker(new LoopBudget(), () => worker.run(decoded.id, actor, options, now));
  }

  /** Forgets decoded items that will not be imported. */
  dropDecoded(decoded: DecodedImport): void {
    this.bulkWorker?.drop(decoded.id);
  }

  private async onWorker(budget: LoopBudget, start: () => WorkerRun): Promise<BulkItemResult[]> {
    // This thread's write connection is held meanwhile: its other writes wait for the import's
    // commit in Kysely's queue (as behind an in-process transaction) instead of blocking the
    // event loop in SQLite's busy handler; reads go on (`database.reads`, WAL). It is held on
    // until the worker's checkpoint is done, while the results are already taken in here.
    const run = await new Promise<WorkerRun>((resolve, reject) => {
      this.db
        .connection()
        .execute(async () => {
          const started = start();
          resolve(started);
          await started.settled;
        })
        .catch(reject);
    });
    const results = await run.results;
    await this.publishCreated(results.filter((result) => result.status === 'created').map((result) => result.phone_number), budget);
    return results;
  }

  /** Into the routing index in slices too, all before the import returns (the other instances were told by the import's transaction). */
  private async publishCreated(records: PhoneNumber[], budget: LoopBudget): Promise<void> {
    for (let start = 0; start < records.length; start += PUBLISH_SLICE) {
      await budget.breathe();
      this.feed.publishNumbers(records.slice(start, start + PUBLISH_SLICE).map((after) => ({ before: null, after })));
    }
  }

  /** Drops candidates that clash with live records or break cross-record rules; returns the rest. */
  private async checkAgainstStore(trx: Db, actor: Actor, candidates: Candidate[], results: BulkItemResult[]): Promise<Candidate[]> {
    const taken = await takenNumbers(trx, candidates.map((c) => c.row.e164));
    const fresh = candidates.filter((c) => {
      if (!taken.has(c.row.e164)) return true;
      // Whichever workspace holds it: the same answer, so existence elsewhere is not confirmed beyond "taken".
      results[c.index] = failure(c.index, 'CONFLICT', `${c.row.e164} is already registered`, [
        { field: 'phone_number', message: 'already registered' },
      ]);
      return false;
    });
    return this.checkRules(trx, actor, fresh, results);
  }

  /** Drops candidates that break cross-record rules (carrier, fallbacks); returns the rest. */
  private async checkRules(trx: Db, actor: Actor, fresh: Candidate[], results: BulkItemResult[]): Promise<Candidate[]> {
    const rows = fresh.map((c) => c.row);
    const issuesByRow = issuesByNumber(ruleIssues(rows, await storedFacts(trx, actor.workspaceId, rows)));
    if (issuesByRow.size === 0) return fresh;
    return fresh.filter((c) => {
      const issues = issuesByRow.get(c.row.e164);
      if (!issues) return true;
      results[c.index] = failure(c.index, 'VALIDATION_FAILED', 'the number was rejected', issues);
      return false;
    });
  }
}

function failure(index: number, code: ErrorCode, message: string, errors: FieldIssue[]): BulkItemResult {
  return { index, status: 'failed', code, message, errors };
}
