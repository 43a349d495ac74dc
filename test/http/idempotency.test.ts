import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildServer } from '../../src/runtime.ts';
import { requestFingerprint } from '../../src/services/idempotency.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

let counter = 0;
/** A fresh key per call, so tests never share one. */
function newKey(): string {
  return `key_${Date.now().toString(36)}_${++counter}`;
}

function post(key: string, url: string, json: unknown, idempotencyKey?: string) {
  return h.request('POST', url, { key, json, headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey } });
}

async function countNumbers(key: string): Promise<number> {
  return (await h.request('GET', '/v1/phone-numbers?limit=1000', { key })).json().data.length;
}

describe('Idempotency-Key on POST /v1/phone-numbers', () => {
  test('a retry with the same key and body replays the first response byte for byte and creates nothing', async () => {
    const key = await (await h.workspace()).key();
    const idem = newKey();
    const body = { phone_number: '+14155550101', nickname: 'retry me' };
    const first = await post(key, '/v1/phone-numbers', body, idem);
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // Same fields in another order: the same request.
    const second = await post(key, '/v1/phone-numbers', { nickname: 'retry me', phone_number: '+14155550101' }, idem);
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect(second.headers.location).toBe(first.headers.location);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(await countNumbers(key)).toBe(1);
  });

  test('the same key with a different body, or another endpoint, is 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const key = await (await h.workspace()).key();
    const idem = newKey();
    expect((await post(key, '/v1/phone-numbers', { phone_number: '+14155550102' }, idem)).status).toBe(201);
    const reused = await post(key, '/v1/phone-numbers', { phone_number: '+14155550103' }, idem);
    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toContain('application/problem+json');
    expect(reused.json()).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED', errors: [{ field: 'Idempotency-Key', message: 'was used with a different request' }] });
    const elsewhere = await post(key, '/v1/carriers', { name: 'C', gateways: [{ address: '203.0.113.1' }] }, idem);
    expect(elsewhere.status).toBe(422);
    expect(await countNumbers(key)).toBe(1);
    expect((await h.request('GET', '/v1/carriers', { key })).json().data).toEqual([]);
  });

  test('keys are per workspace: another workspace can use the same key for its own request', async () => {
    const a = await (await h.workspace()).key();
    const b = await (await h.workspace()).key();
    const idem = newKey();
    const first = await post(a, '/v1/phone-numbers', { phone_number: '+14155550104' }, idem);
    const other = await post(b, '/v1/phone-numbers', { phone_number: '+14155550105' }, idem);
    expect(other.status).toBe(201);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(other.json().id).not.toBe(first.json().id);
    // Even with the identical body, B does not get A's response: it runs, and the number is taken.
    const same = await post(b, '/v1/phone-numbers', { phone_number: '+14155550104' }, newKey());
    expect(same.status).toBe(409);
    const replayInB = await post(b, '/v1/phone-numbers', { phone_number: '+14155550104' }, idem);
    expect(replayInB.status).toBe(422);
  });

  test('a malformed key is 400 naming the header, and nothing is created', async () => {
    const key = await (await h.workspace()).key();
    for (const bad of ['short', 'x'.repeat(256), 'has space here', 'semi;colon!', 'ünïcode-key']) {
      const res = await post(key, '/v1/phone-numbers', { phone_number: '+14155550106' }, bad);
      expect(res.status, bad).toBe(400);
      expect(res.json().errors).toEqual([{ field: 'Idempotency-Key', message: 'must be 8 to 255 characters of A-Z, a-z, 0-9, "_" and "-"' }]);
    }
    expect(await countNumbers(key)).toBe(0);
    for (const good of ['abcdefgh', 'A'.repeat(255), 'a-b_c-D-9']) {
      const res = await post(key, '/v1/carriers', { name: good.slice(0, 20), gateways: [{ address: '203.0.113.1' }] }, good);
      expect(res.status, good).toBe(201);
    }
  });

  test('the stored response outlives the app: a new app on the same store replays it', async () => {
    const key = await (await h.workspace()).key();
    const idem = newKey();
    const first = await post(key, '/v1/phone-numbers', { phone_number: '+14155550107' }, idem);
    const restarted = await buildServer(h.config, h.runtime);
    try {
      const again = await restarted.inject({
        method: 'POST',
        url: '/v1/phone-numbers',
        headers: { authorization: `Bearer ${key}`, 'idempotency-key': idem },
        payload: { phone_number: '+14155550107' },
      });
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toBe(first.body);
      expect(again.headers.location).toBe(first.headers.location);
    } finally {
      await restarted.close();
    }
  });

  test('a request whose key is still in flight gets 409; two racing requests create one number', async () => {
    const ws = await h.workspace();
    const key = await ws.key();
    const idem = newKey();
    const body = { phone_number: '+14155550108' };
    await h.runtime.services.idempotency.claim(ws.id, idem, requestFingerprint('POST', '/v1/phone-numbers', body));
    const busy = await post(key, '/v1/phone-numbers', body, idem);
    expect(busy.status).toBe(409);
    expect(busy.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE', errors: [{ field: 'Idempotency-Key' }] });
    expect(await countNumbers(key)).toBe(0);

    const raceKey = newKey();
    const racers = await Promise.all([1, 2, 3].map(() => post(key, '/v1/phone-numbers', { phone_number: '+14155550109' }, raceKey)));
    const statuses = racers.map((res) => res.status).sort();
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    const created = racers.filter((res) => res.status === 201);
    expect(new Set(created.map((res) => res.json().id)).size).toBe(1);
    expect(await countNumbers(key)).toBe(1);
  });

  test('completed 4xx responses are replayed too; a body rejected by the schema never ran and is not stored', async () => {
    const key = await (await h.workspace()).key();
    const taken = newKey();
    expect((await post(key, '/v1/phone-numbers', { phone_number: '+14155550110' }, newKey())).status).toBe(201);
    const conflict = await post(key, '/v1/phone-numbers', { phone_number: '+14155550110' }, taken);
    expect(conflict.status).toBe(409);
    await h.request('DELETE', '/v1/phone-numbers/+14155550110', { key });
    // The number is free now, but the key still answers what it answered the first time.
    const replayed = await post(key, '/v1/phone-numbers', { phone_number: '+14155550110' }, taken);
    expect(replayed.status).toBe(409);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body).toBe(conflict.body);

    const fixable = newKey();
    const invalid = await post(key, '/v1/phone-numbers', { phone_number: '+14155550111', colour: 'red' }, fixable);
    expect(invalid.status).toBe(400);
    const fixed = await post(key, '/v1/phone-numbers', { phone_number: '+14155550111' }, fixable);
    expect(fixed.status).toBe(201);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
  });

  test('without the header every POST runs', async () => {
    const key = await (await h.workspace()).key();
    const carrier = { name: 'C', gateways: [{ address: '203.0.113.1' }] };
    const one = await post(key, '/v1/carriers', carrier);
    const two = await post(key, '/v1/carriers', carrier);
    expect(one.json().id).not.toBe(two.json().id);
  });

  test('applies to bulk imports and carriers; not to API keys, whose replay would show a secret again', async () => {
    const key = await (await h.workspace()).key();
    const bulkKey = newKey();
    const items = { items: [{ phone_number: '+14155550112' }, { phone_number: 'nope' }] };
    const bulk = await post(key, '/v1/phone-numbers/bulk', items, bulkKey);
    expect(bulk.status).toBe(200);
    const bulkAgain = await post(key, '/v1/phone-numbers/bulk', items, bulkKey);
    expect(bulkAgain.headers['idempotent-replayed']).toBe('true');
    expect(bulkAgain.body).toBe(bulk.body);

    const carrierKey = newKey();
    const carrier = await post(key, '/v1/carriers', { name: 'C', gateways: [{ address: '203.0.113.1' }] }, carrierKey);
    const carrierAgain = await post(key, '/v1/carriers', { name: 'C', gateways: [{ address: '203.0.113.1' }] }, carrierKey);
    expect(carrierAgain.headers['idempotent-replayed']).toBe('true');
    expect(carrierAgain.json().id).toBe(carrier.json().id);
    expect((await h.request('GET', '/v1/carriers', { key })).json().data).toHaveLength(1);

    const apiKeyKey = newKey();
    const k1 = await post(key, '/v1/api-keys', { scopes: ['numbers:read'] }, apiKeyKey);
    const k2 = await post(key, '/v1/api-keys', { scopes: ['numbers:read'] }, apiKeyKey);
    expect(k2.headers['idempotent-replayed']).toBeUndefined();
    expect(k2.json().id).not.toBe(k1.json().id);
  });

  test('the OpenAPI document declares the header on opted-in routes only', async () => {
    const doc = (await h.request('GET', '/openapi.json')).json();
    const names = (path: string) => (doc.paths[path].post.parameters ?? []).map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    for (const path of ['/v1/phone-numbers', '/v1/phone-numbers/bulk', '/v1/carriers', '/topcalls/v1/phone-numbers', '/topcalls/v1/phone-numbers/carriers']) {
      expect(names(path), path).toContain('header:idempotency-key');
    }
    expect(names('/v1/api-keys')).not.toContain('header:idempotency-key');
  });
});

