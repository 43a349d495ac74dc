import crypto from 'node:crypto';
import { jsonColumn, type ApiKeyRow } from '../db/tables.ts';
import { newId, isId } from '../domain/ids.ts';
import { sha256Hex } from '../domain/secrets.ts';
import { nowIso, requireScope, SCOPES, type Actor, type Scope, type ServiceDeps } from './context.ts';
import type { ChangeFeed } from './change-feed.ts';
import { NotFoundError, UnauthorizedError, ValidationError } from './errors.ts';
import { notifyingWrite, onUniqueViolation } from './transactions.ts';

export interface Workspace {
  id: string;
  name: string;
  parent_id: string | null;
  created_at: string;
  /** The carrier a number added without one goes on (TopCalls' default carrier); null = none. */
  default_carrier_id: string | null;
}

/** Workspace settings a client may change (`PATCH /v1/workspace`); absent keeps, null clears. */
export interface WorkspaceChanges {
  default_carrier_id?: string | null;
}

export interface ApiKey {
  id: string;
  workspace_id: string;
  name: string | null;
  prefix: string;
  scopes: Scope[];
  created_at: string;
  revoked_at: string | null;
}

export interface CreatedApiKey extends ApiKey {
  /** The secret, returned exactly once. */
  key: string;
}

const KEY_PREFIX = 'sk_';
/**
 * How long a resolved key is trusted without asking the store. Only an optimisation: a revocation
 * clears it at once on every instance (LISTEN/NOTIFY), and while that feed is down nothing cached
 * is trusted.
 */
const AUTH_CACHE_MS = 5_000;

const scopesColumn = jsonColumn<Scope[]>();

export function parseScopes(value: string): Scope[] {
  const scopes = value
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) {
    throw ValidationError.field('scopes', `unknown scope ${unknown.join(', ')}; use ${SCOPES.join(', ')}`);
  }
  if (scopes.length === 0) throw ValidationError.field('scopes', 'name at least one scope');
  return [...new Set(scopes)] as Scope[];
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    workspace_id: row.workspace_id,
    name: row.name,
    prefix: row.key_prefix,
    scopes: scopesColumn.decode(row.scopes),
    created_at: row.created_at,
    revoked_at: row.revoked_at,
  };
}

