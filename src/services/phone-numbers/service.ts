import type { Kysely } from 'kysely';
import { rowInserter } from '../../db/bulk-insert.ts';
import { isUniqueViolation } from '../../db/database.ts';
import { preparedQuery } from '../../db/prepared.ts';
import { insertsTogether, rowUpdater, type WriteNotice } from '../../db/single-writes.ts';
import { PHONE_NUMBER_AGENT_COLUMNS, PHONE_NUMBER_COLUMNS, PHONE_NUMBER_EVENT_COLUMNS, type PhoneNumberEventRow, type PhoneNumberRow, type Tables } from '../../db/tables.ts';
import { numberKeys } from '../../domain/phone.ts';
import { isId } from '../../domain/ids.ts';
import type { ChangeFeed } from '../change-feed.ts';
import { nowIso, requireScope, type Actor, type ServiceDeps } from '../context.ts';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError, type ErrorCode, type FieldIssue } from '../errors.ts';
import type { Page } from '../pages.ts';
import { LoopBudget } from '../loop-budget.ts';
import { ConcurrentChange, inTransaction, isConcurrentChange, retrying, type Db, type Notify } from '../transactions.ts';
import { BulkImportWorker, type DecodedOnWorker, type WorkerRun } from './bulk-worker-client.ts';
import { changedFields, eventRow, eventsOf, givenFields, type NumberEvent } from './audit.ts';
import { countNumbers, listHeld, type CountQuery, type ListQuery } from './listing.ts';
import { AGENT_LISTS, type PhoneNumber, type PhoneNumberChanges, type PhoneNumberImport } from './model.ts';
import { LiveVersions, type LiveVersion } from './live-versions.ts';
import { RecentRecords, type Held } from './recent-records.ts';
import { agentRowsOf, mergeRow, newRow, rowToPhoneNumber } from './rows.ts';
import { issuesByNumber, ruleIssues, storedFacts, takenNumbers } from './rules.ts';
import { IssueCollector, validateChanges, validatePhoneNumberField, validatePseudoNumberField } from './validate.ts';

/** How many numbers are kept decoded, each with its row (≈ 10-20 MB at most): enough for the numbers a platform reads and updates over and over. */
const RECENT_RECORDS = 10_000;

/** Without If-Match an update is re-read and re-applied this often before it gives up with a 412. */
const CONCURRENT_UPDATE_ATTEMPTS = 20;
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
 * Phone numbers of a workspace: import (one or many), reads, lists, updates, soft deletes and the
 * audit trail. The row codec is rows.ts, the cross-record rules rules.ts, the trail audit.ts,
 * lists listing.ts; this class holds the reads and the write transactions that tie them together.
 */
