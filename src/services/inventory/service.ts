import type { ChangeFeed } from '../change-feed.ts';
import { requireScope, type Actor } from '../context.ts';
import { ConflictError, NoNumberAvailableError } from '../errors.ts';
import { NUMBER_SOURCES, type NumberSource, type PhoneNumber, type PhoneNumberChanges } from '../phone-numbers/model.ts';
import type { PhoneNumberService } from '../phone-numbers/service.ts';
import { isCarrier, type AvailableNumber, type CarrierProvider, type NumberCriteria, type NumberProvider } from './provider.ts';
import type { CarrierReleases } from './releases.ts';
import { isCountryCode } from '../../domain/phone.ts';
import { IssueCollector, validatePhoneNumberField } from '../phone-numbers/validate.ts';

const CANDIDATES_PER_ROUND = 25;
const MAX_ROUNDS = 20;
/** A carrier search is a network call; a few rounds of fresh candidates are plenty. */
const CARRIER_ROUNDS = 3;

/** Carriers a bought number's `source` can name; other providers are recorded as `inventory`. */
const CARRIER_SOURCES = NUMBER_SOURCES.filter((source) => !['custom', 'manual', 'inventory'].includes(source));

export function sourceForProvider(provider: string | null): NumberSource {
  return provider && (CARRIER_SOURCES as readonly string[]).includes(provider) ? (provider as NumberSource) : 'inventory';
}

/** Where buys go: the operator's stock, the configured carriers (in order), and the default. */
export interface ProviderChoice {
  stock: NumberProvider;
  carriers: ReadonlyMap<string, CarrierProvider>;
  /** `NUMBER_PROVIDER_DEFAULT`: `inventory` or a carrier's name; undefined = the first with a match. */
  defaultProvider?: string | undefined;
}

/** Buying numbers: take one from a provider and register it as the workspace's phone number. */
export class InventoryService {
  constructor(
    private readonly providers: ProviderChoice,
    private readonly releases: CarrierReleases,
    private readonly phoneNumbers: PhoneNumberService,
    feed: ChangeFeed,
  ) {
    // Whichever API deleted it, a bought number goes back: to stock (the stock also treats a
    // claim without a live record as free after a while), or released at its carrier through the
    // durable release queue (which also catches up on a notification lost to a crash).
    feed.onNumbers((changes) => {
      for (const change of changes) {
        if (change.after !== null || !change.before) continue;
        const number = { e164: change.before.phone_number, provider_sid: change.before.provider_sid };
        void this.providers.stock.release(number).catch(() => undefined);
        void this.releases.onDeleted(change.before).catch(() => undefined);
      }
    });
  }

  /** The operator's stock (the provider the CLI adds numbers to). */
  get provider(): NumberProvider {
    return this.providers.stock;
  }

  /**
   * Buys a number matching `criteria` and registers it with `changes` applied. The provider is
   * the one the request names (a configured carrier, else stock recorded with that carrier), else
   * the default, else the first with a match: the carriers in order, then the stock. Two
   * concurrent buyers never get the same number: `purchase` is atomic (the stock's conditional
   * UPDATE, the carrier's own sale), and a loser tries the next candidate. No match →
   * NoNumberAvailableError (a client error, never a 5xx); a carrier failure → ProviderError.
   */
  async buy(actor: Actor, criteria: NumberCriteria, changes: PhoneNumberChanges): Promise<PhoneNumber> {
    requireScope(actor, 'numbers:write');
    criteria = validCriteria(criteria);
    const providers = this.candidatesFor(criteria);
    for (const provider of providers) {
      const bought = await this.buyFrom(provider, actor, criteria, changes);
      if (bought) return bought;
    }
    const where = providers.map((provider) => (isCarrier(provider) ? `at ${provider.name}` : 'in the inventory')).join(' or ');
    throw new NoNumberAvailableError(`no number available ${where} ${describeCriteria(criteria)}`.trim());
  }

  /** Returns a number to stock now (the change feed does this too, a moment later). */
  async returnToStock(e164: string): Promise<void> {
    await this.providers.stock.release({ e164, provider_sid: null });
  }

  private candidatesFor(criteria: NumberCriteria): NumberProvider[] {
    const { stock, carriers, defaultProvider } = this.providers;
    if (criteria.provider) return [carriers.get(criteria.provider) ?? stock];
    if (defaultProvider) return [carriers.get(defaultProvider) ?? stock];
    return [...carriers.values(), stock];
  }

  private async buyFrom(provider: NumberProvider, actor: Actor, criteria: NumberCriteria, changes: PhoneNumberChanges): Promise<PhoneNumber | null> {
    const carrier = isCarrier(provider);
    // Stock criteria filter on the recorded carrier; a carrier is that carrier already.
    const search = carrier ? { ...criteria, provider: undefined } : criteria;
    for (let round = 0; round < (carrier ? CARRIER_ROUNDS : MAX_ROUNDS); round++) {
      const candidates = shuffled(await provider.search(search, CANDIDATES_PER_ROUND));
      if (candidates.length === 0) return null;
      for (const candidate of candidates) {
        const claimed = await provider.purchase(candidate, actor.workspaceId);
        if (!claimed) continue;
        const ledgerId = carrier && claimed.provider_sid ? await this.recordPurchase(provider, actor, claimed) : null;
        try {
          // Stock that records no carrier is recorded as bought from the one the buyer asked for.
          const record = await this.phoneNumbers.importNumber(
            actor,
            {
              ...changes,
              ...(changes.capabilities === undefined && claimed.capabilities ? { capabilities: claimed.capabilities } : {}),
              phone_number: claimed.e164,
              source: sourceForProvider(claimed.provider ?? criteria.provider ?? null),
              provider_sid: claimed.provider_sid,
            },
            { purchased: true },
          );
          if (ledgerId) await this.releases.attach(ledgerId, record.id);
          return record;
        } catch (error) {
          // Nothing half-done stays behind: the number goes back to where it came from.
          if (ledgerId) await this.releases.releaseUnregistered(ledgerId);
          else await provider.release({ e164: claimed.e164, provider_sid: claimed.provider_sid });
          // Registered meanwhile through an import: not ours to sell; try the next one.
          if (error instanceof ConflictError && !criteria.phone_number) continue;
          throw error;
        }
      }
      if (criteria.phone_number) return null;
    }
    return null;
  }

  /** Puts a carrier purchase in the ledger; if even that fails, the number is given back at once. */
  private async recordPurchase(provider: CarrierProvider, actor: Actor, claimed: AvailableNumber): Promise<string> {
    try {
      return await this.releases.recordPurchase(actor.workspaceId, { ...claimed, provider_sid: claimed.provider_sid! }, provider.name);
    } catch (error) {
      await provider.release(claimed).catch(() => undefined);
      throw error;
    }
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
