import { isId } from '../../domain/ids.ts';
import { requireScope, type Actor, type ServiceDeps } from '../context.ts';

/**
 * Who created each number: the API key of its `create` audit event (null when the CLI or an
 * internal job created it). Read from the audit trail rather than stored twice.
 */
export class NumberCreators {
  constructor(private readonly deps: ServiceDeps) {}

  async of(actor: Actor, phoneNumberIds: string[]): Promise<Map<string, string | null>> {
    // Also for write-only keys: a delete response shows the record it removed.
    if (!actor.scopes.has('numbers:write')) requireScope(actor, 'numbers:read');
    const ids = [...new Set(phoneNumberIds.filter(isId))];
    if (ids.length === 0) return new Map();
    const rows = await this.deps.database.db
      .selectFrom('phone_number_events')
      .select(['phone_number_id', 'actor_key_id'])
      .where('workspace_id', '=', actor.workspaceId)
      .where('action', '=', 'create')
      .where('phone_number_id', 'in', ids)
      .execute();
    return new Map(rows.map((row) => [row.phone_number_id, row.actor_key_id]));
  }
}
