import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { TelnyxStandin } from './telnyx-standin.ts';
import { TwilioStandin } from './twilio-standin.ts';

let telnyx: TelnyxStandin;
let twilio: TwilioStandin;
let h: Harness;
const logLines: string[] = [];

/** `count` consecutive valid New York numbers from `start`. */
function nyNumbers(start: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `+1212${String(start + i).padStart(7, '0')}`);
}

beforeAll(async () => {
  telnyx = new TelnyxStandin();
  twilio = new TwilioStandin();
  await Promise.all([telnyx.start(), twilio.start()]);
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  h = await createHarness({
    env: {
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_API_BASE_URL: twilio.http.url,
      TELNYX_API_KEY: telnyx.apiKey,
      TELNYX_API_BASE_URL: `${telnyx.http.url}/v2`,
    },
    logger: pino({ level: 'trace' }, sink),
  });
});
afterAll(async () => {
  await h.close();
  await Promise.all([telnyx.close(), twilio.close()]);
});

describe('POST /v1/phone-numbers/sync', () => {
  test('Twilio: several pages imported with source, sid and capabilities; repeated sync changes nothing; another workspace\'s number is left alone', async () => {
    const numbers = nyNumbers(5_550_000, 230);
    const owned = numbers.map((number, i) => twilio.own(number, { voice: true, sms: i % 2 === 0, mms: false, fax: false }));
    const [a, b] = [await h.workspace(), await h.workspace()];
    const [keyA, keyB] = [await a.key(), await b.key()];
    // Workspace B registered one of the account's numbers before.
    expect((await h.request('POST', '/v1/phone-numbers', { key: keyB, json: { phone_number: numbers[7] } })).status).toBe(201);

    const dry = await h.request('POST', '/v1/phone-numbers/sync', { key: keyA, json: { provider: 'twilio', dry_run: true } });
    expect(dry.json()).toMatchObject({ provider: 'twilio', dry_run: true, added: 229, already_here: 0, owned_elsewhere: 1 });
    expect((await h.request('GET', '/v1/phone-numbers?limit=5', { key: keyA })).json().data).toHaveLength(0);

    const before = twilio.http.requests.length;
    const first = await h.request('POST', '/v1/phone-numbers/sync', { key: keyA, json: { provider: 'twilio' } });
    expect(first.status).toBe(200);
    expect(first.json()).toEqual({ provider: 'twilio', dry_run: false, added: 229, already_here: 0, owned_elsewhere: 1, failed: 0, errors: [] });
    // The SDK followed next_page_uri through three pages of 100.
    const pages = twilio.http.requests.slice(before).filter((request) => request.path.endsWith('/IncomingPhoneNumbers.json'));
    expect(pages.map((request) => request.query.get('Page') ?? '0')).toEqual(['0', '1', '2']);
    expect(pages[0]!.query.get('PageSize')).toBe('100');

    const record = (await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(numbers[1]!)}`, { key: keyA })).json();
    expect(record).toMatchObject({ source: 'twilio', provider_sid: owned[1]!.sid, capabilities: { voice: true, sms: false } });
    expect((await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(numbers[2]!)}`, { key: keyA })).json().capabilities).toEqual({ voice: true, sms: true });
    // Not disclosed to A, not moved from B.
    expect((await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(numbers[7]!)}`, { key: keyA })).status).toBe(404);
    expect((await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(numbers[7]!)}`, { key: keyB })).json().source).not.toBe('twilio');

    const again = await h.request('POST', '/v1/phone-numbers/sync', { key: keyA, json: { provider: 'twilio' } });
    expect(again.json()).toMatchObject({ added: 0, already_here: 229, owned_elsewhere: 1 });

    // Synced numbers are not bought ones: deleting one never releases it at Twilio.
    expect((await h.request('DELETE', `/v1/phone-numbers/${record.id}`, { key: keyA })).status).toBe(204);
    await h.runtime.services.releases.runDue();
    expect(twilio.owned.has(owned[1]!.sid)).toBe(true);
    expect(twilio.http.requestsTo('DELETE', /IncomingPhoneNumbers/)).toHaveLength(0);
  });

  test('Telnyx: pages by page[number] until total_pages; SMS from the messaging profile', async () => {
    const numbers = nyNumbers(5_560_000, 150);
    const owned = numbers.map((number, i) => telnyx.own(number, i === 0));
    const workspace = await h.workspace();
    const key = await workspace.key();
    const before = telnyx.http.requests.length;
    const result = await h.request('POST', '/v1/phone-numbers/sync', { key, json: { provider: 'telnyx' } });
    expect(result.json()).toMatchObject({ provider: 'telnyx', added: 150, already_here: 0, owned_elsewhere: 0 });
    const pages = telnyx.http.requests.slice(before).filter((request) => request.path === '/v2/phone_numbers');
    expect(pages.map((request) => request.query.get('page[number]') ?? '1')).toEqual(['1', '2']);
    for (const page of pages) expect(page.headers.authorization).toBe(`Bearer ${telnyx.apiKey}`);
    const first = (await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(numbers[0]!)}`, { key })).json();
    expect(first).toMatchObject({ source: 'telnyx', provider_sid: owned[0]!.id, capabilities: { voice: true, sms: true } });
    expect((await h.request('POST', '/v1/phone-numbers/sync', { key, json: { provider: 'telnyx' } })).json()).toMatchObject({ added: 0, already_here: 150 });
  });

  test('admin scope only; an unconfigured or unknown provider is a clear 400; carrier failures are 502 without the credential anywhere', async () => {
    const workspace = await h.workspace();
    const writer = await workspace.key(['numbers:read', 'numbers:write']);
    expect((await h.request('POST', '/v1/phone-numbers/sync', { key: writer, json: { provider: 'twilio' } })).status).toBe(403);
    const admin = await workspace.key(['admin']);
    const unknown = await h.request('POST', '/v1/phone-numbers/sync', { key: admin, json: { provider: 'vonage' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json().errors[0].field).toBe('provider');

    twilio.http.fail({ method: 'GET', path: /IncomingPhoneNumbers\.json$/, times: 1, reply: { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } } });
    const denied = await h.request('POST', '/v1/phone-numbers/sync', { key: admin, json: { provider: 'twilio' } });
    expect(denied.status).toBe(502);
    expect(denied.json().code).toBe('PROVIDER_AUTH_FAILED');
    twilio.http.fail({ method: 'GET', path: /IncomingPhoneNumbers\.json$/, times: 1, reply: { status: 500, body: { code: 20500, message: 'Internal', status: 500 } } });
    expect((await h.request('POST', '/v1/phone-numbers/sync', { key: admin, json: { provider: 'twilio' } })).json().code).toBe('PROVIDER_UNAVAILABLE');

    const everything = logLines.join('');
    expect(everything.length).toBeGreaterThan(0);
    for (const secret of [twilio.authToken, telnyx.apiKey, Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')]) {
      expect(everything).not.toContain(secret);
    }
    const events = await h.runtime.database.db.selectFrom('phone_number_events').select(['before', 'after']).execute();
    const audit = JSON.stringify(events);
    expect(audit).not.toContain(twilio.authToken);
    expect(audit).not.toContain(telnyx.apiKey);
  });
});
