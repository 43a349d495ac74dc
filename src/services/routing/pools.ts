import type { Transaction } from 'kysely';
import type { NumberPoolRow, Tables } from '../../db/tables.ts';
import { isId, newId } from '../../domain/ids.ts';
import { requireScope, type Actor } from '../context.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { CallingHours } from '../phone-numbers/model.ts';
import { IssueCollector, validateCallingHours } from '../phone-numbers/validate.ts';
import { inTransaction, onUniqueViolation, type Db } from '../transactions.ts';
import { CONTROL_CHARACTERS, type RoutingContext } from './context.ts';
import type { IndexLoader } from './index-loader.ts';
import { POOL_STRATEGIES, type PoolState, type PoolStrategy } from './router.ts';
import type { StateSync } from './state-sync.ts';

export interface NumberPool {
  id: string;
  name: string;
  strategy: PoolStrategy;
  calling_hours: CallingHours | null;
  members: string[];
  created_at: string;
  updated_at: string;
}

export interface PoolInput {
  name?: string;
  strategy?: PoolStrategy;
  calling_hours?: CallingHours | null;
  members?: string[];
}

export const MAX_POOL_MEMBERS = 10_000;

/** Rows per statement when writing or checking members. */
const MEMBER_CHUNK = 500;

/** Number pools: named sets of a workspace's numbers that outbound calls pick a caller ID from. */
export class Pools {
  constructor(
    private readonly context: RoutingContext,
    private readonly loader: IndexLoader,
    private readonly state: StateSync,
  ) {}

  async list(actor: Actor): Promise<NumberPool[]> {
    requireScope(actor, 'numbers:read');
    const pools = [...this.context.router.pools.values()]
      .filter((pool) => pool.workspaceId === actor.workspaceId)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const views: NumberPool[] = [];
    for (const pool of pools) views.push(await this.view(pool));
    return views;
  }

  get(actor: Actor, id: string): Promise<NumberPool> {
    requireScope(actor, 'numbers:read');
    return this.view(this.poolOf(actor, id));
  }

  async create(actor: Actor, input: PoolInput & { name: string }): Promise<NumberPool> {
    requireScope(actor, 'numbers:write');
    const issues = new IssueCollector();
    const hours = input.calling_hours ? validateCallingHours(issues, 'calling_hours', input.calling_hours) : null;
    checkPoolFields(issues, input);
    const members = await this.checkMembers(actor, issues, 'members', input.members ?? []);
    issues.throwIfAny();
    const now = this.context.nowIso();
    const row: NumberPoolRow = {
      id: newId(),
      workspace_id: actor.workspaceId,
      name: input.name.trim(),
      strategy: input.strategy ?? 'local_presence',
      calling_hours: hours ? JSON.stringify(hours) : null,
      created_at: now,
      updated_at: now,
    };
    await onUniqueViolation(
      () =>
        this.write(async (trx) => {
          await trx.insertInto('number_pools').values(row).execute();
          await insertMembers(trx, actor.workspaceId, row.id, members, now);
        }, row.id),
      nameTaken,
    );
    return this.changed(row.id);
  }

  async update(actor: Actor, id: string, input: PoolInput): Promise<NumberPool> {
    requireScope(actor, 'numbers:write');
    const pool = this.poolOf(actor, id);
    const issues = new IssueCollector();
    const hours = input.calling_hours ? validateCallingHours(issues, 'calling_hours', input.calling_hours) : input.calling_hours;
    checkPoolFields(issues, input);
    const members = input.members ? await this.checkMembers(actor, issues, 'members', input.members) : null;
    issues.throwIfAny();
    const now = this.context.nowIso();
    await onUniqueViolation(
      () =>
        this.write(async (trx) => {
          await trx
            .updateTable('number_pools')
            .set({
              updated_at: now,
              ...(input.name !== undefined ? { name: input.name.trim() } : {}),
              ...(input.strategy !== undefined ? { strategy: input.strategy } : {}),
              ...(hours !== undefined ? { calling_hours: hours === null ? null : JSON.stringify(hours) } : {}),
            })
            .where('id', '=', pool.id)
            .execute();
          if (members) {
            await trx.deleteFrom('number_pool_members').where('pool_id', '=', pool.id).execute();
            await insertMembers(trx, actor.workspaceId, pool.id, members, now);
          }
        }, pool.id),
      nameTaken,
    );
    return this.changed(pool.id);
  }

  /** Adds members (already-present ones are kept as they are). */
  async addMembers(actor: Actor, id: string, memberIds: string[]): Promise<NumberPool> {
    requireScope(actor, 'numbers:write');
    const pool = this.poolOf(actor, id);
    const issues = new IssueCollector();
    const members = await this.checkMembers(actor, issues, 'members', memberIds);
    const fresh = members.filter((member) => !pool.members.includes(member));
    if (pool.members.length + fresh.length > MAX_POOL_MEMBERS) issues.add('members', `a pool holds at most ${MAX_POOL_MEMBERS} numbers`);
    issues.throwIfAny();
    const now = this.context.nowIso();
    if (fresh.length > 0) {
      await this.write(async (trx) => {
        const last = await trx
          .selectFrom('number_pool_members')
          .select((eb) => eb.fn.max('position').as('position'))
          .where('pool_id', '=', pool.id)
          .executeTakeFirst();
        const next = (last?.position ?? -1) + 1;
        await trx
          .insertInto('number_pool_members')
          .values(fresh.map((member, offset) => ({ pool_id: pool.id, phone_number_id: member, workspace_id: actor.workspaceId, added_at: now, position: next + offset })))
          .onConflict((conflict) => conflict.columns(['pool_id', 'phone_number_id']).doNothing())
          .execute();
        await trx.updateTable('number_pools').set({ updated_at: now }).where('id', '=', pool.id).execute();
      }, pool.id);
    }
    return this.changed(pool.id);
  }

