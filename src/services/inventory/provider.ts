/**
 * Where bought numbers come from. `InventoryService.buy` runs the same loop over any provider:
 * search for candidates, `purchase` one (atomic: it either becomes ours or reports that somebody
 * else got it first, and the loop moves to the next candidate), register it as a phone number,
 * and `release` it if that registration fails or the number is deleted later.
 *
 * Providers: the operator's own stock (`LocalInventory`, DID blocks loaded with
 * `switchboard inventory add`, no network), and the carriers (`TwilioProvider`, `TelnyxProvider`)
 * through their official SDKs. A carrier also lists what its account already owns (`sync`).
 */
export interface NumberCriteria {
  /** One specific number (E.164). */
  phone_number?: string | undefined;
  /** ISO 3166-1 alpha-2. */
  country?: string | undefined;
  /** National destination code as libphonenumber formats it, e.g. `415`. */
  area_code?: string | undefined;
  /** true: toll-free only; false: no toll-free; undefined: either. */
  toll_free?: boolean | undefined;
  /** Carrier the number must come from (stock with no recorded carrier matches any). */
  provider?: string | undefined;
}

export interface AvailableNumber {
  e164: string;
  /** The carrier the number was bought from, or null when the operator did not say. */
  provider: string | null;
  provider_sid: string | null;
  /** What the carrier says the number can do; absent when it did not say. */
  capabilities?: { voice: boolean; sms: boolean } | undefined;
}

/** A number to give back: the carrier needs its own id for it, the stock needs the number. */
export interface HeldNumber {
  e164: string;
  provider_sid: string | null;
}

export interface NumberProvider {
  readonly name: string;
  /** Up to `limit` numbers that match and are free right now (no guarantee they still are later). */
  search(criteria: NumberCriteria, limit: number): Promise<AvailableNumber[]>;
  /** Takes the number for a workspace; null when it was taken meanwhile. Never takes it twice. */
  purchase(number: AvailableNumber, workspaceId: string): Promise<AvailableNumber | null>;
  /** Gives a number back (its phone-number record was deleted, or registering it failed). */
  release(number: HeldNumber): Promise<void>;
}

/** A number an account at a carrier owns, as `sync` imports it. */
export interface OwnedNumber {
  e164: string;
  provider_sid: string;
  capabilities: { voice: boolean; sms: boolean };
}

/**
 * A carrier: buying costs money and releasing gives the number up for good, so its releases go
 * through the durable queue (src/services/inventory/releases.ts) rather than a direct call.
 */
export interface CarrierProvider extends NumberProvider {
  readonly name: 'twilio' | 'telnyx';
  /** The account's numbers, one carrier page at a time (`total` when the carrier says it). */
  owned(): AsyncIterable<{ numbers: OwnedNumber[]; total: number | null }>;
}

export function isCarrier(provider: NumberProvider): provider is CarrierProvider {
  return typeof (provider as Partial<CarrierProvider>).owned === 'function';
}
