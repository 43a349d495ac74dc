import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import Retell from 'retell-sdk';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { TelnyxStandin } from './telnyx-standin.ts';
import { TwilioStandin } from './twilio-standin.ts';
import { sfNumbers, waitFor } from './support.ts';

const CONNECTION_ID = '1684641123236054244';
let telnyx: TelnyxStandin;
let twilio: TwilioStandin;
let h: Harness;
let retellBase: string;
const sfNumber = sfNumbers(7_400_000);

function carrierEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_API_KEY_SID: twilio.apiKeySid,
    TWILIO_API_KEY_SECRET: twilio.apiKeySecret,
    TWILIO_API_BASE_URL: twilio.http.url,
    TELNYX_API_KEY: telnyx.apiKey,
    TELNYX_CONNECTION_ID: CONNECTION_ID,
    TELNYX_API_BASE_URL: `${telnyx.http.url}/v2`,
    CARRIER_RELEASE_RETRY_MS: '20',
    ...extra,
  };
}

beforeAll(async () => {
  telnyx = new TelnyxStandin();
  twilio = new TwilioStandin();
  await Promise.all([telnyx.start(), twilio.start()]);
  h = await createHarness({ env: carrierEnv() });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  retellBase = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/retell`;
});
afterAll(async () => {
  await h.close();
  await Promise.all([telnyx.close(), twilio.close()]);
});

async function workspaceKey() {
  telnyx.available.clear();
  twilio.available.clear();
  const workspace = await h.workspace();
  return { key: await workspace.key(), workspace };
}

describe('buying at Telnyx through the official telnyx SDK (stand-in server), next to Twilio', () => {
  test('retell-sdk create with number_provider telnyx: searched, ordered on the connection, polled, answered retell-telnyx; delete releases it', async () => {
    const { key } = await workspaceKey();
    const number = sfNumber();
    telnyx.offer(number);
    twilio.offer(sfNumber());
    const before = telnyx.http.requests.length;
    const retell = new Retell({ apiKey: key, baseURL: retellBase, maxRetries: 0 });

    const bought = await retell.phoneNumber.create({ area_code: 415, number_provider: 'telnyx' });
    expect(bought).toMatchObject({ phone_number: number, phone_number_type: 'retell-telnyx' });

    const sent = telnyx.http.requests.slice(before);
    for (const request of sent) expect(request.headers.authorization).toBe(`Bearer ${telnyx.apiKey}`);
    const search = sent.find((request) => request.path === '/v2/available_phone_numbers')!;
    expect(search.query.get('filter[country_code]')).toBe('US');
    expect(search.query.get('filter[national_destination_code]')).toBe('415');
    expect(search.query.get('filter[phone_number_type]')).toBe('local');
    const order = sent.find((request) => request.method === 'POST' && request.path === '/v2/number_orders')!;
    expect(order.headers['content-type']).toContain('application/json');
    expect(JSON.parse(order.body)).toEqual({ phone_numbers: [{ phone_number: number }], connection_id: CONNECTION_ID });
    expect(sent.some((request) => request.method === 'GET' && request.path.startsWith('/v2/number_orders/'))).toBe(true);
    const owned = [...telnyx.owned.values()].find((n) => n.phone_number === number)!;
    expect(owned.connection_id).toBe(CONNECTION_ID);

    const native = (await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(number)}`, { key })).json();
    expect(native).toMatchObject({ source: 'telnyx', provider_sid: owned.id });
    // Twilio was not asked: the request named its carrier.
    expect(twilio.http.requestsTo('POST', /IncomingPhoneNumbers/)).toHaveLength(0);

    await retell.phoneNumber.delete(number);
    await waitFor(async () => !telnyx.owned.has(owned.id));
    expect(telnyx.http.requestsTo('DELETE', new RegExp(`/v2/phone_numbers/${owned.id}$`))).toHaveLength(1);
  });

  test('several carriers: no provider named → the first with a match (Twilio, with an API key), then Telnyx, then the stock', async () => {
    const { key } = await workspaceKey();
    const atTwilio = sfNumber();
    twilio.offer(atTwilio);
    const first = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { area_code: '415', country: 'US' } });
    expect(first.json()).toMatchObject({ phone_number: atTwilio, source: 'twilio' });
    const search = twilio.http.requestsTo('GET', /AvailablePhoneNumbers/).at(-1)!;
    expect(search.headers.authorization).toBe(`Basic ${Buffer.from(`${twilio.apiKeySid}:${twilio.apiKeySecret}`).toString('base64')}`);

    const atTelnyx = sfNumber();
    telnyx.offer(atTelnyx);
    const second = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { area_code: '415', country: 'US' } });
    expect(second.json()).toMatchObject({ phone_number: atTelnyx, source: 'telnyx' });

    const inStock = sfNumber();
    await h.runtime.services.stock.add([{ e164: inStock }]);
    const third = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { phone_number: inStock } });
    expect(third.status).toBe(201);

    const none = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { area_code: '415', country: 'US' } });
    expect(none.status).toBe(422);
    expect(none.json().detail).toContain('at twilio or at telnyx or in the inventory');
  });

  test('NUMBER_PROVIDER_DEFAULT=telnyx sends unnamed buys to Telnyx even when Twilio has a match', async () => {
    const other = await createHarness({ env: carrierEnv({ NUMBER_PROVIDER_DEFAULT: 'telnyx' }) });
    try {
      telnyx.available.clear();
      twilio.available.clear();
      const [t1, t2] = [sfNumber(), sfNumber()];
      twilio.offer(t1);
      telnyx.offer(t2);
      const workspace = await other.workspace();
      const bought = await other.request('POST', '/v1/phone-numbers/purchase', { key: await workspace.key(), json: { area_code: '415' } });
      expect(bought.json()).toMatchObject({ phone_number: t2, source: 'telnyx' });
      expect(twilio.available.has(t1)).toBe(true);
    } finally {
      await other.close();
    }
  });

  test('Telnyx errors: rejected key → 502 PROVIDER_AUTH_FAILED, a stall → 504 PROVIDER_TIMEOUT, a number gone meanwhile → the next one', async () => {
    const { key } = await workspaceKey();
    const [a, b] = [sfNumber(), sfNumber()];
    telnyx.offer(a, b);
    telnyx.http.fail({ method: 'GET', path: /available_phone_numbers/, times: 1, reply: { status: 401, body: { errors: [{ code: '10009', title: 'Authentication failed', detail: 'bad key' }] } } });
    const denied = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { area_code: '415', provider: 'telnyx' } });
    expect(denied.status).toBe(502);
    expect(denied.json()).toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
    expect(denied.json().detail).toContain('TELNYX_API_KEY');
    expect(denied.body).not.toContain(telnyx.apiKey);

    const impatient = await createHarness({ env: carrierEnv({ CARRIER_TIMEOUT_MS: '300' }) });
    try {
      const other = await (await impatient.workspace()).key();
      telnyx.http.fail({ method: 'GET', path: /available_phone_numbers/, times: 1, delayMs: 2000 });
      const slow = await impatient.request('POST', '/v1/phone-numbers/purchase', { key: other, json: { area_code: '415', provider: 'telnyx' } });
      expect(slow.status).toBe(504);
      expect(slow.json()).toMatchObject({ code: 'PROVIDER_TIMEOUT' });
    } finally {
      await impatient.close();
    }

    telnyx.http.fail({ method: 'POST', path: /number_orders/, times: 1, reply: { status: 422, body: { errors: [{ code: '10015', title: 'Bad Request', detail: 'not available' }] } } });
    const bought = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { area_code: '415', provider: 'telnyx' } });
    expect(bought.status).toBe(201);
    expect([a, b]).toContain(bought.json().phone_number);
  });

  test('20 concurrent Telnyx buys never register the same number', async () => {
    const { key } = await workspaceKey();
    const offered = Array.from({ length: 22 }, () => sfNumber());
    telnyx.offer(...offered);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => h.request('POST', '/v1/phone-numbers/purchase', { key, json: { area_code: '415', provider: 'telnyx' } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(results.map((r) => r.json().phone_number)).size).toBe(20);
    expect(new Set(results.map((r) => r.json().provider_sid)).size).toBe(20);
  });
});
