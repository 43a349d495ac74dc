/**
 * Where bought numbers come from. `InventoryService.buy` runs the same loop over any provider:
 * search for candidates, `purchase` one (atomic: it either becomes ours or reports that somebody
 * else got it first, and the loop moves to the next candidate), register it as a phone number,
 * and `release` it if that registration fails or the number is deleted later.
 *
 * The built-in provider is the operator's own stock (`LocalInventory`, DID blocks loaded with
 * `switchboard inventory add`), which needs no network. A Twilio adapter would implement the same
 * interface next to it: `search` → AvailablePhoneNumbers/{country}/Local|TollFree (AreaCode),
 * `purchase` → POST IncomingPhoneNumbers (a number taken meanwhile fails → return null), `release`
 * → DELETE IncomingPhoneNumbers/{sid}; Telnyx: available_phone_numbers, number_orders,
 * DELETE phone_numbers/{id}.
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
}

export interface NumberProvider {
  readonly name: string;
  /** Up to `limit` numbers that match and are free right now (no guarantee they still are later). */
  search(criteria: NumberCriteria, limit: number): Promise<AvailableNumber[]>;
  /** Takes the number for a workspace; null when it was taken meanwhile. Never takes it twice. */
  purchase(number: AvailableNumber, workspaceId: string): Promise<AvailableNumber | null>;
  /** Gives a number back (its phone-number record was deleted, or registering it failed). */
  release(e164: string): Promise<void>;
}
