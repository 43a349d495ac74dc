import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { describeNumber } from '../../domain/phone.ts';
import { newId } from '../../domain/ids.ts';
import { nowIso, type ServiceDeps } from '../context.ts';
import { IssueCollector, validatePhoneNumberField } from '../phone-numbers/validate.ts';
import type { AvailableNumber, HeldNumber, NumberCriteria, NumberProvider } from './provider.ts';

/**
 * A claim whose phone-number record never appeared (the process died between the two steps)
 * becomes free again after this long.
 */
export const STALE_CLAIM_MS = 60_000;

export interface StockEntry {
  e164: string;
  provider?: string | null;
  provider_sid?: string | null;
}

export interface StockSummaryRow {
  country: string | null;
  area_code: string | null;
  toll_free: boolean;
  provider: string | null;
  total: number;
  available: number;
}

const INSERT_BATCH_ROWS = 500;

/** The operator's own numbers, kept in `inventory_numbers` and allocated with a conditional UPDATE. */
export class LocalInventory implements NumberProvider {
  readonly name = 'inventory';

  constructor(private readonly deps: ServiceDeps) {}

  private get db(): Kysely<Tables> {
    return this.deps.database.db;
  }

  /** Free = not claimed (or a stale claim), and not registered as a live number by anyone. */
  private isFree(now: string) {
    const cutoff = new Date(Date.parse(now) - STALE_CLAIM_MS).toISOString();
    return (eb: ExpressionBuilder<Tables, 'inventory_numbers'>) =>
      eb.and([
        eb.or([eb('inventory_numbers.allocated_at', 'is', null), eb('inventory_numbers.allocated_at', '<', cutoff)]),
        eb.not(
          eb.exists(
            eb
              .selectFrom('phone_numbers')
              .select(sql.lit(1).as('one'))
              .whereRef('phone_numbers.e164', '=', 'inventory_numbers.e164')
              .where('phone_numbers.deleted_at', 'is', null),
          ),
        ),
      ]);
  }

  async search(criteria: NumberCriteria, limit: number): Promise<AvailableNumber[]> {
    let select = this.db
      .selectFrom('inventory_numbers')
      .select(['e164', 'provider', 'provider_sid'])
      .where(this.isFree(nowIso(this.deps)));
    if (criteria.phone_number) select = select.where('e164', '=', criteria.phone_number);
    if (criteria.country) select = select.where('country', '=', criteria.country);
    if (criteria.area_code) select = select.where('area_code', '=', criteria.area_code);
    if (criteria.toll_free !== undefined) select = select.where('toll_free', '=', criteria.toll_free ? 1 : 0);
    if (criteria.provider) {
      const provider = criteria.provider;
      select = select.where((eb) => eb.or([eb('provider', '=', provider), eb('provider', 'is', null)]));
    }
    return select.orderBy('e164').limit(limit).execute();
  }

  async purchase(number: AvailableNumber, workspaceId: string): Promise<AvailableNumber | null> {
    const now = nowIso(this.deps);
    // The conditional UPDATE is the lock: of two racing buyers exactly one changes the row (on
    // PostgreSQL the second re-checks the condition against the first one's committed row).
    const result = await this.db
      .updateTable('inventory_numbers')
      .set({ allocated_at: now, allocated_workspace_id: workspaceId })
      .where('e164', '=', number.e164)
      .where(this.isFree(now))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? number : null;
  }

  async release({ e164 }: HeldNumber): Promise<void> {
    await this.db
      .updateTable('inventory_numbers')
      .set({ allocated_at: null, allocated_workspace_id: null })
      .where('e164', '=', e164)
      .where('allocated_at', 'is not', null)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('phone_numbers')
              .select(sql.lit(1).as('one'))
              .where('phone_numbers.e164', '=', e164)
              .where('phone_numbers.deleted_at', 'is', null),
          ),
        ),
      )
      .execute();
  }

  /**
   * Adds numbers to the stock. Each must be a number some country assigns (it is meant to be
   * sold); numbers already in stock are skipped. Nothing is added when any entry is invalid.
   */
  async add(input: StockEntry[]): Promise<{ added: number; skipped: number }> {
    const issues = new IssueCollector();
    const entries = input.map((entry) => ({
      ...entry,
      e164: validatePhoneNumberField(issues, entry.e164, entry.e164, { requireValid: true }) ?? entry.e164,
    }));
    issues.throwIfAny();
    const now = nowIso(this.deps);
    let added = 0;
    for (let start = 0; start < entries.length; start += INSERT_BATCH_ROWS) {
      const rows = entries.slice(start, start + INSERT_BATCH_ROWS).map((entry) => {
        const facts = describeNumber(entry.e164);
        return {
          id: newId(),
          e164: entry.e164,
          provider: entry.provider ?? null,
          provider_sid: entry.provider_sid ?? null,
          country: facts.country,
          region: facts.region,
          area_code: facts.area_code,
          number_type: facts.number_type,
          toll_free: facts.number_type === 'toll_free' ? 1 : 0,
          added_at: now,
          allocated_workspace_id: null,
          allocated_at: null,
        };
      });
      const result = await this.db
        .insertInto('inventory_numbers')
        .values(rows)
        .onConflict((oc) => oc.column('e164').doNothing())
        .executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return { added, skipped: entries.length - added };
  }

  /** Counts per country, area code, toll-free and carrier: how many numbers, how many free. */
  async summary(): Promise<StockSummaryRow[]> {
    const now = nowIso(this.deps);
    const rows = await this.db
      .selectFrom('inventory_numbers')
      .select((eb) => [
        'country',
        'area_code',
        'toll_free',
        'provider',
        eb.fn.countAll<number>().as('total'),
        eb.fn.sum<number>(eb.case().when(this.isFree(now)(eb)).then(1).else(0).end()).as('available'),
      ])
      .groupBy(['country', 'area_code', 'toll_free', 'provider'])
      .orderBy('country')
      .orderBy('area_code')
      .orderBy('toll_free')
      .orderBy('provider')
      .execute();
    return rows.map((row) => ({
      country: row.country,
      area_code: row.area_code,
      toll_free: Number(row.toll_free) === 1,
      provider: row.provider,
      total: Number(row.total),
      available: Number(row.available ?? 0),
    }));
  }
}
