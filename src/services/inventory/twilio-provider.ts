import type { Twilio } from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { providerErrorFor, type CarrierFailure, type CarrierLabel } from './carrier-errors.ts';
import type { AvailableNumber, CarrierProvider, HeldNumber, NumberCriteria, OwnedNumber } from './provider.ts';

export const TWILIO_DEFAULT_ORIGIN = 'https://api.twilio.com';

export interface TwilioSettings {
  accountSid: string;
  /** The auth token's account SID, or an API key SID (`SK…`). */
  username: string;
  password: string;
  trunkSid?: string | undefined;
  voiceUrl?: string | undefined;
  /** `TWILIO_API_BASE_URL`: an origin such as `https://api.twilio.com`. */
  baseUrl: string;
  timeoutMs: number;
}

/** Twilio error codes meaning "this number cannot be bought (any more)" (21422: not available). */
const NOT_AVAILABLE = new Set([21422, 21421, 21452]);
/** How many owned numbers one sync page asks for (Twilio's default is 50, the maximum 1000). */
const OWNED_PAGE_SIZE = 100;

/**
 * The SDK client. twilio-node has no base-URL option: every resource's domain is fixed
 * (`https://api.twilio.com`) and `edge`/`region` only rewrite the host name within twilio.com.
 * Its supported extension point is the `httpClient` option, so the least-bad way to point it
 * elsewhere (a stand-in server in tests, a proxy) is the SDK's own RequestClient with the origin
 * replaced just before each request is sent; auth, form encoding, paging and error parsing all
 * stay the SDK's. Loaded on first use: the SDK costs half a second of CPU to import, which a CLI
 * command or an installation without Twilio should not pay.
 */
async function twilioClient(settings: TwilioSettings): Promise<{ client: Twilio; RestException: new (...args: never[]) => { status: number; code?: number } }> {
  const { default: twilio } = await import('twilio');
  class RebasedRequestClient extends twilio.RequestClient {
    constructor(private readonly origin: URL) {
      super({ timeout: settings.timeoutMs });
    }

    override request<TData>(options: RequestClient.RequestOptions<TData>) {
      const uri = new URL(options.uri);
      uri.protocol = this.origin.protocol;
      uri.host = this.origin.host;
      return super.request<TData>({ ...options, uri: uri.href });
    }
  }
  const origin = new URL(settings.baseUrl);
  const client = twilio(settings.username, settings.password, {
    accountSid: settings.accountSid,
    timeout: settings.timeoutMs,
    // Never read TWILIO_* from process.env behind the config's back.
    env: {},
    ...(origin.origin !== TWILIO_DEFAULT_ORIGIN ? { httpClient: new RebasedRequestClient(origin) } : {}),
  });
  return { client, RestException: twilio.RestException };
}

/** Buying, releasing and listing numbers of one Twilio account with the official `twilio` SDK. */
export class TwilioProvider implements CarrierProvider {
  readonly name = 'twilio' as const;
  private sdk: ReturnType<typeof twilioClient> | null = null;
  private readonly label: CarrierLabel;

  constructor(private readonly settings: TwilioSettings) {
    this.label = {
      title: 'Twilio',
      credentialSettings: settings.username.startsWith('SK') ? 'TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET' : 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
      timeoutMs: settings.timeoutMs,
    };
  }

  async search(criteria: NumberCriteria, limit: number): Promise<AvailableNumber[]> {
    // A specific number is simply bought: the purchase answers whether it is still free.
    if (criteria.phone_number) return [{ e164: criteria.phone_number, provider: this.name, provider_sid: null }];
    const countryCode = criteria.country ?? 'US';
    const params = { ...(criteria.area_code ? { areaCode: Number(criteria.area_code) } : {}), voiceEnabled: true, limit };
    const found: Array<{ phoneNumber: string; capabilities: unknown }> = criteria.toll_free
      ? await this.call((client) => client.availablePhoneNumbers(countryCode).tollFree.list(params))
      : await this.call((client) => client.availablePhoneNumbers(countryCode).local.list(params));
    return found.map((number) => ({ e164: number.phoneNumber, provider: this.name, provider_sid: null, capabilities: capabilitiesOf(number.capabilities) }));
  }

