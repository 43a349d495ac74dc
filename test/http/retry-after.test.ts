/**
 * Every dialect asks a client to come back after a failure it may retry: a 503 for an unavailable
 * store and a 502/504 from a carrier carry Retry-After, whatever envelope the dialect renders.
 * The failures are thrown by the service the route calls, so each dialect's own error path runs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { StoreUnavailableError } from '../../src/db/resilient-pool.ts';
import { ProviderError } from '../../src/services/errors.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';

const WORKSPACE = 'retry-after';
let h: Harness;
let key: string;
beforeAll(async () => {
  h = await createHarness();
  key = await (await h.workspace(WORKSPACE)).key();
});
afterEach(() => vi.restoreAllMocks());
afterAll(async () => h.close());

/** A list route of each dialect; each calls `PhoneNumberService.list`. */
const LISTS = {
  native: '/v1/phone-numbers',
  retell: '/retell/v2/list-phone-numbers',
  synthflow: `/synthflow/v2/numbers?workspace=${WORKSPACE}`,
  topcalls: '/topcalls/v1/phone-numbers',
};

const FAILURES: Array<{ name: string; error: () => Error; status: number; retryAfter: string }> = [
  { name: 'store unavailable', error: () => new StoreUnavailableError('connection lost'), status: 503, retryAfter: '1' },
  { name: 'carrier unavailable', error: () => new ProviderError('PROVIDER_UNAVAILABLE', 'Twilio failed'), status: 502, retryAfter: '5' },
  { name: 'carrier rejected the credentials', error: () => new ProviderError('PROVIDER_AUTH_FAILED', 'Twilio rejected TWILIO_AUTH_TOKEN'), status: 502, retryAfter: '5' },
  { name: 'carrier timeout', error: () => new ProviderError('PROVIDER_TIMEOUT', 'Twilio did not answer'), status: 504, retryAfter: '5' },
];

describe.each(Object.entries(LISTS))('the %s dialect', (_dialect, url) => {
  test.each(FAILURES)('$name → $status with Retry-After', async ({ error, status, retryAfter }) => {
    vi.spyOn(h.runtime.services.phoneNumbers, 'list').mockRejectedValue(error());
    const response = await h.request('GET', url, { key });
    expect(response.status, response.body).toBe(status);
    expect(response.headers['retry-after']).toBe(retryAfter);
  });

  test('a client error carries no Retry-After', async () => {
    const response = await h.request('GET', `${url}${url.includes('?') ? '&' : '?'}limit=0`, { key });
    expect(response.status).toBe(400);
    expect(response.headers['retry-after']).toBeUndefined();
  });
});

test('the routing API (the native envelope) too', async () => {
  vi.spyOn(h.runtime.services.routing, 'inbound').mockRejectedValue(new StoreUnavailableError('connection lost'));
  const response = await h.request('POST', '/v1/routing/inbound', { key, json: { to: '+14155550100', from: '+14155550101' } });
  expect(response.status, response.body).toBe(503);
  expect(response.headers['retry-after']).toBe('1');
});
