import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import Retell from 'retell-sdk';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { TwilioStandin } from './twilio-standin.ts';
import { sfNumbers, waitFor } from './support.ts';

const TRUNK_SID = `TK${'ab'.repeat(16)}`;
let twilio: TwilioStandin;
let h: Harness;
let retellBase: string;
const sfNumber = sfNumbers(7_200_000);

beforeAll(async () => {
  twilio = new TwilioStandin();
  const base = await twilio.start();
  h = await createHarness({
    env: {
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_TRUNK_SID: TRUNK_SID,
      TWILIO_API_BASE_URL: base,
      CARRIER_RELEASE_RETRY_MS: '20',
      CARRIER_RELEASE_MAX_ATTEMPTS: '3',
    },
  });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  retellBase = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/retell`;
});
afterAll(async () => {
  await h.close();
  await twilio.close();
});

/** A fresh workspace; the stand-in's stock is emptied so each test offers its own numbers. */
async function workspaceKey() {
  twilio.available.clear();
  const workspace = await h.workspace();
  return { key: await workspace.key(), workspace };
}

async function releasesOf(key: string) {
  return (await h.request('GET', '/v1/carrier-releases', { key })).json().data as Array<Record<string, any>>;
}

describe('buying at Twilio through the official twilio SDK (stand-in server)', () => {
  test('retell-sdk create({ area_code: 415 }) buys at Twilio on the trunk and answers retell-twilio; delete releases it once', async () => {
    const { key } = await workspaceKey();
    const number = sfNumber();
    twilio.offer(number);
    const before = twilio.http.requests.length;
    const retell = new Retell({ apiKey: key, baseURL: retellBase, maxRetries: 0 });

    const bought = await retell.phoneNumber.create({ area_code: 415 });
    expect(bought).toMatchObject({ phone_number: number, phone_number_type: 'retell-twilio', area_code: 415 });

    const sent = twilio.http.requests.slice(before);
    const search = sent.find((request) => request.path.endsWith('/AvailablePhoneNumbers/US/Local.json'))!;
    expect(search.method).toBe('GET');
    expect(search.query.get('AreaCode')).toBe('415');
    expect(search.headers.authorization).toBe(`Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`);
    const buy = sent.find((request) => request.method === 'POST')!;
    expect(buy.path).toBe(`/2010-04-01/Accounts/${twilio.accountSid}/IncomingPhoneNumbers.json`);
    expect(buy.headers['content-type']).toContain('application/x-www-form-urlencoded');
    // The + arrives percent-encoded and decodes back to E.164.
    expect(buy.body).toContain('PhoneNumber=%2B1415');
    const form = new URLSearchParams(buy.body);
    expect(form.get('PhoneNumber')).toBe(number);
    expect(form.get('TrunkSid')).toBe(TRUNK_SID);
    expect(form.get('VoiceUrl')).toBeNull();
    const owned = [...twilio.owned.values()].find((n) => n.phone_number === number)!;
    expect(owned.trunk_sid).toBe(TRUNK_SID);

    const native = (await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(number)}`, { key })).json();
    expect(native).toMatchObject({ source: 'twilio', provider_sid: owned.sid });

    await retell.phoneNumber.delete(number);
    await waitFor(async () => (await releasesOf(key)).find((r) => r.phone_number === number)?.state === 'released');
    expect(twilio.http.requestsTo('DELETE', new RegExp(`${owned.sid}\\.json$`))).toHaveLength(1);
    expect(twilio.owned.has(owned.sid)).toBe(false);
    const events = (await h.request('GET', `/v1/phone-numbers/${native.id}/events`, { key })).json().data;
    expect(events.map((event: { action: string }) => event.action)).toEqual(['create', 'delete', 'carrier_release']);
    expect(events[2].after).toMatchObject({ source: 'twilio', provider_sid: owned.sid, status: 'deleted' });
  });

  test('native purchase with provider twilio; Synthflow and TopCalls show the carrier; delete through each dialect releases', async () => {
    const { key, workspace } = await workspaceKey();
    const numbers = [sfNumber(), sfNumber(), sfNumber()];
    const sids: string[] = [];
    for (const number of numbers) {
      twilio.offer(number);
      const bought = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { phone_number: number, provider: 'twilio', nickname: 'bought' } });
      expect(bought.status).toBe(201);
      expect(bought.json()).toMatchObject({ phone_number: number, source: 'twilio', nickname: 'bought', capabilities: { voice: true, sms: true } });
      sids.push(bought.json().provider_sid);
    }
    const synthflow = (await h.request('GET', `/synthflow/v2/numbers/${encodeURIComponent(numbers[0]!)}?workspace=${workspace.id}`, { key })).json();
    expect(synthflow).toMatchObject({ provider_name: 'twilio', sid: sids[0] });
    const topcalls = (await h.request('GET', `/topcalls/v1/phone-numbers?limit=10`, { key })).json();
    expect(JSON.stringify(topcalls)).toContain('"source":"twilio"');

    // Native, Synthflow, TopCalls deletes: each reaches the carrier once.
    const nativeId = (await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(numbers[0]!)}`, { key })).json().id;
    expect((await h.request('DELETE', `/v1/phone-numbers/${nativeId}`, { key })).status).toBe(204);
    expect((await h.request('DELETE', `/synthflow/v2/numbers/${encodeURIComponent(numbers[1]!)}`, { key })).status).toBeLessThan(300);
    const topcallsId = (await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(numbers[2]!)}`, { key })).json().id;
    expect((await h.request('DELETE', `/topcalls/v1/phone-numbers/${topcallsId}`, { key })).status).toBeLessThan(300);
    await waitFor(async () => (await releasesOf(key)).filter((r) => r.state === 'released').length === 3);
    for (const sid of sids) expect(twilio.http.requestsTo('DELETE', new RegExp(`${sid}\\.json$`))).toHaveLength(1);
  });

  test('an imported number is never released at the carrier', async () => {
    const { key } = await workspaceKey();
    const own = twilio.own(sfNumber());
    const imported = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: own.phone_number, source: 'twilio', provider_sid: own.sid } });
    expect(imported.status).toBe(201);
    expect((await h.request('DELETE', `/v1/phone-numbers/${imported.json().id}`, { key })).status).toBe(204);
    await h.runtime.services.releases.runDue();
    expect(twilio.http.requestsTo('DELETE', new RegExp(own.sid))).toHaveLength(0);
    expect(twilio.owned.has(own.sid)).toBe(true);
  });

  test('20 concurrent buys never register the same number', async () => {
    const { key } = await workspaceKey();
    const offered = Array.from({ length: 24 }, () => sfNumber());
    twilio.offer(...offered);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => h.request('POST', '/v1/phone-numbers/purchase', { key, json: { area_code: '415', country: 'US', provider: 'twilio' } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const bought = results.map((r) => r.json().phone_number as string);
    expect(new Set(bought).size).toBe(20);
    for (const number of bought) expect(offered).toContain(number);
    const sids = results.map((r) => r.json().provider_sid as string);
    expect(new Set(sids).size).toBe(20);
  });

  test('a number taken meanwhile: the next candidate is bought', async () => {
    const { key } = await workspaceKey();
    const [first, second] = [sfNumber(), sfNumber()];
    twilio.offer(first, second);
    twilio.http.fail({ method: 'POST', path: /IncomingPhoneNumbers\.json$/, times: 1, reply: { status: 400, body: { code: 21422, message: 'PhoneNumber is not available.', more_info: 'https://www.twilio.com/docs/errors/21422', status: 400 } } });
    const bought = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { area_code: '415', provider: 'twilio' } });
    expect(bought.status).toBe(201);
    expect([first, second]).toContain(bought.json().phone_number);
    const none = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { phone_number: '+14159999999', provider: 'twilio' } });
    expect(none.status).toBe(422);
    expect(none.json()).toMatchObject({ code: 'NO_NUMBER_AVAILABLE' });
  });

  test('rejected credentials → 502 PROVIDER_AUTH_FAILED (no secret in the answer); a timeout → 504 PROVIDER_TIMEOUT', async () => {
    const { key } = await workspaceKey();
    twilio.offer(sfNumber());
    twilio.http.fail({ method: 'GET', path: /AvailablePhoneNumbers/, times: 1, reply: { status: 401, body: { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 } } });
    const denied = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { area_code: '415', provider: 'twilio' } });
    expect(denied.status).toBe(502);
    expect(denied.headers['retry-after']).toBeDefined();
    expect(denied.json()).toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
    expect(denied.json().detail).toContain('TWILIO_AUTH_TOKEN');
    expect(denied.body).not.toContain(twilio.authToken);

    const retell = new Retell({ apiKey: key, baseURL: retellBase, maxRetries: 0 });
    twilio.http.fail({ method: 'GET', path: /AvailablePhoneNumbers/, times: 1, reply: { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } } });
    const retellDenied = await retell.phoneNumber.create({ area_code: 415 }).catch((error: unknown) => error as { status: number; error: { message: string } });
    expect(retellDenied).toMatchObject({ status: 502 });

    // The default wait is 10 s; a second installation waits 300 ms so the test need not.
    expect(h.config.CARRIER_TIMEOUT_MS).toBe(10_000);
    const impatient = await createHarness({ env: { TWILIO_ACCOUNT_SID: twilio.accountSid, TWILIO_AUTH_TOKEN: twilio.authToken, TWILIO_API_BASE_URL: twilio.http.url, CARRIER_TIMEOUT_MS: '300' } });
    try {
      const other = await (await impatient.workspace()).key();
      twilio.http.fail({ method: 'GET', path: /AvailablePhoneNumbers/, times: 1, delayMs: 2000 });
      const slow = await impatient.request('POST', '/v1/phone-numbers/purchase', { key: other, json: { area_code: '415', provider: 'twilio' } });
      expect(slow.status).toBe(504);
      expect(slow.headers['retry-after']).toBeDefined();
      expect(slow.json()).toMatchObject({ code: 'PROVIDER_TIMEOUT' });
    } finally {
      await impatient.close();
    }
  });

  test('a bought number whose registration fails here is released again', async () => {
    const { key } = await workspaceKey();
    const number = sfNumber();
    twilio.offer(number);
    // An invalid setting makes the registration fail after the carrier sold the number.
    const failed = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { phone_number: number, provider: 'twilio', fallback_number: number } });
    expect(failed.status).toBe(400);
    await waitFor(async () => (await releasesOf(key)).some((r) => r.phone_number === number && r.state === 'released'));
    const release = (await releasesOf(key)).find((r) => r.phone_number === number)!;
    expect(release).toMatchObject({ reason: 'registration_failed', phone_number_id: null });
    expect([...twilio.owned.values()].some((n) => n.phone_number === number)).toBe(false);
  });

  test('carrier down at release: retried with backoff and finally done; one that keeps failing is visible and can be retried', async () => {
    const { key } = await workspaceKey();
    const [flaky, dead] = [sfNumber(), sfNumber()];
    twilio.offer(flaky, dead);
    const a = (await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { phone_number: flaky, provider: 'twilio' } })).json();
    const b = (await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { phone_number: dead, provider: 'twilio' } })).json();

    twilio.http.fail({ method: 'DELETE', path: new RegExp(a.provider_sid), times: 2, reply: { status: 503, body: { code: 20500, message: 'Service unavailable', status: 503 } } });
    await h.request('DELETE', `/v1/phone-numbers/${a.id}`, { key });
    await waitFor(async () => {
      await h.runtime.services.releases.runDue();
      return (await releasesOf(key)).find((r) => r.phone_number === flaky)?.state === 'released';
    });
    expect(twilio.http.requestsTo('DELETE', new RegExp(a.provider_sid))).toHaveLength(3);
    expect((await releasesOf(key)).find((r) => r.phone_number === flaky)).toMatchObject({ attempts: 3, last_error: null });

    twilio.http.fail({ method: 'DELETE', path: new RegExp(b.provider_sid), times: 3, reply: { status: 500, body: { code: 20500, message: 'Internal', status: 500 } } });
    await h.request('DELETE', `/v1/phone-numbers/${b.id}`, { key });
    await waitFor(async () => {
      await h.runtime.services.releases.runDue();
      return (await releasesOf(key)).find((r) => r.phone_number === dead)?.state === 'failed';
    });
    const failed = (await h.request('GET', '/v1/carrier-releases?state=failed', { key })).json().data;
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ phone_number: dead, attempts: 3, state: 'failed' });
    expect(failed[0].last_error).toContain('HTTP 500');
    const events = (await h.request('GET', `/v1/phone-numbers/${b.id}/events`, { key })).json().data;
    expect(events.at(-1).action).toBe('carrier_release_failed');

    const retried = await h.request('POST', `/v1/carrier-releases/${failed[0].id}/retry`, { key });
    expect(retried.status).toBe(200);
    expect(retried.json()).toMatchObject({ state: 'released', attempts: 1 });
    expect(twilio.owned.has(b.provider_sid)).toBe(false);
  });
});
