import crypto from 'node:crypto';
import type { WorkspaceSettingsRow } from '../../db/tables.ts';
import { requireScope, type Actor } from '../context.ts';
import { notifyingWrite } from '../transactions.ts';
import { IssueCollector, validateMaxConcurrentCalls } from '../phone-numbers/validate.ts';
import type { RoutingContext } from './context.ts';
import type { StateSync } from './state-sync.ts';

export interface WorkspaceRouting {
  workspace_id: string;
  outage: boolean;
  max_concurrent_calls: number | null;
  signing_secret_set: boolean;
  active_calls: number;
}

function newSigningSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}

/** A workspace's routing settings: outage, its concurrency cap and the webhook signing secret (sealed at rest). */
export class WorkspaceSettings {
  constructor(
    private readonly context: RoutingContext,
    private readonly state: StateSync,
  ) {}

  view(actor: Actor): WorkspaceRouting {
    requireScope(actor, 'numbers:read');
    return this.viewOf(actor.workspaceId);
  }

  async setOutage(actor: Actor, enabled: boolean): Promise<WorkspaceRouting> {
    requireScope(actor, 'admin');
    await this.save(actor.workspaceId, { outage: enabled ? 1 : 0 });
    return this.viewOf(actor.workspaceId);
  }

  async setLimits(actor: Actor, changes: { max_concurrent_calls?: number | null }): Promise<WorkspaceRouting> {
    requireScope(actor, 'admin');
    if (changes.max_concurrent_calls !== undefined) {
      const issues = new IssueCollector();
      if (changes.max_concurrent_calls !== null) validateMaxConcurrentCalls(issues, 'max_concurrent_calls', changes.max_concurrent_calls);
      issues.throwIfAny();
      await this.save(actor.workspaceId, { max_concurrent_calls: changes.max_concurrent_calls });
    }
    return this.viewOf(actor.workspaceId);
  }

  /** A new signing secret, returned exactly once; the previous one stops signing at once. */
  async rotateSigningSecret(actor: Actor): Promise<{ signing_secret: string }> {
    requireScope(actor, 'admin');
    const secret = newSigningSecret();
    await this.save(actor.workspaceId, { signing_secret: this.context.deps.secrets.seal(secret) });
    return { signing_secret: secret };
  }

  /** The workspace's signing secret, created on first use (rotate to learn it). */
  async signingSecret(workspaceId: string): Promise<string> {
    const { db, router, deps } = this.context;
    const held = router.workspace(workspaceId).signingSecret;
    if (held !== null) return held;
    const notice = { workspaces: [workspaceId] };
    // Whichever of the two statements writes the secret tells the other instances (once: the other finds it set).
    await notifyingWrite(
      db,
      db
        .insertInto('workspace_settings')
        .values({ ...this.defaults(workspaceId), signing_secret: deps.secrets.seal(newSigningSecret()) })
        .onConflict((conflict) => conflict.column('workspace_id').doNothing()),
      notice,
      this.state.notices,
    );
    const row = await db.selectFrom('workspace_settings').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
    if (row.signing_secret === null) {
      const setSecret = db
        .updateTable('workspace_settings')
        .set({ signing_secret: deps.secrets.seal(newSigningSecret()) })
        .where('workspace_id', '=', workspaceId)
        .where('signing_secret', 'is', null);
      await notifyingWrite(db, setSecret, notice, this.state.notices);
    }
    await this.state.reloadWorkspaces([workspaceId]);
    return router.workspace(workspaceId).signingSecret!;
  }

  private viewOf(workspaceId: string): WorkspaceRouting {
    const { router } = this.context;
    const state = router.workspace(workspaceId);
    return {
      workspace_id: workspaceId,
      outage: state.outage,
      max_concurrent_calls: state.maxConcurrentCalls === 0 ? null : state.maxConcurrentCalls,
      signing_secret_set: state.signingSecret !== null,
      active_calls: router.leases.inWorkspace(workspaceId, this.context.nowMs()),
    };
  }

  private defaults(workspaceId: string): WorkspaceSettingsRow {
    return { workspace_id: workspaceId, outage: 0, signing_secret: null, max_concurrent_calls: null, updated_at: this.context.nowIso() };
  }

  /** One upsert, which also tells the other instances (at its commit). */
  private async save(workspaceId: string, changes: Partial<Omit<WorkspaceSettingsRow, 'workspace_id'>>): Promise<void> {
    const updated_at = this.context.nowIso();
    const upsert = this.context.db
      .insertInto('workspace_settings')
      .values({ ...this.defaults(workspaceId), ...changes, updated_at })
      .onConflict((conflict) => conflict.column('workspace_id').doUpdateSet({ ...changes, updated_at }));
    await notifyingWrite(this.context.db, upsert, { workspaces: [workspaceId] }, this.state.notices);
    await this.state.reloadWorkspaces([workspaceId]);
  }
}
