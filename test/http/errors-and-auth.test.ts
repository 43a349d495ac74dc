import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber } from '../helpers/numbers.ts';

let h: Harness;
const logLines: string[] = [];
beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  // The most talkative level, so that anything a request could log is captured.
  h = await createHarness({ env: { BODY_LIMIT_BYTES: '4096' }, logger: pino({ level: 'trace' }, sink) });
});
afterAll(async () => h.close());

describe('malformed requests are 4xx problem+json, never 5xx', () => {
  test('invalid JSON, wrong content types, oversized and non-object bodies', async () => {
    const key = await (await h.workspace()).key();
    const cases: Array<{ headers: Record<string, string>; payload: string; status: number; code: string }> = [
      { headers: { 'content-type': 'application/json' }, payload: '{"phone_number": ', status: 400, code: 'BAD_REQUEST' },
      { headers: { 'content-type': 'application/json' }, payload: '', status: 400, code: 'BAD_REQUEST' },
      { headers: { 'content-type': 'text/plain' }, payload: 'phone_number=+14157770000', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'phone_number=1', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ phone_number: freshNumber(), nickname: 'x'.repeat(5000) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
      { headers: { 'content-type': 'application/json' }, payload: '[1, 2]', status: 400, code: 'VALIDATION_FAILED' },
      { headers: { 'content-type': 'application/json' }, payload: '"+14157770000"', status: 400, code: 'VALIDATION_FAILED' },
      { headers: { 'content-type': 'application/json' }, payload: '{"phone_number": 14157770000}', status: 400, code: 'VALIDATION_FAILED' },
      { headers: { 'content-type': 'application/json' }, payload: '{"phone_number": "+14157770000", "capabilities": {"sms": "true"}}', status: 400, code: 'VALIDATION_FAILED' },
    ];
    for (const { headers, payload, status, code } of cases) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/phone-numbers', headers: { authorization: `Bearer ${key}`, ...headers }, payload });
      expect(res.statusCode, payload.slice(0, 40)).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status, code, request_id: res.headers['x-request-id'] });
    }
    expect((await h.request('GET', '/v1/phone-numbers', { key })).json().data).toEqual([]);
  });

  test('validation errors name the field and the rule', async () => {
    const key = await (await h.workspace()).key();
    const res = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: 'call me', sip: { transport: 'WSS' } } });
    expect(res.status).toBe(400);
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toContain('sip.transport');
    const semantic = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: 'call me' } });
    expect(semantic.json().errors).toEqual([{ field: 'phone_number', message: expect.stringContaining('E.164') }]);
  });

  test('NUL characters in the path, the query or a JSON string are 400, never a store error', async () => {
    const key = await (await h.workspace()).key();
    const number = freshNumber();
    const created = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: number } });
    expect(created.status).toBe(201);
    for (const url of [`/v1/phone-numbers/${number.slice(1)}%00`, '/v1/phone-numbers?q=%00', `/v1/phone-numbers/${created.json().id}%00/events`]) {
      const res = await h.request('GET', url, { key });
      expect(res.status, url).toBe(400);
      expect(res.json().errors[0].field).toBe('path');
    }
    const patched = await h.app.inject({
      method: 'PATCH',
      url: `/v1/phone-numbers/${created.json().id}`,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: '{"nickname": "a\\u0000b", "inbound_agents": [{"agent_id": "x\\u0000", "weight": 1}]}',
    });
    expect(patched.statusCode).toBe(400);
    expect(patched.json().errors).toEqual([{ field: 'body', message: expect.stringContaining('NUL') }]);
    expect((await h.request('GET', `/v1/phone-numbers/${created.json().id}`, { key })).json().nickname).toBeNull();
  });

  test('the Retell dialect refuses a body that is not valid UTF-8 too (its own parser reads an empty body as {})', async () => {
    const key = await (await h.workspace()).key();
    const created = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: freshNumber(), nickname: 'before' } });
    expect(created.status).toBe(201);
    const invalid = await h.app.inject({
      method: 'PATCH',
      url: `/retell/update-phone-number/${encodeURIComponent(created.json().phone_number)}`,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: Buffer.concat([Buffer.from('{"nickname":"'), Buffer.from([0xc3]), Buffer.from('("}')]),
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ status: 'error', errors: [{ field: 'body', message: expect.stringContaining('UTF-8') }] });
    expect((await h.request('GET', `/v1/phone-numbers/${created.json().id}`, { key })).json().nickname).toBe('before');
  });

  test('a JSON body that is not valid UTF-8 is 400 naming the body, and the record is unchanged', async () => {
    const key = await (await h.workspace()).key();
    const created = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: freshNumber(), nickname: 'before' } });
    expect(created.status).toBe(201);
    const patch = (payload: Buffer) =>
      h.app.inject({
        method: 'PATCH',
        url: `/v1/phone-numbers/${created.json().id}`,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload,
      });
    // `{"nickname":"\xC3("}`: 0xC3 starts a two-byte sequence that "(" does not continue.
    const invalid = await patch(Buffer.concat([Buffer.from('{"nickname":"'), Buffer.from([0xc3]), Buffer.from('("}')]));
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors).toEqual([{ field: 'body', message: expect.stringContaining('UTF-8') }]);
    const lone = await patch(Buffer.from('{"nickname":"a\\ud83db"}'));
    expect(lone.statusCode).toBe(400);
    expect(lone.json().errors).toEqual([{ field: 'nickname', message: expect.stringContaining('unpaired UTF-16 surrogate') }]);
    expect(lone.json().errors[0].message).not.toContain('NUL');
    const valid = await patch(Buffer.from('{"nickname":"caf\u00e9 \\ud83d\\ude00"}'));
    expect(valid.statusCode).toBe(200);
    expect(valid.json().nickname).toBe('café 😀');
    const invalidAgain = await patch(Buffer.concat([Buffer.from('{"nickname":"x'), Buffer.from([0xff]), Buffer.from('"}')]));
    expect(invalidAgain.statusCode).toBe(400);
    expect((await h.request('GET', `/v1/phone-numbers/${created.json().id}`, { key })).json().nickname).toBe('café 😀');
  });

  test('an unknown route is a 404 problem', async () => {
    const res = await h.request('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  test('a caller-supplied request id is echoed; otherwise one is generated', async () => {
    const res = await h.request('GET', '/v1/phone-numbers', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(res.headers['x-request-id']).toBe('trace-abc.123');
    expect(res.json().request_id).toBe('trace-abc.123');
    expect((await h.request('GET', '/v1/phone-numbers')).headers['x-request-id']).toMatch(/^req_/);
  });
});