export class PhoneNumberService {
  // The reads behind every single-number request, compiled once (see src/db/prepared.ts).
  private readonly liveById;
  private readonly liveByNumber;
  private readonly liveVersions;
  private readonly recent = new RecentRecords(RECENT_RECORDS);
  // The bulk import's inserts: SQL built once per row count, not by Kysely per batch (see src/db/bulk-insert.ts).
  private readonly insertNumbers;
  private readonly insertAgents;
  private readonly insertEvents;
  // Single-number writes set only the columns they change, with their audit event (see src/db/single-writes.ts).
  private readonly updateNumber;
  private readonly insertOne;
  /** Where large imports run on a SQLite file (bulk-worker-client.ts); null elsewhere. */
  private readonly bulkWorker: BulkImportWorker | null;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly feed: ChangeFeed,
    /** False for the service the worker itself runs (its imports run in process, on its thread). */
    options: { bulkImportWorker?: boolean } = {},
  ) {
    this.liveById = preparedQuery(deps.database.db, ['id', 'workspaceId'], (db, v) =>
      db.selectFrom('phone_numbers').selectAll().where('id', '=', v.id).where('workspace_id', '=', v.workspaceId).where('deleted_at', 'is', null),
    );
    // A reference names up to two stored keys (see `numberKeys`): the exact one, then its E.164 form.
    this.liveByNumber = preparedQuery(deps.database.db, ['exact', 'e164', 'workspaceId'], (db, v) =>
      db.selectFrom('phone_numbers').selectAll().where('e164', 'in', [v.exact, v.e164]).where('workspace_id', '=', v.workspaceId).where('deleted_at', 'is', null),
    );
    this.liveVersions = new LiveVersions(deps.database);
    const engine = deps.database.engine;
    this.insertNumbers = rowInserter(engine, 'phone_numbers', PHONE_NUMBER_COLUMNS);
    this.insertAgents = rowInserter(engine, 'phone_number_agents', PHONE_NUMBER_AGENT_COLUMNS);
    this.insertEvents = rowInserter(engine, 'phone_number_events', PHONE_NUMBER_EVENT_COLUMNS);
    this.insertOne = insertsTogether(engine, [
      { table: 'phone_numbers', columns: PHONE_NUMBER_COLUMNS },
      { table: 'phone_number_agents', columns: PHONE_NUMBER_AGENT_COLUMNS },
      { table: 'phone_number_events', columns: PHONE_NUMBER_EVENT_COLUMNS },
    ]);
    this.updateNumber = rowUpdater(engine, 'phone_numbers', ['id', 'version'], 'phone_number_events', PHONE_NUMBER_EVENT_COLUMNS);
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

  async importNumber(actor: Actor, input: PhoneNumberImport, options: ImportOptions = {}): Promise<PhoneNumber> {
    requireScope(actor, 'numbers:write');
    const [result] = await this.importMany(actor, [input], options);
    if (result!.status === 'failed') {
      if (result!.code === 'CONFLICT') throw new ConflictError(result!.message, result!.errors);
      throw new ValidationError(result!.errors, result!.message);
    }
    return result!.phone_number;
  }

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

  /** The live record (frozen: it may be shared with other readers). */
  async get(actor: Actor, id: string): Promise<PhoneNumber> {
    requireScope(actor, 'numbers:read');
    const record = isId(id) ? await this.readLive(actor, { id }) : undefined;
    // Another workspace's number is reported exactly like a missing one.
    if (!record) throw new NotFoundError(`phone number ${id} not found`);
    return record;
  }

  /** Looks a number up by a pseudo number exactly as stored, else by E.164 (with or without `+`). */
  async getByNumber(actor: Actor, number: string): Promise<PhoneNumber> {
    requireScope(actor, 'numbers:read');
    const keys = numberKeys(number);
    const record = keys.length > 0 ? await this.readLive(actor, { keys }) : undefined;
    if (!record) throw new NotFoundError(`phone number ${number} not found`);
    return record;
  }

  /** `GET /v1/phone-numbers/{id-or-number}`: an id if it looks like one, otherwise a number. */
  async getByIdOrNumber(actor: Actor, idOrNumber: string): Promise<PhoneNumber> {
    return isId(idOrNumber) ? this.get(actor, idOrNumber) : this.getByNumber(actor, idOrNumber);
  }

  /**
   * One live record of the actor's workspace. When a record of the number is held, the store is
   * asked only for the live id and version, and the held record is used if it is that version.
   */
  private async readLive(actor: Actor, key: { id: string } | { keys: string[] }): Promise<PhoneNumber | undefined> {
    const workspaceId = actor.workspaceId;
    if ('id' in key) {
      return this.readLiveVia(key.id, () => this.liveVersions.byId(key.id, workspaceId), () => this.liveById(this.db, { id: key.id, workspaceId }));
    }
    const exact = key.keys[0]!;
    const values = { exact, e164: key.keys[1] ?? exact, workspaceId };
    const heldId = key.keys.map((k) => this.recent.idOf(k)).find((id) => id !== undefined);
    return this.readLiveVia(
      heldId,
      () => {
        const rows = this.liveVersions.byNumber(key.keys, workspaceId);
        return Array.isArray(rows) ? preferredOnly(rows, exact) : rows.then((found) => preferredOnly(found, exact));
      },
      async () => preferredOnly(await this.liveByNumber(this.db, values), exact),
    );
  }

  private async readLiveVia(
    heldId: string | undefined,
    liveVersion: () => LiveVersion[] | Promise<LiveVersion[]>,
    liveRow: () => Promise<PhoneNumberRow[]>,
  ): Promise<PhoneNumber | undefined> {
    if (heldId !== undefined && this.recent.holds(heldId)) {
      // Synchronous on SQLite (no await, no turn of the event loop) unless a transaction holds the connection.
      const versions = liveVersion();
      const [live] = Array.isArray(versions) ? versions : await versions;
      if (!live) return undefined;
      const held = this.recent.at(live.id, live.version);
      if (held) return held;
    }
    const [row] = await liveRow();
    return row ? this.recent.remember(row) : undefined;
  }

  async list(actor: Actor, query: ListQuery): Promise<Page<PhoneNumber>> {
    requireScope(actor, 'numbers:read');
    return listHeld(this.deps.database, this.recent, actor.workspaceId, query);
  }

  async count(actor: Actor, query: CountQuery): Promise<number> {
    requireScope(actor, 'numbers:read');
    return countNumbers(this.db, actor.workspaceId, query);
  }

  /**
   * Applies a partial update: an absent field keeps its value, `null` clears it. With
   * `ifVersion` the write only happens if nobody changed the record since that version.
   */
  async update(
    actor: Actor,
    idOrNumber: string,
    changes: PhoneNumberChanges,
    options: { ifVersion?: number } = {},
  ): Promise<PhoneNumber> {
    requireScope(actor, 'numbers:write');
    const issues = new IssueCollector();
    const normalised = validateChanges(issues, changes);
    issues.throwIfAny();
    const now = nowIso(this.deps);
    // Without If-Match the caller asked for "apply my change", not "apply it to the version I
    // saw": a concurrent writer makes us re-read and re-apply, never fail or overwrite.
    const policy = concurrentWritePolicy(options.ifVersion === undefined ? CONCURRENT_UPDATE_ATTEMPTS : 1);
    const agentsChange = AGENT_LISTS.some((name) => normalised[name] !== undefined);
    const touched = new Set(Object.keys(normalised));
    // Where the update and its event are one statement (PostgreSQL) and the agent rows stay as
    // they are, that statement is the whole write: no transaction (BEGIN, COMMIT) around it.
    const write = <T>(work: (db: Db) => Promise<T>) => (this.updateNumber.atomic && !agentsChange ? work(this.db) : inTransaction(this.db, work));
    await this.feed.ready();
    const applyTo = async (trx: Db, current: Readonly<PhoneNumberRow>, beforeRecord = rowToPhoneNumber(current)): Promise<UpdateOutcome> => {
      if (options.ifVersion !== undefined && current.version !== options.ifVersion) {
        throw new PreconditionFailedError(`the number changed since version ${options.ifVersion} (now ${current.version})`);
      }
      if (normalised.fallback_number === current.e164) {
        throw ValidationError.field('fallback_number', 'must not be the number itself');
      }
      const next = mergeRow(current, normalised, now, this.seal);
      next.version = current.version + 1;
      const afterRecord = rowToPhoneNumber(next);
      const changed = changedFields(beforeRecord, afterRecord, touched);
      // A new password is a change even when one was stored before (the ciphertext says nothing).
      if (typeof changes.sip?.auth_password === 'string' && !changed.includes('sip.auth_password')) changed.push('sip.auth_password');
      // Nothing changes: no write, no audit event, the same version (and ETag).
      if (changed.length === 0) return { written: null, after: beforeRecord };
      const broken = ruleIssues([next], await storedFacts(trx, actor.workspaceId, [next]));
      if (broken.length > 0) throw new ValidationError(broken.map(({ issue }) => issue));
      // Conditional on the version we read, so two racing updates cannot both apply.
      const event = eventRow(actor, { action: 'update', phoneNumberId: current.id, changed, before: beforeRecord, after: afterRecord, at: now });
      // Other instances are told by the UPDATE itself (PostgreSQL: its statement ends with the NOTIFY).
      await this.updateAtVersion(trx, current, next, event, this.feed.numberNotice(current.id));
      if (agentsChange) {
        await trx.deleteFrom('phone_number_agents').where('phone_number_id', '=', current.id).execute();
        await this.insertAgents(trx, agentRowsOf(next));
      }
      return { written: { before: beforeRecord, row: next }, after: afterRecord };
    };
    // A held version of the number spares the read: its UPDATE is conditional on that version,
    // so if another writer got there first (or the number is gone) nothing is written, and the
    // update runs again from the store exactly as below. So does one that the held version would
    // reject or find unchanged: only the live row may decide those.
    const held = this.heldToUpdate(actor, idOrNumber, options.ifVersion);
    let outcome = held ? await write((trx) => applyTo(trx, held.row, held.record)).catch(unlessStale) : undefined;
    if (outcome?.written === null) outcome = undefined;
    outcome ??= await retrying(policy, () => write(async (trx) => applyTo(trx, await this.liveRow(trx, actor, idOrNumber))));
    if (!outcome.written) return outcome.after;
    // Committed: the new version is held (the next read or update of it starts from there).
    const after = this.recent.remember(outcome.written.row, outcome.after);
    this.feed.publishNumbers([{ before: outcome.written.before, after }]);
    return after;
  }

  /** The held version of a number of the actor's workspace, by id, that an update may start from (the one If-Match names, if any). */
  private heldToUpdate(actor: Actor, idOrNumber: string, ifVersion: number | undefined): Held | undefined {
    const held = isId(idOrNumber) ? this.recent.latest(idOrNumber) : undefined;
    if (held === undefined || held.row.workspace_id !== actor.workspaceId) return undefined;
    return ifVersion === undefined || ifVersion === held.row.version ? held : undefined;
  }

  /** Soft delete: the record leaves every read and list, its history stays, the number is free again. */
  async remove(actor: Actor, idOrNumber: string): Promise<PhoneNumber> {
    requireScope(actor, 'numbers:write');
    const now = nowIso(this.deps);
    // PostgreSQL: the other instances' notice goes out with the delete's own statement, at its
    // commit (a notice sent after the commit is lost if the process dies in between).
    await this.feed.ready();
    const before = await retrying(concurrentWritePolicy(CONCURRENT_UPDATE_ATTEMPTS), () => inTransaction(this.db, async (trx) => {
      const current = await this.liveRow(trx, actor, idOrNumber);
      const gone = { status: 'deleted', deleted_at: now, updated_at: now, version: current.version + 1 };
      // Conditional on the version read, so the audit trail's "before" is the state deleted.
      const record = rowToPhoneNumber(current);
      const after = rowToPhoneNumber({ ...current, ...gone });
      const notice = this.feed.numberNotice(current.id);
      await this.updateAtVersion(trx, current, gone, eventRow(actor, { action: 'delete', phoneNumberId: current.id, changed: ['status'], before: record, after, at: now }), notice);
      await trx.deleteFrom('phone_number_agents').where('phone_number_id', '=', current.id).execute();
      return record;
    }));
    this.feed.publishNumbers([{ before, after: null }]);
    return before;
  }

  /**
   * The audit trail of a number. By id it stays readable after a delete (the history is kept);
   * by number it is the trail of the live record.
   */
  async events(actor: Actor, idOrNumber: string): Promise<NumberEvent[]> {
    requireScope(actor, 'numbers:read');
    const id = isId(idOrNumber)
      ? (
          await this.db
            .selectFrom('phone_numbers')
            .select('id')
            .where('id', '=', idOrNumber)
            .where('workspace_id', '=', actor.workspaceId)
            .executeTakeFirst()
        )?.id
      : (await this.liveRow(this.db, actor, idOrNumber)).id;
    if (!id) throw new NotFoundError(`phone number ${idOrNumber} not found`);
    return eventsOf(this.db, actor.workspaceId, id);
  }

  /** The sealed (encrypted) SIP password of a number, for the transports that must hand it to a SIP stack. */
  async sipPassword(actor: Actor, id: string): Promise<string | null> {
    requireScope(actor, 'numbers:read');
    const row = await this.liveRowById(this.db, actor, id);
    return row.sip_auth_password === null ? null : this.deps.secrets.open(row.sip_auth_password);
  }

  private liveRow(db: Db, actor: Actor, idOrNumber: string): Promise<PhoneNumberRow> {
    return isId(idOrNumber) ? this.liveRowById(db, actor, idOrNumber) : this.liveRowByNumber(db, actor, idOrNumber);
  }

  private async liveRowById(db: Db, actor: Actor, id: string): Promise<PhoneNumberRow> {
    const row = isId(id) ? (await this.liveById(db, { id, workspaceId: actor.workspaceId }))[0] : undefined;
    // Another workspace's number is reported exactly like a missing one.
    if (!row) throw new NotFoundError(`phone number ${id} not found`);
    return row;
  }

  private async liveRowByNumber(db: Db, actor: Actor, number: string): Promise<PhoneNumberRow> {
    const [exact, e164 = exact] = numberKeys(number);
    const row = exact === undefined ? undefined : preferred(await this.liveByNumber(db, { exact, e164: e164!, workspaceId: actor.workspaceId }), exact);
    if (!row) throw new NotFoundError(`phone number ${number} not found`);
    return row;
  }

  /**
   * Writes the columns of `values` that differ from `current`, and `event`, only while the row is
   * still at the version read; otherwise a concurrent writer won (ConcurrentChange).
   */
  private async updateAtVersion(db: Db, current: Readonly<PhoneNumberRow>, values: Partial<PhoneNumberRow>, event: PhoneNumberEventRow, notice: WriteNotice | null = null): Promise<void> {
    const changed: Partial<Record<keyof PhoneNumberRow, unknown>> = {};
    for (const column of Object.keys(values) as Array<keyof PhoneNumberRow>) {
      if (values[column] !== current[column]) changed[column] = values[column];
    }
    const updated = await this.updateNumber.run(db, changed as Partial<PhoneNumberRow>, { id: current.id, version: current.version }, event, notice);
    if (updated !== 1) throw new ConcurrentChange();
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

/**
 * Re-runs a read-modify-write transaction when another writer changed the row between our read
 * and our conditional write; with one attempt (the caller sent a version) that is a 412.
 */
function concurrentWritePolicy(attempts: number) {
  return {
    attempts,
    retryOn: isConcurrentChange,
    exhausted: () => new PreconditionFailedError('the number was changed concurrently; retry with the latest version'),
  };
}

/** What an update did: `written` null when nothing changed (no write, no event). */
interface UpdateOutcome {
  written: { before: PhoneNumber; row: PhoneNumberRow } | null;
  after: PhoneNumber;
}

/** An update tried on a held version that may be stale: undefined (try again from the store) when it lost to a newer version or broke a rule. */
function unlessStale(error: unknown): undefined {
  if (isConcurrentChange(error) || error instanceof ValidationError) return undefined;
  throw error;
}

/** Of the live rows a reference found (at most two), the one stored under the exact reference, else the other. */
function preferred<T extends { e164: string }>(rows: T[], exact: string): T | undefined {
  return rows.find((row) => row.e164 === exact) ?? rows[0];
}

/** `preferred` as a list of none or one. */
function preferredOnly<T extends { e164: string }>(rows: T[], exact: string): T[] {
  const row = preferred(rows, exact);
  return row === undefined ? [] : [row];
}

function failure(index: number, code: ErrorCode, message: string, errors: FieldIssue[]): BulkItemResult {
  return { index, status: 'failed', code, message, errors };
}