describe('expiry', () => {
  test('after 24 h a key is free again; a claim abandoned for 5 minutes can be taken over', async () => {
    let now = Date.parse('2026-11-22T10:00:00.000Z');
    const timed = await createHarness({ clock: () => new Date(now) });
    try {
      const ws = await timed.workspace();
      const key = await ws.key();
      const idem = 'expiring-key-1';
      const send = (json: unknown) => timed.request('POST', '/v1/carriers', { key, json, headers: { 'idempotency-key': idem } });
      expect((await send({ name: 'first', gateways: [{ address: '203.0.113.1' }] })).status).toBe(201);
      now += 23 * 3600 * 1000;
      expect((await send({ name: 'second', gateways: [{ address: '203.0.113.1' }] })).status).toBe(422);
      now += 2 * 3600 * 1000;
      const fresh = await send({ name: 'second', gateways: [{ address: '203.0.113.1' }] });
      expect(fresh.status).toBe(201);
      expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      expect(await timed.runtime.services.idempotency.purgeExpired()).toBe(0);

      const store = timed.runtime.services.idempotency;
      const fingerprint = requestFingerprint('POST', '/v1/carriers', {});
      expect((await store.claim(ws.id, 'abandoned-1', fingerprint)).kind).toBe('claimed');
      await expect(store.claim(ws.id, 'abandoned-1', fingerprint)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE' });
      now += 6 * 60 * 1000;
      expect((await store.claim(ws.id, 'abandoned-1', fingerprint)).kind).toBe('claimed');

      // A released claim (the request failed with a 5xx) lets the retry run.
      const claim = await store.claim(ws.id, 'released-1', fingerprint);
      if (claim.kind !== 'claimed') throw new Error('expected a claim');
      await store.release(ws.id, 'released-1', claim.token);
      expect((await store.claim(ws.id, 'released-1', fingerprint)).kind).toBe('claimed');

      now += 25 * 3600 * 1000;
      expect(await store.purgeExpired()).toBeGreaterThanOrEqual(3);
    } finally {
      await timed.close();
    }
  });
});
