/** `Content-Type: application/json` with no body, as many HTTP clients send on every request. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber } from '../helpers/numbers.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const json = { 'content-type': 'application/json' };

test('a body-less DELETE with a JSON content type is served (204), not a 400', async () => {
  const key = await (await h.workspace()).key();
  const created = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: freshNumber() } });
  expect(created.status).toBe(201);
  const deleted = await h.request('DELETE', `/v1/phone-numbers/${created.json().id}`, { key, headers: json });
  expect(deleted.status, deleted.body).toBe(204);
  expect((await h.request('GET', `/v1/phone-numbers/${created.json().id}`, { key })).status).toBe(404);
});

test('a body-less POST action (no body in its schema) with a JSON content type is served', async () => {
  const key = await (await h.workspace()).key();
  const rotated = await h.request('POST', '/v1/workspace/signing-secret/rotate', { key, headers: json });
  expect(rotated.status, rotated.body).toBe(200);
  expect(rotated.json().signing_secret).toMatch(/^whsec_/);
});

test('a POST that needs a body and gets none is still a 400', async () => {
  const key = await (await h.workspace()).key();
  const response = await h.request('POST', '/v1/phone-numbers', { key, headers: json });
  expect(response.status).toBe(400);
  expect(response.json()).toMatchObject({ code: 'BAD_REQUEST' });
});

test('malformed JSON is still a 400', async () => {
  const key = await (await h.workspace()).key();
  const response = await h.app.inject({ method: 'POST', url: '/v1/phone-numbers', headers: { ...json, authorization: `Bearer ${key}` }, payload: '{"phone_number":' });
  expect(response.statusCode).toBe(400);
  expect(response.json().detail).toBe('the request body is not valid JSON');
});