describe('authentication and scopes', () => {
  test('missing, malformed, unknown and revoked keys are 401; a missing scope is 403', async () => {
    const workspace = await h.workspace();
    expect((await h.request('GET', '/v1/phone-numbers')).status).toBe(401);
    expect((await h.request('GET', '/v1/phone-numbers', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await h.request('GET', '/v1/phone-numbers', { key: 'sk_not-a-real-key' })).status).toBe(401);
    const unauthorised = await h.request('POST', '/v1/phone-numbers', { json: { phone_number: freshNumber() } });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.json().code).toBe('UNAUTHORIZED');

    const reader = await workspace.key(['numbers:read']);
    const writer = await workspace.key(['numbers:write']);
    const forbidden = await h.request('POST', '/v1/phone-numbers', { key: reader, json: { phone_number: freshNumber() } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json()).toMatchObject({ code: 'FORBIDDEN', detail: expect.stringContaining('numbers:write') });
    expect((await h.request('GET', '/v1/phone-numbers', { key: writer })).status).toBe(403);
    // A write-only key can change a number it cannot read (it gets the result of its own write).
    const created = await h.request('POST', '/v1/phone-numbers', { key: writer, json: { phone_number: freshNumber() } });
    expect(created.status).toBe(201);
    expect((await h.request('PATCH', `/v1/phone-numbers/${created.json().id}`, { key: writer, json: { nickname: 'w' } })).status).toBe(200);
    expect((await h.request('GET', `/v1/phone-numbers/${created.json().id}`, { key: reader })).json().nickname).toBe('w');
    expect((await h.request('GET', '/v1/api-keys', { key: reader })).status).toBe(403);
  });
});

describe('secrets never reach the logs', () => {
  test('a trunk password sent on create, update and a rejected request is in no log line', async () => {
    const key = await (await h.workspace()).key();
    const secret = 'log-canary-password-9f3';
    const created = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: freshNumber(), sip: { auth_password: secret } } });
    expect(created.status).toBe(201);
    await h.request('PATCH', `/v1/phone-numbers/${created.json().id}`, { key, json: { sip: { auth_password: `${secret}-2` } } });
    await h.request('PATCH', `/v1/phone-numbers/${created.json().id}`, { key, json: { sip: { auth_password: secret, transport: 'WSS' } } });
    await h.request('POST', '/v1/phone-numbers/bulk', { key, json: { items: [{ phone_number: 'bad', sip: { auth_password: secret } }] } });
    expect(logLines.length).toBeGreaterThan(0);
    const logs = logLines.join('');
    expect(logs).toContain('/v1/phone-numbers');
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain(key);
  });
});

