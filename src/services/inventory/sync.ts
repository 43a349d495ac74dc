import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { requireScope, type Actor, type ServiceDeps } from '../context.ts';
import { ValidationError } from '../errors.ts';
import type { NumberSource } from '../phone-numbers/model.ts';
import type { PhoneNumberService } from '../phone-numbers/service.ts';
import type { CarrierProvider, OwnedNumber } from './provider.ts';

export interface SyncSummary {
  provider: string;
  dry_run: boolean;
  /** Imported now (or, on a dry run, that would be). */
  added: number;
  /** Registered in this workspace already. */
  already_here: number;
  /** Registered in another workspace: left alone, and never disclosed which. */
  owned_elsewhere: number;
  /** Rejected by validation (e.g. a number the carrier lists that is not E.164). */
  failed: number;
  errors: Array<{ phone_number: string; message: string }>;
}

export interface SyncProgress {
  /** Numbers looked at so far. */
  seen: number;
  /** How many the account has, when the carrier says (Telnyx does, Twilio does not). */
  total: number | null;
}

const MAX_REPORTED_ERRORS = 20;

/**
 * Imports what a carrier account already owns into one workspace: page by page through the
 * carrier's list, each page one batched import. Repeating it changes nothing (numbers already
 * here are counted, not touched). Synced numbers are not in the purchase ledger, so deleting one
 * never releases it at the carrier.
 */
export class CarrierSync {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly carriers: ReadonlyMap<string, CarrierProvider>,
    private readonly phoneNumbers: PhoneNumberService,
  ) {}

  private get db(): Kysely<Tables> {
    return this.deps.database.db;
  }

  configured(): string[] {
    return [...this.carriers.keys()];
  }

  async sync(actor: Actor, providerName: string, options: { dryRun?: boolean; onProgress?: (progress: SyncProgress) => void } = {}): Promise<SyncSummary> {
    requireScope(actor, 'admin');
    const carrier = this.carriers.get(providerName);
    if (!carrier) {
      const configured = this.configured();
      throw ValidationError.field('provider', `${JSON.stringify(providerName)} is not a configured carrier (configured: ${configured.length > 0 ? configured.join(', ') : 'none'})`);
    }
    const dryRun = options.dryRun ?? false;
    const summary: SyncSummary = { provider: carrier.name, dry_run: dryRun, added: 0, already_here: 0, owned_elsewhere: 0, failed: 0, errors: [] };
    let seen = 0;
    for await (const page of carrier.owned()) {
      await this.syncPage(actor, carrier.name, page.numbers, dryRun, summary);
      seen += page.numbers.length;
      options.onProgress?.({ seen, total: page.total });
    }
    return summary;
  }

  private async syncPage(actor: Actor, source: NumberSource, numbers: OwnedNumber[], dryRun: boolean, summary: SyncSummary): Promise<void> {
    if (numbers.length === 0) return;
    const live = await this.db
      .selectFrom('phone_numbers')
      .select(['e164', 'workspace_id'])
      .where('e164', 'in', numbers.map((number) => number.e164))
      .where('deleted_at', 'is', null)
      .execute();
    const owner = new Map(live.map((row) => [row.e164, row.workspace_id]));
    const fresh: OwnedNumber[] = [];
    for (const number of numbers) {
      const workspace = owner.get(number.e164);
      if (workspace === undefined) fresh.push(number);
      else if (workspace === actor.workspaceId) summary.already_here++;
      else summary.owned_elsewhere++;
    }
    if (dryRun) {
      summary.added += fresh.length;
      return;
    }
    const results = await this.phoneNumbers.importMany(
      actor,
      fresh.map((number) => ({ phone_number: number.e164, source, provider_sid: number.provider_sid, capabilities: number.capabilities })),
      // Owned at the carrier account: bought there, not imported from a SIP trunk (Retell reads retell-<carrier>).
      { purchased: true },
    );
    results.forEach((result, index) => {
      if (result.status === 'created') summary.added++;
      // Registered by someone else between our look-up and the import.
      else if (result.code === 'CONFLICT') summary.owned_elsewhere++;
      else {
        summary.failed++;
        if (summary.errors.length < MAX_REPORTED_ERRORS) summary.errors.push({ phone_number: fresh[index]!.e164, message: result.errors.map((issue) => `${issue.field}: ${issue.message}`).join('; ') || result.message });
      }
    });
  }
}
