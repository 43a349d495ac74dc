import { sql, type Kysely, type Transaction } from 'kysely';
import { isUniqueViolation } from '../../db/database.ts';
import { rowInserter } from '../../db/bulk-insert.ts';
import { preparedQuery } from '../../db/prepared.ts';
import { PHONE_NUMBER_AGENT_COLUMNS, PHONE_NUMBER_COLUMNS, PHONE_NUMBER_EVENT_COLUMNS, type PhoneNumberRow, type Tables } from '../../db/tables.ts';
import { describeNumber, canonicalE164 } from '../../domain/phone.ts';
import { newId, isId } from '../../domain/ids.ts';
import type { ChangeFeed } from '../change-feed.ts';
import { nowIso, requireScope, type Actor, type ServiceDeps } from '../context.ts';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError, type FieldIssue } from '../errors.ts';
import {
  AGENT_LISTS,
  SIP_DEFAULTS,
  rowToPhoneNumber,
  type PhoneNumber,
  type PhoneNumberChanges,
  type PhoneNumberImport,
} from './model.ts';
import { IssueCollector, validateChanges, validatePhoneNumberField } from './validate.ts';
import { RecentRecords } from './recent-records.ts';

/** How many single-number reads are kept decoded (a few MB): enough for the numbers a platform reads over and over. */
const RECENT_RECORDS = 10_000;

export interface ImportOptions {
  /** Accept numbers libphonenumber does not know (Retell's `ignore_e164_validation`); the E.164 shape is still required. */
  allowUnknownNumbers?: boolean;
}

export interface ListQuery {
  limit: number;
  cursor?: string | undefined;
  /** Skip this many records instead of using a cursor (Synthflow's offset pages). */
  offset?: number | undefined;
  order?: 'asc' | 'desc';
  status?: string | undefined;
  country?: string | undefined;
  capability?: 'voice' | 'sms' | undefined;
  agent_id?: string | undefined;
  /** true: numbers with no inbound agent; false: numbers with one. */
  available?: boolean | undefined;
  /** Case-insensitive substring of the number or the nickname. */
  q?: string | undefined;
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export type BulkItemResult =
  | { index: number; status: 'created'; phone_number: PhoneNumber }
  | { index: number; status: 'failed'; code: string; message: string; errors: FieldIssue[] };

export interface NumberEvent {
  id: string;
  action: 'create' | 'update' | 'delete';
  actor_key_id: string | null;
  /** The acting key's name when it has one (null for unnamed keys and the CLI). */
  actor_key_name: string | null;
  changed_fields: string[];
  before: Omit<PhoneNumber, 'version'> | null;
  after: Omit<PhoneNumber, 'version'> | null;
  at: string;
}

type Db = Kysely<Tables> | Transaction<Tables>;

interface Candidate {
  index: number;
  row: PhoneNumberRow;
  /** The fields the client set, for the audit trail's `changed_fields`. */
  given: string[];
  /** The record of `row`, once built. */
  record?: PhoneNumber;
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isId(id)) throw ValidationError.field('cursor', 'is not a cursor returned by this API');
  return id;
}

/** One page of a keyset query by id that fetched `limit + 1` rows (the extra row says there is more). */
export function pageOf<R extends { id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  return { data: page.map(map), has_more: hasMore, next_cursor: hasMore ? encodeCursor(page.at(-1)!.id) : null };
}

/** The row's version moved between our read and our conditional write. */
class ConcurrentChange extends Error {}