describe('GET /healthz, /openapi.json and /docs', () => {
  test('health is ok when the store answers and migrations are applied', async () => {
    const res = await h.request('GET', '/healthz');
    expect(res.status).toBe(200);
    await h.runtime.services.routing.indexLoaded();
    expect(res.json()).toEqual({ status: 'ok', store: h.runtime.database.engine, routing_index: expect.stringMatching(/^(loading|ready)$/), routing_sync: 'live', routing_sync_seconds_since_live: 0 });
    expect((await h.request('GET', '/healthz')).json().routing_index).toBe('ready');
  });

  test('health is 503 while a migration is missing', async () => {
    const db = h.runtime.database.db as unknown as Kysely<{ kysely_migration: { name: string; timestamp: string } }>;
    const last = await db.selectFrom('kysely_migration').selectAll().orderBy('name', 'desc').executeTakeFirstOrThrow();
    await db.deleteFrom('kysely_migration').where('name', '=', last.name).execute();
    try {
      const res = await h.request('GET', '/healthz');
      expect(res.status).toBe(503);
      expect(res.json().status).toBe('unavailable');
    } finally {
      await db.insertInto('kysely_migration').values(last).execute();
    }
    expect((await h.request('GET', '/healthz')).status).toBe(200);
  });

  test('the OpenAPI document is generated from the routes, and /docs serves a browsable page', async () => {
    const doc = (await h.request('GET', '/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/v1/phone-numbers', '/v1/phone-numbers/{id}', '/v1/phone-numbers/{id}/events', '/v1/phone-numbers/bulk', '/v1/api-keys', '/healthz']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.paths['/v1/phone-numbers'].post.operationId).toBe('importPhoneNumber');
    expect(JSON.stringify(doc)).not.toContain('"auth_password":{"type":"boolean"');
    const docs = await h.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });
});

describe('a failing store', () => {
  test('is answered 500 with a generic detail (no internals), and /healthz reports 503', async () => {
    const broken = await createHarness();
    try {
      const key = await (await broken.workspace()).key();
      // Authenticated once, so the key is cached and the failure happens inside the service.
      expect((await broken.request('GET', '/v1/phone-numbers', { key })).status).toBe(200);
      await broken.runtime.database.close();
      const res = await broken.request('GET', '/v1/phone-numbers', { key });
      expect(res.status).toBe(500);
      expect(res.json()).toMatchObject({ code: 'INTERNAL', detail: 'an internal error occurred; the request id identifies it in the logs' });
      expect(res.body).not.toMatch(/destroyed|sqlite|pool|kysely|select|stack|at /i);
      const health = await broken.request('GET', '/healthz');
      expect(health.status).toBe(503);
      expect(health.json().status).toBe('unavailable');
    } finally {
      await broken.app.close();
      // Stops routing too (its LISTEN connection on PostgreSQL); the store is closed already.
      await broken.runtime.close();
      if (broken.schema) {
        const { dropSchema, TEST_DATABASE_URL } = await import('../helpers/harness.ts');
        await dropSchema(TEST_DATABASE_URL, broken.schema);
      }
    }
  });
});