export class WorkspaceService {
  private readonly authCache = new Map<string, { actor: Actor; until: number }>();
  /**
   * The store lookups under way, by key hash: concurrent misses of one key (at 50 connections its
   * cache entry expires for every in-flight request at once) share one query.
   */
  private readonly lookups = new Map<string, Promise<Actor | null>>();
  /** Bumped whenever cached keys are dropped: a lookup that began before is answered, never cached. */
  private generation = 0;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly feed: ChangeFeed,
  ) {
    feed.remote?.subscribe({
      notice: (notice) => {
        if (notice.revokedKeys?.length) this.forgetKeys(new Set(notice.revokedKeys));
      },
      // Revocations may have been missed while the feed was down.
      down: () => this.forgetCachedKeys(),
      resync: async () => this.forgetCachedKeys(),
    });
  }

  /** The cache is used only while every revocation elsewhere would be heard (always on SQLite). */
  private get cacheTrusted(): boolean {
    return this.feed.state !== 'down';
  }

  private get db() {
    return this.deps.database.db;
  }

  /** Returns the workspace of that name, creating it when missing (the CLI's `keys create`). */
  async ensureWorkspace(name: string, parentName?: string): Promise<Workspace> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
      throw ValidationError.field('workspace', 'must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit');
    }
    const existing = await this.db.selectFrom('workspaces').selectAll().where('name', '=', name).executeTakeFirst();
    if (existing) return existing;
    const parent = parentName ? await this.ensureWorkspace(parentName) : null;
    const row = { id: newId(), name, parent_id: parent?.id ?? null, created_at: nowIso(this.deps), default_carrier_id: null };
    // Created meanwhile by another process: theirs is the workspace.
    return onUniqueViolation(
      async () => {
        await this.db.insertInto('workspaces').values(row).execute();
        return row;
      },
      () => this.db.selectFrom('workspaces').selectAll().where('name', '=', name).executeTakeFirstOrThrow(),
    );
  }

  async getWorkspaceByName(name: string): Promise<Workspace> {
    const row = await this.db.selectFrom('workspaces').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw new NotFoundError(`workspace ${name} not found (create it with: switchboard keys create --workspace ${name})`);
    return row;
  }

  async getWorkspace(id: string): Promise<Workspace> {
    const row = isId(id) ? await this.db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!row) throw new NotFoundError(`workspace ${id} not found`);
    return row;
  }

  /** The actor's own workspace. */
  async current(actor: Actor): Promise<Workspace> {
    requireScope(actor, 'numbers:read');
    return this.getWorkspace(actor.workspaceId);
  }

  /** Changes the actor's workspace settings (admin scope); a default carrier must be a live carrier of the workspace. */
  async update(actor: Actor, changes: WorkspaceChanges): Promise<Workspace> {
    requireScope(actor, 'admin');
    const carrierId = changes.default_carrier_id;
    if (carrierId !== undefined && carrierId !== null && !(await this.liveCarrier(actor.workspaceId, carrierId))) {
      throw ValidationError.field('default_carrier_id', `no live carrier with id ${carrierId} in this workspace`);
    }
    if (carrierId !== undefined) await this.db.updateTable('workspaces').set({ default_carrier_id: carrierId }).where('id', '=', actor.workspaceId).execute();
    return this.getWorkspace(actor.workspaceId);
  }

  /** The default carrier of the workspace while it is a live carrier there; a deleted one counts as none. */
  async defaultCarrier(workspaceId: string): Promise<string | null> {
    const row = await this.db.selectFrom('workspaces').select('default_carrier_id').where('id', '=', workspaceId).executeTakeFirst();
    const carrierId = row?.default_carrier_id ?? null;
    return carrierId !== null && (await this.liveCarrier(workspaceId, carrierId)) ? carrierId : null;
  }

  private async liveCarrier(workspaceId: string, carrierId: string): Promise<boolean> {
    if (!isId(carrierId)) return false;
    const row = await this.db
      .selectFrom('carriers')
      .select('id')
      .where('id', '=', carrierId)
      .where('workspace_id', '=', workspaceId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** True when `workspaceId` is the actor's workspace or one of its child workspaces (agency model). */
  async canManageWorkspace(actor: Actor, workspaceId: string): Promise<boolean> {
    if (workspaceId === actor.workspaceId) return true;
    if (!isId(workspaceId)) return false;
    const row = await this.db.selectFrom('workspaces').select('parent_id').where('id', '=', workspaceId).executeTakeFirst();
    return row?.parent_id === actor.workspaceId;
  }

  /**
   * The actor to use inside `workspace` (an id or a name) on behalf of `actor`: the actor itself
   * for its own workspace, the same key and scopes moved into a child workspace for an agency
   * key. Anything else is reported exactly like a workspace that does not exist.
   */
  async actorIn(actor: Actor, workspace: string): Promise<Actor> {
    if (workspace === actor.workspaceId) return actor;
    const row = await this.db
      .selectFrom('workspaces')
      .select(['id', 'parent_id'])
      .where(isId(workspace) ? 'id' : 'name', '=', workspace)
      .executeTakeFirst();
    if (row?.id === actor.workspaceId) return actor;
    if (!row || row.parent_id !== actor.workspaceId) throw new NotFoundError(`workspace ${workspace} not found`);
    return { ...actor, workspaceId: row.id };
  }

  async createKey(workspaceId: string, scopes: Scope[], name: string | null = null): Promise<CreatedApiKey> {
    const secret = `${KEY_PREFIX}${crypto.randomBytes(24).toString('base64url')}`;
    const row: ApiKeyRow = {
      id: newId(),
      workspace_id: workspaceId,
      name,
      key_hash: sha256Hex(secret),
      key_prefix: secret.slice(0, KEY_PREFIX.length + 6),
      scopes: scopesColumn.encode(scopes),
      created_at: nowIso(this.deps),
      revoked_at: null,
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return { ...toApiKey(row), key: secret };
  }

  /** Keys are high-entropy random strings, so a plain SHA-256 is a sound lookup hash. */
  async authenticate(secret: string | undefined): Promise<Actor> {
    const known = this.knownActor(secret);
    if (known !== undefined) {
      if (known === null) throw new UnauthorizedError();
      return known;
    }
    const hash = sha256Hex(secret!);
    let lookup = this.lookups.get(hash);
    if (lookup === undefined) {
      const started = this.lookUp(hash).finally(() => {
        if (this.lookups.get(hash) === started) this.lookups.delete(hash);
      });
      this.lookups.set(hash, (lookup = started));
    }
    const actor = await lookup;
    if (actor === null) throw new UnauthorizedError();
    return actor;
  }

  /** The key's actor from the store (null: no such live key), cached unless keys were dropped meanwhile. */
  private async lookUp(hash: string): Promise<Actor | null> {
    const generation = this.generation;
    const now = Date.now();
    // Every request authenticates: off the write connection, so a long import never holds it up.
    const row = await this.deps.database.reads
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) {
      this.authCache.delete(hash);
      return null;
    }
    const actor: Actor = { workspaceId: row.workspace_id, keyId: row.id, scopes: new Set(scopesColumn.decode(row.scopes)) };
    // A revocation heard while the row was read may be of this very key: answer, but do not keep it.
    if (generation !== this.generation) return actor;
    if (this.authCache.size > 10_000) this.authCache.clear();
    this.authCache.set(hash, { actor, until: now + AUTH_CACHE_MS });
    return actor;
  }

  /**
   * What `authenticate` would answer, when it can tell without the store: the actor of a cached
   * key, null for a secret that cannot be a key; undefined when only the store knows. Lets the
   * transport authenticate most requests without a promise (the per-request profile showed it).
   */
  knownActor(secret: string | undefined): Actor | null | undefined {
    if (!secret || !secret.startsWith(KEY_PREFIX) || secret.length > 200) return null;
    const cached = this.authCache.get(sha256Hex(secret));
    return cached && cached.until > Date.now() && this.cacheTrusted ? cached.actor : undefined;
  }

  /** The caller's own key (any scope): what a client such as the console may offer this key. */
  async currentKey(actor: Actor): Promise<ApiKey> {
    const row = actor.keyId
      ? await this.db.selectFrom('api_keys').selectAll().where('id', '=', actor.keyId).where('workspace_id', '=', actor.workspaceId).executeTakeFirst()
      : undefined;
    if (!row) throw new NotFoundError('this credential is not an API key');
    return toApiKey(row);
  }

  /** The keys of the actor's workspace; without an actor (the operator's CLI), of every workspace. */
  async listKeys(actor?: Actor): Promise<ApiKey[]> {
    if (actor) requireScope(actor, 'admin');
    let query = this.db.selectFrom('api_keys').selectAll();
    if (actor) query = query.where('workspace_id', '=', actor.workspaceId);
    return (await query.orderBy('id').execute()).map(toApiKey);
  }

  async createKeyFor(actor: Actor, scopes: Scope[], name: string | null): Promise<CreatedApiKey> {
    requireScope(actor, 'admin');
    return this.createKey(actor.workspaceId, scopes, name);
  }

  /** Revokes a key; with an actor, only a key of the actor's workspace (others are 404). */
  async revokeKey(keyId: string, actor?: Actor): Promise<ApiKey> {
    if (actor) requireScope(actor, 'admin');
    let query = this.db.selectFrom('api_keys').selectAll().where('id', '=', isId(keyId) ? keyId : '-');
    if (actor) query = query.where('workspace_id', '=', actor.workspaceId);
    const row = await query.executeTakeFirst();
    if (!row) throw new NotFoundError(`API key ${keyId} not found`);
    const revokedAt = row.revoked_at ?? nowIso(this.deps);
    // The UPDATE itself tells every other instance (at its commit, before this returns and before
    // the CLI exits): no revocation committed without its notice, whatever happens next.
    const revoke = this.db.updateTable('api_keys').set({ revoked_at: revokedAt }).where('id', '=', row.id);
    await notifyingWrite(this.db, revoke, { revokedKeys: [row.id] }, this.feed.remote);
    this.authCache.delete(row.key_hash);
    this.droppedKeys();
    return toApiKey({ ...row, revoked_at: revokedAt });
  }

  /** Drops every cached credential. */
  forgetCachedKeys(): void {
    this.authCache.clear();
    this.droppedKeys();
  }

  private forgetKeys(keyIds: Set<string>): void {
    for (const [hash, entry] of this.authCache) if (entry.actor.keyId !== null && keyIds.has(entry.actor.keyId)) this.authCache.delete(hash);
    this.droppedKeys();
  }

  /** Lookups under way may have read a key just revoked: requests from now on ask the store afresh. */
  private droppedKeys(): void {
    this.generation++;
    this.lookups.clear();
  }
}
