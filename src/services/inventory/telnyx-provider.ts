import type Telnyx from 'telnyx';
import { setTimeout as sleep } from 'node:timers/promises';
import { providerErrorFor, type CarrierFailure, type CarrierLabel } from './carrier-errors.ts';
import type { AvailableNumber, CarrierProvider, HeldNumber, NumberCriteria, OwnedNumber } from './provider.ts';

export interface TelnyxSettings {
  apiKey: string;
  connectionId?: string | undefined;
  /** `TELNYX_API_BASE_URL`, e.g. `https://api.telnyx.com/v2` (the SDK's `baseURL` option). */
  baseUrl: string;
  timeoutMs: number;
}

const OWNED_PAGE_SIZE = 100;
/** How often a `pending` number order is looked at again, until it succeeds or fails. */
const ORDER_POLL_MS = 100;

/** Buying, releasing and listing numbers of one Telnyx account with the official `telnyx` SDK (API v2). */
export class TelnyxProvider implements CarrierProvider {
  readonly name = 'telnyx' as const;
  // Loaded on first use: importing the SDK costs about half a second of CPU.
  private sdk: Promise<{ client: Telnyx; Telnyx: typeof Telnyx }> | null = null;
  private readonly label: CarrierLabel;

  constructor(private readonly settings: TelnyxSettings) {
    this.label = { title: 'Telnyx', credentialSettings: 'TELNYX_API_KEY', timeoutMs: settings.timeoutMs };
  }

  async search(criteria: NumberCriteria, limit: number): Promise<AvailableNumber[]> {
    if (criteria.phone_number) return [{ e164: criteria.phone_number, provider: this.name, provider_sid: null }];
    const found = await this.call((client) =>
      client.availablePhoneNumbers.list({
        filter: {
          country_code: criteria.country ?? 'US',
          ...(criteria.area_code ? { national_destination_code: criteria.area_code } : {}),
          ...(criteria.toll_free !== undefined ? { phone_number_type: criteria.toll_free ? 'toll_free' : 'local' } : {}),
          features: ['voice'],
          limit,
        },
      }),
    );
    return (found.data ?? [])
      .filter((number) => typeof number.phone_number === 'string')
      .map((number) => {
        const features = new Set((number.features ?? []).map((feature) => feature.name));
        return { e164: number.phone_number!, provider: this.name, provider_sid: null, capabilities: { voice: features.has('voice'), sms: features.has('sms') } };
      });
  }

  async purchase(number: AvailableNumber): Promise<AvailableNumber | null> {
    let order;
    try {
      order = await this.call((client) =>
        client.numberOrders.create({
          phone_numbers: [{ phone_number: number.e164 }],
          ...(this.settings.connectionId ? { connection_id: this.settings.connectionId } : {}),
        }),
        'order',
      );
    } catch (error) {
      // Telnyx refuses a number that is no longer free (or was not searched recently) with a 4xx.
      if (error instanceof RefusedByCarrier) return null;
      throw error;
    }
    // An order may answer `pending` and settle a moment later.
    const deadline = Date.now() + this.settings.timeoutMs;
    let status: string | undefined = order.data?.status;
    while (status === 'pending') {
      if (Date.now() > deadline) throw providerErrorFor(this.label, { timedOut: true });
      await sleep(ORDER_POLL_MS);
      const id = order.data!.id!;
      status = (await this.call((client) => client.numberOrders.retrieve(id))).data?.status;
    }
    if (status !== 'success') return null;
    // The order's entries have their own ids; the number's id (what DELETE takes) is its phone_numbers record.
    const owned = await this.call((client) => client.phoneNumbers.list({ filter: { phone_number: number.e164 } }));
    const record = owned.data.find((item) => item.phone_number === number.e164);
    if (!record?.id) throw providerErrorFor(this.label, { status: 502, code: 'order without a phone number record' });
    return { ...number, provider_sid: record.id };
  }

  async release(number: HeldNumber): Promise<void> {
    if (!number.provider_sid) return;
    try {
      await this.call((client) => client.phoneNumbers.delete(number.provider_sid!), 'release');
    } catch (error) {
      if (error instanceof NotFoundAtCarrier) return;
      throw error;
    }
  }

  async *owned(): AsyncIterable<{ numbers: OwnedNumber[]; total: number | null }> {
    let page = await this.call((client) => client.phoneNumbers.list({ 'page[size]': OWNED_PAGE_SIZE }));
    for (;;) {
      const meta = page.meta as { total_results?: number } | undefined;
      yield {
        numbers: page.data
          .filter((item) => item.id && item.phone_number)
          // The list has no feature flags: every number takes calls; SMS needs a messaging profile.
          .map((item) => ({ e164: item.phone_number, provider_sid: item.id, capabilities: { voice: true, sms: Boolean(item.messaging_profile_id) } })),
        total: typeof meta?.total_results === 'number' ? meta.total_results : null,
      };
      if (!page.hasNextPage()) return;
      const current = page;
      page = await this.call(() => current.getNextPage());
    }
  }

  /**
   * Runs one SDK call; a failure leaves as a ProviderError, never as the SDK's error. For an
   * order a 4xx means the number is not to be had; for a release a 404 means it is gone already.
   */
  private async call<T>(work: (client: Telnyx) => Promise<T>, kind: 'order' | 'release' | 'read' = 'read'): Promise<T> {
    this.sdk ??= import('telnyx').then(({ default: Telnyx }) => ({
      Telnyx,
      client: new Telnyx({
        apiKey: this.settings.apiKey,
        baseURL: this.settings.baseUrl,
        timeout: this.settings.timeoutMs,
        // The SDK would retry 5xx and timeouts twice on its own, tripling the wait a client sees;
        // a buy is retried by choosing the next candidate, a release by the release queue.
        maxRetries: 0,
        logLevel: 'off',
      }),
    }));
    const sdk = await this.sdk;
    try {
      return await work(sdk.client);
    } catch (error) {
      const failure = failureOf(error, sdk.Telnyx);
      if (kind === 'release' && failure.status === 404) throw new NotFoundAtCarrier();
      if (kind === 'order' && (failure.status === 400 || failure.status === 409 || failure.status === 422)) throw new RefusedByCarrier();
      throw providerErrorFor(this.label, failure);
    }
  }
}

class NotFoundAtCarrier extends Error {}
class RefusedByCarrier extends Error {}

function failureOf(error: unknown, Telnyx: typeof import('telnyx').default): CarrierFailure {
  if (error instanceof Telnyx.APIConnectionTimeoutError) return { timedOut: true };
  if (error instanceof Telnyx.APIError && error.status !== undefined) {
    const body: unknown = error.error;
    const first: { code?: string | number } | undefined = (body as { errors?: Array<{ code?: string | number }> } | undefined)?.errors?.[0];
    return { status: error.status as number, code: first?.code === undefined ? undefined : String(first.code) };
  }
  return {};
}
