import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { stringify } from 'safe-stable-stringify';
import { jsonColumn, type Tables } from '../db/tables.ts';
import { sha256Hex } from '../domain/secrets.ts';
import { nowIso, type ServiceDeps } from './context.ts';
import { ServiceError, ValidationError } from './errors.ts';
import { ConcurrentChange, isConcurrentChange, retrying } from './transactions.ts';

/**
 * The Idempotency-Key store (Stripe's semantics), transport-free. A key is claimed by the first
 * request that names it; when that request completes its response is kept for 24 hours and
 * replayed to any retry with the same key and the same request. Keys are per workspace.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim older than this whose request never completed (the process died) may be taken over by a retry. */
export const IDEMPOTENCY_STALE_CLAIM_MS = 5 * 60 * 1000;
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{8,255}$/;
/** Expired rows are purged lazily: on reuse of their key, and in one sweep every this many claims. */
const PURGE_EVERY_CLAIMS = 100;
/** Each lost race means another request moved the key on (claimed, expired, took over); a few cover any burst. */
const CLAIM_ATTEMPTS = 3;

const headersColumn = jsonColumn<Record<string, string>>();

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Claim = { kind: 'claimed'; token: string } | { kind: 'replay'; response: StoredResponse };

export class IdempotencyKeyReusedError extends ServiceError {
  constructor(key: string) {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      `Idempotency-Key ${key} was already used with a different request (method, path or body); use a new key for a new request`,
      [{ field: 'Idempotency-Key', message: 'was used with a different request' }],
    );
  }
}

export class IdempotencyKeyInUseError extends ServiceError {
  constructor(key: string) {
    super('IDEMPOTENCY_KEY_IN_USE', `a request with Idempotency-Key ${key} is still in progress; retry once it has completed`, [
      { field: 'Idempotency-Key', message: 'is in use by a request in progress' },
    ]);
  }
}

/** What identifies "the same request": method, path with query, and the body with its keys sorted. */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  return sha256Hex(`${method.toUpperCase()} ${url}\n${stringify(body ?? null)}`);
}

export function checkIdempotencyKey(key: string): void {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw ValidationError.field('Idempotency-Key', 'must be 8 to 255 characters of A-Z, a-z, 0-9, "_" and "-"');
  }
}

export class IdempotencyStore {
  private claims = 0;

  constructor(private readonly deps: ServiceDeps) {}

  private get db(): Kysely<Tables> {
    return this.deps.database.db;
  }

  private now(): number {
    return Date.parse(nowIso(this.deps));
  }

  /**
   * Claims `key` for a request with this fingerprint, or says what to do instead: replay the stored
   * response, or fail with 422 (key used for another request) / 409 (its request is still running).
   */
  async claim(workspaceId: string, key: string, fingerprint: string): Promise<Claim> {
    checkIdempotencyKey(key);
    if (++this.claims % PURGE_EVERY_CLAIMS === 0) await this.purgeExpired();
    const policy = { attempts: CLAIM_ATTEMPTS, retryOn: isConcurrentChange, exhausted: () => new IdempotencyKeyInUseError(key) };
    return retrying(policy, async (): Promise<Claim> => {
      const now = this.now();
      const token = crypto.randomUUID();
      const inserted = await this.db
        .insertInto('idempotency_keys')
        .values({
          workspace_id: workspaceId,
          key,
          fingerprint,
          claim_token: token,
          state: 'pending',
          response_status: null,
          response_headers: null,
          response_body: null,
          created_at: new Date(now).toISOString(),
          expires_at: new Date(now + IDEMPOTENCY_TTL_MS).toISOString(),
        })
        .onConflict((oc) => oc.columns(['workspace_id', 'key']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { kind: 'claimed', token };

      const row = await this.db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('key', '=', key)
        .executeTakeFirst();
      // Released or purged since our insert found it: claim it again.
      if (!row) throw new ConcurrentChange();
      if (Date.parse(row.expires_at) <= now) {
        // An expired key is free again: drop it and claim it anew.
        await this.db
          .deleteFrom('idempotency_keys')
          .where('workspace_id', '=', workspaceId)
          .where('key', '=', key)
          .where('claim_token', '=', row.claim_token)
          .execute();
        throw new ConcurrentChange();
      }
      if (row.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
      if (row.state === 'done') {
        return {
          kind: 'replay',
          response: { status: row.response_status!, headers: row.response_headers === null ? {} : headersColumn.decode(row.response_headers), body: row.response_body ?? '' },
        };
      }
      if (Date.parse(row.created_at) > now - IDEMPOTENCY_STALE_CLAIM_MS) throw new IdempotencyKeyInUseError(key);
      const takenOver = await this.db
        .updateTable('idempotency_keys')
        .set({ claim_token: token, created_at: new Date(now).toISOString(), expires_at: new Date(now + IDEMPOTENCY_TTL_MS).toISOString() })
        .where('workspace_id', '=', workspaceId)
        .where('key', '=', key)
        .where('claim_token', '=', row.claim_token)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      if (Number(takenOver.numUpdatedRows) === 1) return { kind: 'claimed', token };
      // Another retry took the stale claim over first.
      throw new ConcurrentChange();
    });
  }

  /** Stores the response of a claimed request for replay. */
  async complete(workspaceId: string, key: string, token: string, response: StoredResponse): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({
        state: 'done',
        response_status: response.status,
        response_headers: headersColumn.encode(response.headers),
        response_body: response.body,
      })
      .where('workspace_id', '=', workspaceId)
      .where('key', '=', key)
      .where('claim_token', '=', token)
      .execute();
  }

  /** Gives a claim up without a response (the request failed with a 5xx), so a retry runs it again. */
  async release(workspaceId: string, key: string, token: string): Promise<void> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('workspace_id', '=', workspaceId)
      .where('key', '=', key)
      .where('claim_token', '=', token)
      .where('state', '=', 'pending')
      .execute();
  }

  async purgeExpired(): Promise<number> {
    const result = await this.db.deleteFrom('idempotency_keys').where('expires_at', '<=', new Date(this.now()).toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