  async removeMember(actor: Actor, id: string, phoneNumberId: string): Promise<NumberPool> {
    requireScope(actor, 'numbers:write');
    const pool = this.poolOf(actor, id);
    if (!pool.members.includes(phoneNumberId)) throw new NotFoundError(`phone number ${phoneNumberId} is not a member of pool ${pool.id}`);
    await this.write(async (trx) => {
      await trx.deleteFrom('number_pool_members').where('pool_id', '=', pool.id).where('phone_number_id', '=', phoneNumberId).execute();
      await trx.updateTable('number_pools').set({ updated_at: this.context.nowIso() }).where('id', '=', pool.id).execute();
    }, pool.id);
    return this.changed(pool.id);
  }

  async delete(actor: Actor, id: string): Promise<void> {
    requireScope(actor, 'numbers:write');
    const pool = this.poolOf(actor, id);
    await this.write(async (trx) => {
      await trx.deleteFrom('number_pool_members').where('pool_id', '=', pool.id).execute();
      await trx.deleteFrom('number_pools').where('id', '=', pool.id).execute();
    }, pool.id);
    this.context.router.pools.delete(pool.id);
  }

  /** The actor's pool; another workspace's is as unknown as a missing one. */
  poolOf(actor: Actor, id: string): PoolState {
    const pool = isId(id) ? this.context.router.pools.get(id) : undefined;
    if (!pool || pool.workspaceId !== actor.workspaceId) throw new NotFoundError(`number pool ${id} not found`);
    return pool;
  }

  private async view(pool: PoolState): Promise<NumberPool> {
    await this.loader.admitByIds(pool.members);
    const { index } = this.context.router;
    return {
      id: pool.id,
      name: pool.name,
      strategy: pool.strategy,
      calling_hours: pool.callingHours?.hours ?? null,
      // Members deleted since they joined no longer count (and are never chosen).
      members: pool.members.filter((member) => index.get(member) !== undefined),
      created_at: pool.createdAt,
      updated_at: pool.updatedAt,
    };
  }

  /** A write of the pool in one transaction, which also tells the other instances (at its commit). */
  private write(work: (trx: Transaction<Tables>) => Promise<void>, poolId: string): Promise<void> {
    return inTransaction(
      this.context.db,
      async (trx, notify) => {
        await work(trx);
        notify({ pools: [poolId] });
      },
      this.state.notices,
    );
  }

  /** This instance's copy of the pool, reloaded after its write. */
  private async changed(id: string): Promise<NumberPool> {
    await this.state.reloadPools([id]);
    return this.view(this.context.router.pools.get(id)!);
  }

  /** Live numbers of the actor's workspace, de-duplicated; anything else is an issue naming its index. */
  private async checkMembers(actor: Actor, issues: IssueCollector, field: string, ids: string[]): Promise<string[]> {
    if (ids.length > MAX_POOL_MEMBERS) {
      issues.add(field, `a pool holds at most ${MAX_POOL_MEMBERS} numbers`);
      return [];
    }
    const wanted = [...new Set(ids.filter(isId))];
    const found = new Set<string>();
    for (let start = 0; start < wanted.length; start += MEMBER_CHUNK) {
      const rows = await this.context.db
        .selectFrom('phone_numbers')
        .select('id')
        .where('workspace_id', '=', actor.workspaceId)
        .where('deleted_at', 'is', null)
        .where('id', 'in', wanted.slice(start, start + MEMBER_CHUNK))
        .execute();
      for (const row of rows) found.add(row.id);
    }
    ids.forEach((id, index) => {
      if (!found.has(id)) issues.add(`${field}[${index}]`, `phone number ${id} not found in this workspace`);
    });
    return [...new Set(ids)];
  }
}

function checkPoolFields(issues: IssueCollector, input: PoolInput): void {
  if (input.name !== undefined && input.name.trim() === '') issues.add('name', 'must not be blank');
  if (input.name !== undefined && CONTROL_CHARACTERS.test(input.name)) issues.add('name', 'must not contain control characters');
  if (input.strategy !== undefined && !(POOL_STRATEGIES as readonly string[]).includes(input.strategy)) {
    issues.add('strategy', `must be one of ${POOL_STRATEGIES.join(', ')}`);
  }
}

/** A pool's members in the given order, positions from 0 (the pool's member rows must be empty). */
async function insertMembers(trx: Db, workspaceId: string, poolId: string, members: string[], now: string): Promise<void> {
  for (let start = 0; start < members.length; start += MEMBER_CHUNK) {
    await trx
      .insertInto('number_pool_members')
      .values(
        members
          .slice(start, start + MEMBER_CHUNK)
          .map((member, offset) => ({ pool_id: poolId, phone_number_id: member, workspace_id: workspaceId, added_at: now, position: start + offset })),
      )
      .execute();
  }
}

/** Pool names are unique per workspace: the store's constraint decides, answered as a conflict on `name`. */
function nameTaken(): never {
  throw new ConflictError('a number pool with this name already exists', [{ field: 'name', message: 'already used by another pool' }]);
}
