/**
 * Per-key rate limits: 429 with Retry-After and the IETF draft RateLimit-* headers, one bucket
 * per API key (a noisy key does not slow another), requests without a valid key bucketed by IP.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';

const LIMIT = 5;
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
});
afterAll(async () => h.close());

describe('per-key rate limits', () => {
  test('the limit is announced on every response; the request after it is 429 with Retry-After, in problem+json', async () => {
    const key = await (await h.workspace()).key();
    for (let i = 1; i <= LIMIT; i++) {
      const res = await h.request('GET', '/v1/phone-numbers', { key });
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe(String(LIMIT));
      expect(res.headers['ratelimit-remaining']).toBe(String(LIMIT - i));
      const reset = Number(res.headers['ratelimit-reset']);
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(60);
    }
    const limited = await h.request('GET', '/v1/phone-numbers', { key });
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED', title: 'Too Many Requests' });
    expect(limited.json().detail).toMatch(/rate limit/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60).toBe(true);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    // Writes are limited by the same bucket and a 429 changes nothing.
    const write = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: '+14157770123' } });
    expect(write.status).toBe(429);
  });

  test('a noisy key does not slow another workspace, nor another key of its own workspace', async () => {
    const noisyWorkspace = await h.workspace();
    const noisy = await noisyWorkspace.key();
    const sibling = await noisyWorkspace.key();
    const other = await (await h.workspace()).key();
    const burst = await Promise.all(Array.from({ length: LIMIT * 4 }, () => h.request('GET', '/v1/phone-numbers', { key: noisy })));
    expect(burst.filter((res) => res.status === 200)).toHaveLength(LIMIT);
    expect(burst.filter((res) => res.status === 429)).toHaveLength(LIMIT * 3);
    for (const key of [other, sibling]) {
      const res = await h.request('GET', '/v1/phone-numbers', { key });
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-remaining']).toBe(String(LIMIT - 1));
    }
  });

  test('requests without a valid key share their IP bucket: made-up tokens do not buy fresh ones', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      statuses.push((await h.request('GET', '/v1/phone-numbers', { key: `sk_made-up-${i}`, headers: {} })).status);
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses.slice(LIMIT)).toEqual([429, 429]);
    // A valid key from the same address is not affected.
    const key = await (await h.workspace()).key();
    expect((await h.request('GET', '/v1/phone-numbers', { key })).status).toBe(200);
  });
});

describe('each dialect renders the 429 in its own error envelope', () => {
  const dialects: Array<[string, (workspaceId: string) => string, (body: any, contentType: string) => void]> = [
    ['Retell', () => '/retell/v2/list-phone-numbers', (body) => expect(body.message).toMatch(/rate limit/)],
    ['Synthflow', (id) => `/synthflow/v2/numbers?workspace=${id}`, (body) => expect(body.detail).toMatchObject({ status: 429, description: expect.stringMatching(/rate limit/) })],
    ['TopCalls', () => '/topcalls/v1/phone-numbers', (body, contentType) => {
      expect(contentType).toContain('application/problem+json');
      expect(body).toMatchObject({ status: 429 });
    }],
  ];
  test.each(dialects)('%s', async (_name, url, check) => {
    const workspace = await h.workspace();
    const key = await workspace.key();
    for (let i = 0; i < LIMIT; i++) expect((await h.request('GET', url(workspace.id), { key })).status).toBe(200);
    const limited = await h.request('GET', url(workspace.id), { key });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    check(limited.json(), String(limited.headers['content-type']));
  });
});

describe('configuration', () => {
  test('RATE_LIMIT_PER_MINUTE=0 turns the limiter off', async () => {
    const unlimited = await createHarness({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
    try {
      const key = await (await unlimited.workspace()).key();
      const responses = await Promise.all(Array.from({ length: 30 }, () => unlimited.request('GET', '/v1/phone-numbers', { key })));
      expect(responses.every((res) => res.status === 200)).toBe(true);
      expect(responses[0]!.headers['ratelimit-limit']).toBeUndefined();
    } finally {
      await unlimited.close();
    }
  });

  test('the default is generous (6000 per minute per key)', async () => {
    const defaults = await createHarness();
    try {
      const key = await (await defaults.workspace()).key();
      const res = await defaults.request('GET', '/v1/phone-numbers', { key });
      expect(res.headers['ratelimit-limit']).toBe('6000');
    } finally {
      await defaults.close();
    }
  });
});