export class PhoneNumberService {
  // The reads behind every single-number request, compiled once (see src/db/prepared.ts).
  private readonly liveById;
  private readonly liveByNumber;
  private readonly liveVersionById;
  private readonly liveVersionByNumber;
  private readonly recent = new RecentRecords(RECENT_RECORDS);
  // The bulk import's inserts: SQL built once per row count, not by Kysely per batch (see src/db/bulk-insert.ts).
  private readonly insertNumbers;
  private readonly insertAgents;
  private readonly insertEvents;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly feed: ChangeFeed,
  ) {
    this.liveById = preparedQuery(deps.database.db, ['id', 'workspaceId'], (db, v) =>
      db.selectFrom('phone_numbers').selectAll().where('id', '=', v.id).where('workspace_id', '=', v.workspaceId).where('deleted_at', 'is', null),
    );
    this.liveByNumber = preparedQuery(deps.database.db, ['e164', 'workspaceId'], (db, v) =>
      db.selectFrom('phone_numbers').selectAll().where('e164', '=', v.e164).where('workspace_id', '=', v.workspaceId).where('deleted_at', 'is', null),
    );
    this.liveVersionById = preparedQuery(deps.database.db, ['id', 'workspaceId'], (db, v) =>
      db.selectFrom('phone_numbers').select(['id', 'version']).where('id', '=', v.id).where('workspace_id', '=', v.workspaceId).where('deleted_at', 'is', null),
    );
    this.liveVersionByNumber = preparedQuery(deps.database.db, ['e164', 'workspaceId'], (db, v) =>
      db.selectFrom('phone_numbers').select(['id', 'version']).where('e164', '=', v.e164).where('workspace_id', '=', v.workspaceId).where('deleted_at', 'is', null),
    );
    const engine = deps.database.engine;
    this.insertNumbers = rowInserter(engine, 'phone_numbers', PHONE_NUMBER_COLUMNS);
    this.insertAgents = rowInserter(engine, 'phone_number_agents', PHONE_NUMBER_AGENT_COLUMNS);
    this.insertEvents = rowInserter(engine, 'phone_number_events', PHONE_NUMBER_EVENT_COLUMNS);
  }

  private get db(): Kysely<Tables> {
    return this.deps.database.db;
  }

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
   * on its own (per-item results), so one bad row does not sink a 10,000-row import.
   */
  async importMany(actor: Actor, inputs: PhoneNumberImport[], options: ImportOptions = {}): Promise<BulkItemResult[]> {
    requireScope(actor, 'numbers:write');
    const now = nowIso(this.deps);
    const results: BulkItemResult[] = new Array(inputs.length);
    const candidates: Candidate[] = [];
    const seenInBatch = new Map<string, number>();

    inputs.forEach((input, index) => {
      const issues = new IssueCollector();
      const e164 = validatePhoneNumberField(issues, 'phone_number', input.phone_number, {
        requireValid: !options.allowUnknownNumbers,
      });
      const changes = validateChanges(issues, input);
      if (e164 && changes.fallback_number === e164) issues.add('fallback_number', 'must not be the number itself');
      if (e164 && seenInBatch.has(e164)) {
        results[index] = failure(index, 'CONFLICT', `${e164} appears earlier in this request (item ${seenInBatch.get(e164)})`, [
          { field: 'phone_number', message: 'duplicate within the request' },
        ]);
        return;
      }
      if (issues.issues.length > 0 || !e164) {
        results[index] = failure(index, 'VALIDATION_FAILED', 'the number was rejected', issues.issues);
        return;
      }
      seenInBatch.set(e164, index);
      candidates.push({ index, row: this.newRow(actor.workspaceId, e164, changes, now), given: givenFields(input) });
    });

    const created = await this.withUniqueRetry(() =>
      this.db.transaction().execute(async (trx) => {
        const accepted = await this.checkAgainstStore(trx, actor, candidates, results);
        await this.insertNumbers(trx, accepted.map((c) => c.row));
        await this.insertAgents(trx, accepted.flatMap((c) => agentRowsOf(c.row)));
        await this.insertEvents(
          trx,
          accepted.map((c) => {
            c.record = rowToPhoneNumber(c.row);
            return {
              id: newId(),
              workspace_id: actor.workspaceId,
              phone_number_id: c.row.id,
              action: 'create',
              actor_key_id: actor.keyId,
              changed_fields: JSON.stringify(c.given),
              before: null,
              after: JSON.stringify(publicView(c.record)),
              at: now,
            };
          }),
        );
        return accepted;
      }),
    );

    const changes = created.map((c) => {
      // Built once for the audit event inside the transaction; reused for the response.
      const record = c.record ?? rowToPhoneNumber(c.row);
      results[c.index] = { index: c.index, status: 'created', phone_number: record };
      return { before: null, after: record };
    });
    this.feed.publishNumbers(changes);
    return results;
  }

  /** The live record (frozen: it may be shared with other readers). */
  async get(actor: Actor, id: string): Promise<PhoneNumber> {
    requireScope(actor, 'numbers:read');
    const record = isId(id) ? await this.readLive(actor, { id }) : undefined;
    // Another workspace's number is reported exactly like a missing one.
    if (!record) throw new NotFoundError(`phone number ${id} not found`);
    return record;
  }

  /** Looks a number up by E.164, accepting it with or without `+`. */
  async getByNumber(actor: Actor, number: string): Promise<PhoneNumber> {
    requireScope(actor, 'numbers:read');
    const e164 = canonicalE164(number);
    const record = e164 ? await this.readLive(actor, { e164 }) : undefined;
    if (!record) throw new NotFoundError(`phone number ${e164 ?? number} not found`);
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
  private async readLive(actor: Actor, key: { id: string } | { e164: string }): Promise<PhoneNumber | undefined> {
    const workspaceId = actor.workspaceId;
    const heldId = 'id' in key ? key.id : this.recent.idOf(key.e164);
    if (heldId !== undefined && this.recent.holds(heldId)) {
      const [live] = 'id' in key ? await this.liveVersionById(this.db, { id: key.id, workspaceId }) : await this.liveVersionByNumber(this.db, { e164: key.e164, workspaceId });
      if (!live) return undefined;
      const held = this.recent.at(live.id, live.version);
      if (held) return held;
    }
    const [row] = 'id' in key ? await this.liveById(this.db, { id: key.id, workspaceId }) : await this.liveByNumber(this.db, { e164: key.e164, workspaceId });
    return row ? this.recent.remember(rowToPhoneNumber(row)) : undefined;
  }

  async list(actor: Actor, query: ListQuery): Promise<Page<PhoneNumber>> {
    requireScope(actor, 'numbers:read');
    const order = query.order ?? 'asc';
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    let select = this.filtered(actor, query, after === undefined).selectAll();
    if (after !== undefined) {
      // Keyset on (workspace_id, id) as one row value, the workspace bounded on the far side
      // instead of by equality: PostgreSQL then seeks the (workspace_id, id) index straight to
      // the cursor. With `workspace_id = $1 AND id > $2` it walked the primary key from the
      // cursor through other workspaces' newer numbers (last page ×2.4 the first at 1,000,000
      // numbers), and with the equality beside the row value it read the workspace from its
      // first entry. Same rows either way: only this workspace's, after the cursor.
      const workspaceId = actor.workspaceId;
      select = select
        .where(({ eb, refTuple, tuple }) => eb(refTuple('workspace_id', 'id'), order === 'asc' ? '>' : '<', tuple(workspaceId, after)))
        .where('workspace_id', order === 'asc' ? '<=' : '>=', workspaceId);
    }
    select = select.orderBy('workspace_id', order).orderBy('id', order).limit(query.limit + 1);
    if (query.offset) select = select.offset(query.offset);
    return pageOf(await select.execute(), query.limit, rowToPhoneNumber);
  }

  async count(actor: Actor, query: Omit<ListQuery, 'limit' | 'cursor' | 'offset' | 'order'>): Promise<number> {
    requireScope(actor, 'numbers:read');
    const row = await this.filtered(actor, { ...query, limit: 0 })
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .executeTakeFirstOrThrow();
    return Number(row.total);
  }

  /** The live numbers of the actor's workspace that match the query's filters (`list` may bound the workspace itself). */
  private filtered(actor: Actor, query: ListQuery, pinWorkspace = true) {
    let select = this.db.selectFrom('phone_numbers').where('deleted_at', 'is', null);
    if (pinWorkspace) select = select.where('workspace_id', '=', actor.workspaceId);
    if (query.status) select = select.where('status', '=', query.status);
    if (query.country) select = select.where('country', '=', query.country.toUpperCase());
    if (query.capability) select = select.where(query.capability, '=', 1);
    if (query.available !== undefined) select = select.where('has_inbound_agent', '=', query.available ? 0 : 1);
    if (query.agent_id) {
      const agentId = query.agent_id;
      select = select.where('id', 'in', (eb) =>
        eb
          .selectFrom('phone_number_agents')
          .select('phone_number_id')
          .where('workspace_id', '=', actor.workspaceId)
          .where('agent_id', '=', agentId),
      );
    }
    const text = query.q?.trim();
    if (text) {
      // A query string decodes `+` as a space, and people type numbers with spaces, dashes and
      // parentheses: anything that looks like part of a number is matched on its digits.
      const digits = /^[\d\s()+.-]+$/.test(text) ? text.replace(/\D/g, '') : null;
      const numberPattern = likePattern(digits ?? text);
      const nicknamePattern = likePattern(text.toLowerCase());
      select = select.where((eb) =>
        eb.or([
          sql<boolean>`${sql.ref('e164')} like ${numberPattern} escape '\\'`,
          sql<boolean>`lower(${sql.ref('nickname')}) like ${nicknamePattern} escape '\\'`,
        ]),
      );
    }
    return select;
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
    const { before, after } = await this.retryOnConcurrentChange(options.ifVersion === undefined, () => this.db.transaction().execute(async (trx) => {
      const current = await this.liveRow(trx, actor, idOrNumber);
      if (options.ifVersion !== undefined && current.version !== options.ifVersion) {
        throw new PreconditionFailedError(`the number changed since version ${options.ifVersion} (now ${current.version})`);
      }
      if (normalised.fallback_number === current.e164) {
        throw ValidationError.field('fallback_number', 'must not be the number itself');
      }
      const next = this.mergeRow(current, normalised, now);
      next.version = current.version + 1;
      const beforeRecord = rowToPhoneNumber(current);
      const afterRecord = rowToPhoneNumber(next);
      const changed = changedFields(beforeRecord, afterRecord);
      // A new password is a change even when one was stored before (the ciphertext says nothing).
      if (typeof changes.sip?.auth_password === 'string' && !changed.includes('sip.auth_password')) changed.push('sip.auth_password');
      // Nothing changes: no write, no audit event, the same version (and ETag).
      if (changed.length === 0) return { before: null, after: beforeRecord };
      const ruleIssues = [
        ...(await this.carrierIssues(trx, actor, [next])),
        ...(await this.fallbackIssues(trx, actor, [next])),
      ];
      if (ruleIssues.length > 0) throw new ValidationError(ruleIssues.map(withoutRowKey));
      // Conditional on the version we read, so two racing updates cannot both apply.
      await updateAtVersion(trx, current, next);
      if (AGENT_LISTS.some((name) => normalised[name] !== undefined)) {
        await trx.deleteFrom('phone_number_agents').where('phone_number_id', '=', current.id).execute();
        const agentRows = agentRowsOf(next);
        if (agentRows.length > 0) await trx.insertInto('phone_number_agents').values(agentRows).execute();
      }
      await this.recordEvent(trx, actor, 'update', current.id, changed, beforeRecord, afterRecord, now);
      return { before: beforeRecord, after: afterRecord };
    }));
    if (before) this.feed.publishNumbers([{ before, after }]);
    return after;
  }

  /** Soft delete: the record leaves every read and list, its history stays, the number is free again. */
  async remove(actor: Actor, idOrNumber: string): Promise<PhoneNumber> {
    requireScope(actor, 'numbers:write');
    const now = nowIso(this.deps);
    const before = await this.retryOnConcurrentChange(true, () => this.db.transaction().execute(async (trx) => {
      const current = await this.liveRow(trx, actor, idOrNumber);
      const gone = { status: 'deleted', deleted_at: now, updated_at: now, version: current.version + 1 };
      // Conditional on the version read, so the audit trail's "before" is the state deleted.
      await updateAtVersion(trx, current, gone);
      await trx.deleteFrom('phone_number_agents').where('phone_number_id', '=', current.id).execute();
      const record = rowToPhoneNumber(current);
      await this.recordEvent(trx, actor, 'delete', current.id, ['status'], record, rowToPhoneNumber({ ...current, ...gone }), now);
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
    const rows = await this.db
      .selectFrom('phone_number_events as e')
      .leftJoin('api_keys as k', 'k.id', 'e.actor_key_id')
      .selectAll('e')
      .select('k.name as actor_key_name')
      .where('e.workspace_id', '=', actor.workspaceId)
      .where('e.phone_number_id', '=', id)
      .orderBy('e.id', 'asc')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      action: row.action as NumberEvent['action'],
      actor_key_id: row.actor_key_id,
      actor_key_name: row.actor_key_name ?? null,
      changed_fields: JSON.parse(row.changed_fields) as string[],
      before: row.before ? JSON.parse(row.before) : null,
      after: row.after ? JSON.parse(row.after) : null,
      at: row.at,
    }));
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
    const e164 = canonicalE164(number);
    const row = e164 ? (await this.liveByNumber(db, { e164, workspaceId: actor.workspaceId }))[0] : undefined;
    if (!row) throw new NotFoundError(`phone number ${e164 ?? number} not found`);
    return row;
  }

  private newRow(workspaceId: string, e164: string, changes: PhoneNumberChanges, now: string): PhoneNumberRow {
    const facts = describeNumber(e164);
    const base: PhoneNumberRow = {
      id: newId(),
      workspace_id: workspaceId,
      e164,
      status: 'active',
      source: 'manual',
      provider_sid: null,
      carrier_id: null,
      nickname: null,
      voice: 1,
      sms: 0,
      country: facts.country,
      region: facts.region,
      locality: facts.locality,
      area_code: facts.area_code,
      number_type: facts.number_type,
      time_zones: JSON.stringify(facts.time_zones),
      pretty: facts.pretty,
      sip_termination_uri: null,
      sip_outbound_proxy: null,
      sip_auth_username: null,
      sip_auth_password: null,
      sip_transport: SIP_DEFAULTS.transport,
      sip_uac_enabled: SIP_DEFAULTS.uac_enabled ? 1 : 0,
      sip_uac_register_expires: SIP_DEFAULTS.uac_register_expires,
      inbound_agents: '[]',
      outbound_agents: '[]',
      inbound_sms_agents: '[]',
      outbound_sms_agents: '[]',
      has_inbound_agent: 0,
      allowed_inbound_countries: '[]',
      allowed_outbound_countries: '[]',
      inbound_webhook_url: null,
      inbound_sms_webhook_url: null,
      fallback_number: null,
      max_concurrent_calls: null,
      calling_hours: null,
      error_message: null,
      version: 1,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
    return this.mergeRow(base, changes, now);
  }

  /** The row after applying changes: absent keeps, null resets to the default. */
  private mergeRow(current: PhoneNumberRow, changes: PhoneNumberChanges, now: string): PhoneNumberRow {
    const next: PhoneNumberRow = { ...current, updated_at: now };
    const pick = <T>(value: T | null | undefined, fallback: T, keep: T): T =>
      value === undefined ? keep : value === null ? fallback : value;
    next.status = pick(changes.status, 'active', current.status);
    next.source = pick(changes.source, 'manual', current.source);
    next.provider_sid = pick(changes.provider_sid, null, current.provider_sid);
    next.carrier_id = pick(changes.carrier_id, null, current.carrier_id);
    next.nickname = pick(changes.nickname, null, current.nickname);
    next.error_message = pick(changes.error_message, null, current.error_message);
    if (changes.capabilities === null) {
      next.voice = 1;
      next.sms = 0;
    } else if (changes.capabilities) {
      next.voice = pick(changes.capabilities.voice, true, current.voice === 1) ? 1 : 0;
      next.sms = pick(changes.capabilities.sms, false, current.sms === 1) ? 1 : 0;
    }
    const sip = changes.sip === null ? clearedSip : changes.sip;
    if (sip) {
      next.sip_termination_uri = pick(sip.termination_uri, null, current.sip_termination_uri);
      next.sip_outbound_proxy = pick(sip.outbound_proxy, null, current.sip_outbound_proxy);
      next.sip_auth_username = pick(sip.auth_username, null, current.sip_auth_username);
      next.sip_transport = pick(sip.transport, SIP_DEFAULTS.transport, current.sip_transport as typeof SIP_DEFAULTS.transport);
      next.sip_uac_enabled = pick(sip.uac_enabled, SIP_DEFAULTS.uac_enabled, current.sip_uac_enabled === 1) ? 1 : 0;
      next.sip_uac_register_expires = pick(sip.uac_register_expires, SIP_DEFAULTS.uac_register_expires, current.sip_uac_register_expires);
      if (sip.auth_password !== undefined) {
        next.sip_auth_password = sip.auth_password === null ? null : this.deps.secrets.seal(sip.auth_password);
      }
    }
    for (const name of AGENT_LISTS) {
      const list = changes[name];
      if (list !== undefined) next[name] = JSON.stringify(list ?? []);
    }
    next.has_inbound_agent = next.inbound_agents === '[]' ? 0 : 1;
    if (changes.allowed_inbound_country_list !== undefined) {
      next.allowed_inbound_countries = JSON.stringify(changes.allowed_inbound_country_list ?? []);
    }
    if (changes.allowed_outbound_country_list !== undefined) {
      next.allowed_outbound_countries = JSON.stringify(changes.allowed_outbound_country_list ?? []);
    }
    next.inbound_webhook_url = pick(changes.inbound_webhook_url, null, current.inbound_webhook_url);
    next.inbound_sms_webhook_url = pick(changes.inbound_sms_webhook_url, null, current.inbound_sms_webhook_url);
    next.fallback_number = pick(changes.fallback_number, null, current.fallback_number);
    next.max_concurrent_calls = pick(changes.max_concurrent_calls, null, current.max_concurrent_calls);
    if (changes.calling_hours !== undefined) {
      next.calling_hours = changes.calling_hours === null ? null : JSON.stringify(changes.calling_hours);
    }
    return next;
  }

  /** Drops candidates that clash with live records or break cross-record rules; returns the rest. */
  private async checkAgainstStore(
    trx: Db,
    actor: Actor,
    candidates: Candidate[],
    results: BulkItemResult[],
  ): Promise<Candidate[]> {
    const taken = new Set<string>();
    for (let start = 0; start < candidates.length; start += 500) {
      const numbers = candidates.slice(start, start + 500).map((c) => c.row.e164);
      const rows = await trx
        .selectFrom('phone_numbers')
        .select('e164')
        .where('e164', 'in', numbers)
        .where('deleted_at', 'is', null)
        .execute();
      for (const row of rows) taken.add(row.e164);
    }
    const fresh = candidates.filter((c) => {
      if (!taken.has(c.row.e164)) return true;
      // Whichever workspace holds it: the same answer, so existence elsewhere is not confirmed beyond "taken".
      results[c.index] = failure(c.index, 'CONFLICT', `${c.row.e164} is already registered`, [
        { field: 'phone_number', message: 'already registered' },
      ]);
      return false;
    });
    const rows = fresh.map((c) => c.row);
    const issuesByRow = new Map<string, FieldIssue[]>();
    for (const issue of [...(await this.carrierIssues(trx, actor, rows)), ...(await this.fallbackIssues(trx, actor, rows))]) {
      const [e164, field] = issue.field.split('|') as [string, string];
      issuesByRow.set(e164, [...(issuesByRow.get(e164) ?? []), { field, message: issue.message }]);
    }
    if (issuesByRow.size === 0) return fresh;
    return fresh.filter((c) => {
      const issues = issuesByRow.get(c.row.e164);
      if (!issues) return true;
      results[c.index] = failure(c.index, 'VALIDATION_FAILED', 'the number was rejected', issues);
      return false;
    });
  }

  private async carrierIssues(trx: Db, actor: Actor, rows: PhoneNumberRow[]): Promise<FieldIssue[]> {
    const wanted = [...new Set(rows.map((row) => row.carrier_id).filter((id): id is string => id !== null))];
    if (wanted.length === 0) return [];
    const found = new Set(
      (
        await trx
          .selectFrom('carriers')
          .select('id')
          .where('workspace_id', '=', actor.workspaceId)
          .where('deleted_at', 'is', null)
          .where('id', 'in', wanted.filter(isId).length > 0 ? wanted.filter(isId) : ['-'])
          .execute()
      ).map((row) => row.id),
    );
    return rows
      .filter((row) => row.carrier_id !== null && !found.has(row.carrier_id))
      .map((row) => issueFor(row, 'carrier_id', `carrier ${row.carrier_id} not found`));
  }

  /**
   * No fallback chains, in either direction, within the workspace: a number's fallback may not
   * have a fallback of its own, and a number that is another number's fallback may not get one.
   */
  private async fallbackIssues(trx: Db, actor: Actor, rows: PhoneNumberRow[]): Promise<FieldIssue[]> {
    const withFallback = rows.filter((row) => row.fallback_number !== null);
    const issues: FieldIssue[] = [];
    if (withFallback.length > 0) {
      const batchFallbackOf = new Map(rows.map((row) => [row.e164, row.fallback_number]));
      const batchTargets = new Map(withFallback.map((row) => [row.fallback_number!, row.e164]));
      // A Set: a 10,000-number import with fallbacks would otherwise compare every stored row with every id.
      const ids = new Set(rows.map((row) => row.id));
      const targets = [...new Set(withFallback.map((row) => row.fallback_number!))];
      const stored = await trx
        .selectFrom('phone_numbers')
        .select(['e164', 'fallback_number', 'id'])
        .where('workspace_id', '=', actor.workspaceId)
        .where('deleted_at', 'is', null)
        .where('e164', 'in', targets)
        .execute();
      const storedFallback = new Map(stored.filter((row) => !ids.has(row.id)).map((row) => [row.e164, row.fallback_number]));
      for (const row of withFallback) {
        const target = row.fallback_number!;
        const targetFallback = batchFallbackOf.has(target) ? batchFallbackOf.get(target) : storedFallback.get(target);
        if (targetFallback) {
          issues.push(issueFor(row, 'fallback_number', `${target} has its own fallback number (${targetFallback}); fallback chains are not allowed`));
        }
      }
      const referrers = await trx
        .selectFrom('phone_numbers')
        .select(['e164', 'fallback_number', 'id'])
        .where('workspace_id', '=', actor.workspaceId)
        .where('deleted_at', 'is', null)
        .where('fallback_number', 'in', withFallback.map((row) => row.e164))
        .execute();
      const referrerOf = new Map(referrers.filter((row) => !ids.has(row.id)).map((row) => [row.fallback_number!, row.e164]));
      for (const row of withFallback) {
        const referrer = batchTargets.get(row.e164) ?? referrerOf.get(row.e164);
        if (referrer && referrer !== row.e164) {
          issues.push(issueFor(row, 'fallback_number', `${row.e164} is the fallback number of ${referrer}, so it cannot have a fallback of its own`));
        }
      }
    }
    return issues;
  }

  private async recordEvent(
    trx: Db,
    actor: Actor,
    action: NumberEvent['action'],
    phoneNumberId: string,
    changed: string[],
    before: PhoneNumber | null,
    after: PhoneNumber | null,
    at: string,
  ): Promise<void> {
    await trx
      .insertInto('phone_number_events')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        phone_number_id: phoneNumberId,
        action,
        actor_key_id: actor.keyId,
        changed_fields: JSON.stringify(changed),
        before: before ? JSON.stringify(publicView(before)) : null,
        after: after ? JSON.stringify(publicView(after)) : null,
        at,
      })
      .execute();
  }

  /** PostgreSQL can lose a check-then-insert race to a concurrent import; the unique index decides, and we re-check. */
  /**
   * Runs a read-modify-write transaction again when another writer changed the row between our
   * read and our conditional write. With `retry` false (the caller sent a version), that is a 412.
   */
  private async retryOnConcurrentChange<T>(retry: boolean, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof ConcurrentChange)) throw error;
        if (!retry || attempt >= 20) {
          throw new PreconditionFailedError('the number was changed concurrently; retry with the latest version');
        }
      }
    }
  }

  private async withUniqueRetry<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 5) {
          if (isUniqueViolation(error)) throw new ConflictError('the number is already registered');
          throw error;
        }
      }
    }
  }
}

