import type { ChangeFeed } from '../change-feed.ts';
import { requireScope, type Actor } from '../context.ts';
import { ConflictError, NoNumberAvailableError } from '../errors.ts';
import { NUMBER_SOURCES, type NumberSource, type PhoneNumber, type PhoneNumberChanges } from '../phone-numbers/model.ts';
import type { PhoneNumberService } from '../phone-numbers/service.ts';
import type { NumberCriteria, NumberProvider } from './provider.ts';
import { isCountryCode } from '../../domain/phone.ts';
import { IssueCollector, validatePhoneNumberField } from '../phone-numbers/validate.ts';

const CANDIDATES_PER_ROUND = 25;
const MAX_ROUNDS = 20;

/** Carriers a bought number's `source` can name; other providers are recorded as `inventory`. */
const CARRIER_SOURCES = NUMBER_SOURCES.filter((source) => !['custom', 'manual', 'inventory'].includes(source));

export function sourceForProvider(provider: string | null): NumberSource {
  return provider && (CARRIER_SOURCES as readonly string[]).includes(provider) ? (provider as NumberSource) : 'inventory';
}

/** Buying numbers: take one from a provider and register it as the workspace's phone number. */
export class InventoryService {
  constructor(
    readonly provider: NumberProvider,
    private readonly phoneNumbers: PhoneNumberService,
    feed: ChangeFeed,
  ) {
    // Whichever API deleted it, a bought number goes back to stock. The provider also treats a
    // claim without a live record as free after a while, so a lost notification cannot leak it.
    feed.onNumbers((changes) => {
      for (const change of changes) {
        if (change.after === null && change.before) void this.provider.release(change.before.phone_number).catch(() => undefined);
      }
    });
  }

  /**
   * Buys a number matching `criteria` and registers it with `changes` applied. Two concurrent
   * buyers never get the same number: `provider.purchase` is atomic, and a loser tries the next
   * candidate. No match → NoNumberAvailableError (a client error, never a 5xx).
   */
  async buy(actor: Actor, criteria: NumberCriteria, changes: PhoneNumberChanges): Promise<PhoneNumber> {
    requireScope(actor, 'numbers:write');
    criteria = validCriteria(criteria);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const candidates = shuffled(await this.provider.search(criteria, CANDIDATES_PER_ROUND));
      if (candidates.length === 0) break;
      for (const candidate of candidates) {
        const claimed = await this.provider.purchase(candidate, actor.workspaceId);
        if (!claimed) continue;
        try {
          // Stock that records no carrier is recorded as bought from the one the buyer asked for.
          return await this.phoneNumbers.importNumber(
            actor,
            { ...changes, phone_number: claimed.e164, source: sourceForProvider(claimed.provider ?? criteria.provider ?? null), provider_sid: claimed.provider_sid },
            { purchased: true },
          );
        } catch (error) {
          await this.provider.release(claimed.e164);
          // Registered meanwhile through an import: not ours to sell; try the next one.
          if (error instanceof ConflictError && !criteria.phone_number) continue;
          throw error;
        }
      }
    }
    throw new NoNumberAvailableError(`no number available in the inventory ${describeCriteria(criteria)}`);
  }

  /** Returns a number to stock now (the change feed does this too, a moment later). */
  async returnToStock(e164: string): Promise<void> {
    await this.provider.release(e164);
  }
}

function validCriteria(criteria: NumberCriteria): NumberCriteria {
  const issues = new IssueCollector();
  const out = { ...criteria };
  if (criteria.phone_number !== undefined) {
    out.phone_number = validatePhoneNumberField(issues, 'criteria.phone_number', criteria.phone_number, { requireValid: true }) ?? undefined;
  }
  if (criteria.country !== undefined && !isCountryCode(criteria.country)) {
    issues.add('criteria.country', `${JSON.stringify(criteria.country)} is not an ISO 3166-1 alpha-2 country code (e.g. "US")`);
  }
  if (criteria.area_code !== undefined && !/^\d{1,5}$/.test(criteria.area_code)) issues.add('criteria.area_code', 'must be digits');
  issues.throwIfAny();
  return out;
}

function describeCriteria(criteria: NumberCriteria): string {
  const parts: string[] = [];
  if (criteria.phone_number) parts.push(`number ${criteria.phone_number}`);
  if (criteria.country) parts.push(`country ${criteria.country}`);
  if (criteria.area_code) parts.push(`area code ${criteria.area_code}`);
  if (criteria.toll_free === true) parts.push('toll-free');
  if (criteria.toll_free === false) parts.push('not toll-free');
  if (criteria.provider) parts.push(`provider ${criteria.provider}`);
  return parts.length > 0 ? `matching ${parts.join(', ')}` : '';
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
