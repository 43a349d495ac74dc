import type { Kysely } from 'kysely';
import { rowInserter } from '../../db/bulk-insert.ts';
import { preparedQuery } from '../../db/prepared.ts';
import { rowUpdater, type WriteNotice } from '../../db/single-writes.ts';
import { PHONE_NUMBER_AGENT_COLUMNS, PHONE_NUMBER_EVENT_COLUMNS, type PhoneNumberEventRow, type PhoneNumberRow, type Tables } from '../../db/tables.ts';
import { numberKeys } from '../../domain/phone.ts';
import { isId } from '../../domain/ids.ts';
import type { ChangeFeed } from '../change-feed.ts';
import { nowIso, requireScope, type Actor, type ServiceDeps } from '../context.ts';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../errors.ts';
import type { Page } from '../pages.ts';
import { ConcurrentChange, inTransaction, isConcurrentChange, retrying, type Db } from '../transactions.ts';
import { changedFields, eventRow, eventsOf, type NumberEvent } from './audit.ts';
import { NumberImports, type BulkItemResult, type DecodedImport, type ImportOptions } from './imports.ts';
import { countNumbers, listHeld, type CountQuery, type ListQuery } from './listing.ts';
import { AGENT_LISTS, type PhoneNumber, type PhoneNumberChanges, type PhoneNumberImport } from './model.ts';
import { LiveVersions, type LiveVersion } from './live-versions.ts';
import { RecentRecords, type Held } from './recent-records.ts';
import { agentRowsOf, mergeRow, rowToPhoneNumber } from './rows.ts';
import { ruleIssues, storedFacts } from './rules.ts';
import { IssueCollector, validateChanges } from './validate.ts';

export type { BulkItemResult, DecodedImport, ImportOptions } from './imports.ts';

/** How many numbers are kept decoded, each with its row (≈ 10-20 MB at most): enough for the numbers a platform reads and updates over and over. */
const RECENT_RECORDS = 10_000;

/** Without If-Match an update is re-read and re-applied this often before it gives up with a 412. */
const CONCURRENT_UPDATE_ATTEMPTS = 20;

/**
 * Phone numbers of a workspace: import (one or many), reads, lists, updates, soft deletes and the
 * audit trail. Imports are imports.ts, the row codec rows.ts, the cross-record rules rules.ts, the
 * trail audit.ts, lists listing.ts; this class holds the reads and the update and delete
 * transactions that tie them together.
 */
export class PhoneNumberService {
  // The reads behind every single-number request, compiled once (see src/db/prepared.ts).
  private readonly liveById;
  private readonly liveByNumber;
  private readonly liveVersions;
  private readonly recent = new RecentRecords(RECENT_RECORDS);
  private readonly imports: NumberImports;
  // Single-number writes set only the columns they change, with their audit event (see src/db/single-writes.ts).
  private readonly updateNumber;
  // An update that changes a number's agents rewrites its agent rows (see src/db/bulk-insert.ts).
  private readonly insertAgents;

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
    this.imports = new NumberImports(deps, feed, this.recent, options);
    this.updateNumber = rowUpdater(engine, 'phone_numbers', ['id', 'version'], 'phone_number_events', PHONE_NUMBER_EVENT_COLUMNS);
    this.insertAgents = rowInserter(engine, 'phone_number_agents', PHONE_NUMBER_AGENT_COLUMNS);
  }

  /** Stops the bulk-import worker thread, if one was started. */
  async close(): Promise<void> {
    await this.imports.close();
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
   * Imports many numbers in one transaction; each item succeeds or fails on its own (per-item
   * results), and the event loop gets a turn between slices of the work (imports.ts).
   */
  importMany(actor: Actor, inputs: PhoneNumberImport[], options: ImportOptions = {}): Promise<BulkItemResult[]> {
    return this.imports.importMany(actor, inputs, options);
  }

  /**
   * Whether `decodeOnWorker` can take encoded input: on a SQLite file, where imports run on the
   * bulk-import worker thread. Elsewhere the transport decodes the input itself and calls `importMany`.
   */
  get decodesOnWorker(): boolean {
    return this.imports.decodesOnWorker;
  }

  /** Hands an import's encoded input to the bulk-import worker to decode there (NumberImports.decodeOnWorker). */
  decodeOnWorker(bytes: Uint8Array, request: unknown): Promise<DecodedImport> {
    return this.imports.decodeOnWorker(bytes, request);
  }

  /** `importMany` of the items `decodeOnWorker` left on the worker: the same checks, transaction, audit and results. */
  importDecoded(actor: Actor, decoded: DecodedImport, options: ImportOptions = {}): Promise<BulkItemResult[]> {
    return this.imports.importDecoded(actor, decoded, options);
  }

  /** Forgets decoded items that will not be imported. */
  dropDecoded(decoded: DecodedImport): void {
    this.imports.dropDecoded(decoded);
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