const clearedSip = {
  termination_uri: null,
  outbound_proxy: null,
  auth_username: null,
  auth_password: null,
  transport: null,
  uac_enabled: null,
  uac_register_expires: null,
};

/** A LIKE pattern matching `text` anywhere, with LIKE's own wildcards taken literally (escape `\`). */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The writable fields an import set (nested SIP settings as `sip.<name>`), for the create event. */
function givenFields(input: PhoneNumberImport): string[] {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (key === 'sip' && value !== null && typeof value === 'object') {
      for (const [sipKey, sipValue] of Object.entries(value)) if (sipValue !== undefined) fields.push(`sip.${sipKey}`);
    } else {
      fields.push(key);
    }
  }
  return fields;
}

function failure(index: number, code: string, message: string, errors: FieldIssue[]): BulkItemResult {
  return { index, status: 'failed', code, message, errors };
}

/** Issues for batches carry the row's number before a `|`, so the caller can route them back. */
function issueFor(row: PhoneNumberRow, field: string, message: string): FieldIssue {
  return { field: `${row.e164}|${field}`, message };
}

function withoutRowKey(issue: FieldIssue): FieldIssue {
  return { field: issue.field.slice(issue.field.indexOf('|') + 1), message: issue.message };
}

/** Writes `values` only while the row is still at the version read; otherwise a concurrent writer won. */
async function updateAtVersion(trx: Db, current: PhoneNumberRow, values: Partial<PhoneNumberRow>): Promise<void> {
  const result = await trx
    .updateTable('phone_numbers')
    .set(values)
    .where('id', '=', current.id)
    .where('version', '=', current.version)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new ConcurrentChange();
}

function agentRowsOf(row: PhoneNumberRow) {
  const ids = new Set<string>();
  for (const name of AGENT_LISTS) {
    for (const entry of JSON.parse(row[name]) as Array<{ agent_id: string }>) ids.add(entry.agent_id);
  }
  return [...ids].map((agentId) => ({ phone_number_id: row.id, workspace_id: row.workspace_id, agent_id: agentId }));
}

/** The record as the audit trail keeps it: no version counter, and no secret (only `has_password`). */
function publicView(record: PhoneNumber): Omit<PhoneNumber, 'version'> {
  const { version: _version, ...rest } = record;
  return rest;
}

function changedFields(before: PhoneNumber, after: PhoneNumber): string[] {
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