  async purchase(number: AvailableNumber): Promise<AvailableNumber | null> {
    try {
      const bought = await this.call((client) =>
        client.incomingPhoneNumbers.create({
          phoneNumber: number.e164,
          // A trunk takes the calls; TrunkSid makes Twilio ignore any voice URL.
          ...(this.settings.trunkSid ? { trunkSid: this.settings.trunkSid } : this.settings.voiceUrl ? { voiceUrl: this.settings.voiceUrl } : {}),
        }),
        'buy',
      );
      return { e164: bought.phoneNumber, provider: this.name, provider_sid: bought.sid, capabilities: capabilitiesOf(bought.capabilities) };
    } catch (error) {
      if (error instanceof NotAvailable) return null;
      throw error;
    }
  }

  async release(number: HeldNumber): Promise<void> {
    if (!number.provider_sid) return;
    try {
      await this.call((client) => client.incomingPhoneNumbers(number.provider_sid!).remove(), 'release');
    } catch (error) {
      // Already gone from the account: the release happened (an earlier attempt, or by hand).
      if (error instanceof NotFoundAtCarrier) return;
      throw error;
    }
  }

  async *owned(): AsyncIterable<{ numbers: OwnedNumber[]; total: number | null }> {
    type OwnedPage = { instances: Array<{ phoneNumber: string; sid: string; capabilities: unknown }>; nextPage(): Promise<OwnedPage> | undefined };
    let page: OwnedPage = await this.call((client) => client.incomingPhoneNumbers.page({ pageSize: OWNED_PAGE_SIZE }));
    for (;;) {
      yield {
        numbers: page.instances.map((number) => ({ e164: number.phoneNumber, provider_sid: number.sid, capabilities: capabilitiesOf(number.capabilities) })),
        total: null,
      };
      const next = page.nextPage();
      if (!next) return;
      page = await this.call(() => next);
    }
  }

  /** Runs one SDK call; its failure leaves here as a ProviderError (or a not-found/not-available signal), never as the SDK's error. */
  private async call<T>(work: (client: Twilio) => Promise<T>, kind: 'buy' | 'release' | 'read' = 'read'): Promise<T> {
    this.sdk ??= twilioClient(this.settings);
    const { client, RestException } = await this.sdk;
    try {
      return await work(client);
    } catch (error) {
      const failure = failureOf(error, RestException);
      if (kind === 'release' && failure.status === 404) throw new NotFoundAtCarrier();
      if (kind === 'buy' && failure.status === 400 && NOT_AVAILABLE.has(Number(failure.code))) throw new NotAvailable();
      throw providerErrorFor(this.label, failure);
    }
  }
}

class NotAvailable extends Error {}
class NotFoundAtCarrier extends Error {}

function failureOf(error: unknown, RestException: new (...args: never[]) => { status: number; code?: number }): CarrierFailure {
  if (error instanceof RestException) return { status: error.status, code: error.code === undefined ? undefined : String(error.code) };
  const code = (error as { code?: unknown } | null)?.code;
  return { timedOut: code === 'ECONNABORTED' || code === 'ETIMEDOUT' };
}

/** Twilio's capability keys are lowercase in its schema but upper-case in some answers. */
function capabilitiesOf(raw: unknown): { voice: boolean; sms: boolean } {
  const entries = Object.entries((raw ?? {}) as Record<string, unknown>).map(([key, value]) => [key.toLowerCase(), value === true]);
  const flags = Object.fromEntries(entries) as Record<string, boolean>;
  return { voice: flags.voice ?? false, sms: flags.sms ?? false };
}
