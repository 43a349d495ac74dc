/**
 * A STAND-IN for the Twilio REST API 2010-04-01 (phone numbers only), for tests. Written from
 * Twilio's public API reference: paths under /2010-04-01/Accounts/{AccountSid}/… ending `.json`,
 * form-encoded POST bodies with PascalCase keys, HTTP Basic auth (account SID + auth token, or
 * API key SID + secret), snake_case JSON answers, buy → 201, delete → 204 with no body, errors as
 * `{code, message, more_info, status}` (20003 auth, 20404 not found, 21422 not available),
 * searches capped at 30 without paging, lists paged by PageSize/Page/PageToken with a relative
 * `next_page_uri`. It is not Twilio.
 */
import crypto from 'node:crypto';
import { StandinHttp, type RecordedRequest, type StandinReply } from './standin-http.ts';

export interface TwilioStandinNumber {
  sid: string;
  phone_number: string;
  trunk_sid: string | null;
  voice_url: string | null;
  capabilities: { voice: boolean; sms: boolean; mms: boolean; fax: boolean };
}

const SEARCH_CAP = 30;

export class TwilioStandin {
  readonly http = new StandinHttp((request) => this.handle(request));
  readonly accountSid = `AC${crypto.randomBytes(16).toString('hex')}`;
  readonly authToken = crypto.randomBytes(16).toString('hex');
  readonly apiKeySid = `SK${crypto.randomBytes(16).toString('hex')}`;
  readonly apiKeySecret = crypto.randomBytes(16).toString('hex');
  /** Numbers for sale, by country: local or toll-free. */
  readonly available = new Map<string, { phone_number: string; toll_free: boolean }>();
  /** Numbers the account owns, in purchase order. */
  readonly owned = new Map<string, TwilioStandinNumber>();

  start(): Promise<string> {
    return this.http.start();
  }

  close(): Promise<void> {
    return this.http.close();
  }

  offer(...numbers: string[]): void {
    for (const number of numbers) this.available.set(number, { phone_number: number, toll_free: /^\+18(00|33|44|55|66|77|88)/.test(number) });
  }

  /** A number the account owns already (bought elsewhere, before Switchboard). */
  own(phoneNumber: string, capabilities = { voice: true, sms: true, mms: false, fax: false }): TwilioStandinNumber {
    const number = { sid: `PN${crypto.randomBytes(16).toString('hex')}`, phone_number: phoneNumber, trunk_sid: null, voice_url: null, capabilities };
    this.owned.set(number.sid, number);
    return number;
  }

  private handle(request: RecordedRequest): StandinReply {
    const prefix = `/2010-04-01/Accounts/${this.accountSid}`;
    if (!this.authorized(request) || !request.path.startsWith(`${prefix}/`)) {
      return error(401, 20003, 'Authenticate');
    }
    const path = request.path.slice(prefix.length);
    let match: RegExpExecArray | null;
    if (request.method === 'GET' && (match = /^\/AvailablePhoneNumbers\/([A-Z]{2})\/(Local|TollFree)\.json$/.exec(path))) {
      return this.search(request, match[1]!, match[2] === 'TollFree');
    }
    if (path === '/IncomingPhoneNumbers.json' && request.method === 'POST') return this.buy(new URLSearchParams(request.body));
    if (path === '/IncomingPhoneNumbers.json' && request.method === 'GET') return this.list(request.query, `${prefix}/IncomingPhoneNumbers.json`);
    if ((match = /^\/IncomingPhoneNumbers\/(PN[0-9a-f]{32})\.json$/.exec(path)) && request.method === 'DELETE') {
      if (!this.owned.delete(match[1]!)) return error(404, 20404, `The requested resource ${request.path} was not found`);
      return { status: 204 };
    }
    return error(404, 20404, `The requested resource ${request.path} was not found`);
  }

  private authorized(request: RecordedRequest): boolean {
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return false;
    const [user, secret] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    return (user === this.accountSid && secret === this.authToken) || (user === this.apiKeySid && secret === this.apiKeySecret);
  }

  private search(request: RecordedRequest, country: string, tollFree: boolean): StandinReply {
    const areaCode = request.query.get('AreaCode');
    const pageSize = Math.min(Number(request.query.get('PageSize') ?? 50), SEARCH_CAP);
    const matches = [...this.available.values()]
      .filter((number) => number.toll_free === tollFree && (country !== 'US' || number.phone_number.startsWith('+1')))
      .filter((number) => !areaCode || number.phone_number.startsWith(`+1${areaCode}`))
      .slice(0, pageSize);
    return {
      status: 200,
      body: {
        available_phone_numbers: matches.map((number) => ({
          friendly_name: number.phone_number,
          phone_number: number.phone_number,
          iso_country: country,
          address_requirements: 'none',
          beta: false,
          // Some live answers capitalise these keys; Switchboard reads them either way.
          capabilities: { voice: true, SMS: true, MMS: false, fax: false },
        })),
        uri: request.path,
        page: 0,
        page_size: pageSize,
        start: 0,
        end: matches.length - 1,
        first_page_uri: request.path,
        next_page_uri: null,
        previous_page_uri: null,
      },
    };
  }

  private buy(form: URLSearchParams): StandinReply {
    const phoneNumber = form.get('PhoneNumber');
    if (!phoneNumber || !this.available.has(phoneNumber)) {
      return error(400, 21422, `PhoneNumber ${phoneNumber ?? ''} is not available.`);
    }
    this.available.delete(phoneNumber);
    const number: TwilioStandinNumber = {
      sid: `PN${crypto.randomBytes(16).toString('hex')}`,
      phone_number: phoneNumber,
      trunk_sid: form.get('TrunkSid'),
      voice_url: form.get('TrunkSid') ? null : form.get('VoiceUrl'),
      capabilities: { voice: true, sms: true, mms: false, fax: false },
    };
    this.owned.set(number.sid, number);
    return { status: 201, body: this.resource(number) };
  }

  private list(query: URLSearchParams, uri: string): StandinReply {
    const pageSize = Math.min(Number(query.get('PageSize') ?? 50), 1000);
    const page = Number(query.get('Page') ?? 0);
    const all = [...this.owned.values()];
    const slice = all.slice(page * pageSize, (page + 1) * pageSize);
    const more = (page + 1) * pageSize < all.length;
    return {
      status: 200,
      body: {
        incoming_phone_numbers: slice.map((number) => this.resource(number)),
        uri: `${uri}?PageSize=${pageSize}&Page=${page}`,
        page,
        page_size: pageSize,
        start: page * pageSize,
        end: page * pageSize + slice.length - 1,
        first_page_uri: `${uri}?PageSize=${pageSize}&Page=0`,
        next_page_uri: more ? `${uri}?PageSize=${pageSize}&Page=${page + 1}&PageToken=PA${slice.at(-1)!.sid}` : null,
        previous_page_uri: null,
      },
    };
  }

  private resource(number: TwilioStandinNumber) {
    const now = new Date().toUTCString().replace('GMT', '+0000');
    return {
      sid: number.sid,
      account_sid: this.accountSid,
      phone_number: number.phone_number,
      friendly_name: number.phone_number,
      capabilities: number.capabilities,
      trunk_sid: number.trunk_sid,
      voice_url: number.voice_url,
      voice_method: 'POST',
      voice_application_sid: null,
      origin: 'twilio',
      status: 'in-use',
      api_version: '2010-04-01',
      date_created: now,
      date_updated: now,
      uri: `/2010-04-01/Accounts/${this.accountSid}/IncomingPhoneNumbers/${number.sid}.json`,
    };
  }
}

function error(status: number, code: number, message: string): StandinReply {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}
