/**
 * A revoked key stops working on every instance at once (LISTEN/NOTIFY), not when another
 * instance's auth cache happens to expire. Two instances on one PostgreSQL schema; the revocation
 * comes through the API of one, or through a CLI-style runtime that serves nothing.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { onPostgres, type Harness } from '../helpers/harness.ts';
import { revokeFromCli, twoInstances } from '../helpers/instances.ts';

let first: Harness;
let second: Harness;
let instances: Awaited<ReturnType<typeof twoInstances>>;

beforeAll(async () => {
  if (!onPostgres) return;
  instances = await twoInstances('t_revoke');
  ({ first, second } = instances);
});

afterAll(async () => {
  if (onPostgres) await instances.close();
});

/** Polls B with the key until it is refused; returns how long that took, failing after 1 s. */
async function refusedWithin1s(h: Harness, key: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const status = (await h.request('GET', '/v1/phone-numbers', { key })).status;
    if (status === 401) return Date.now() - started;
    expect(status).toBe(200);
    if (Date.now() - started > 1000) throw new Error('the revoked key still works on the other instance after 1 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test.skipIf(!onPostgres)('a key revoked through the API of one instance is refused by the other within 1 s', async () => {
  const ws = await first.workspace();
  const admin = await ws.key();
  const victim = (await first.request('POST', '/v1/api-keys', { key: admin, json: { scopes: ['numbers:read'] } })).json();
  // Both instances have the key in their auth cache.
  expect((await first.request('GET', '/v1/phone-numbers', { key: victim.key })).status).toBe(200);
  expect((await second.request('GET', '/v1/phone-numbers', { key: victim.key })).status).toBe(200);
  expect((await first.request('DELETE', `/v1/api-keys/${victim.id}`, { key: admin })).status).toBe(204);
  expect((await first.request('GET', '/v1/phone-numbers', { key: victim.key })).status).toBe(401);
  expect(await refusedWithin1s(second, victim.key)).toBeLessThan(1000);
  // Other keys are untouched.
  expect((await second.request('GET', '/v1/phone-numbers', { key: admin })).status).toBe(200);
});

test.skipIf(!onPostgres)('a key revoked from the CLI (a runtime that serves nothing) is refused by running instances within 1 s', async () => {
  const ws = await first.workspace();
  const created = await first.runtime.services.workspaces.createKey(ws.id, ['numbers:read']);
  expect((await first.request('GET', '/v1/phone-numbers', { key: created.key })).status).toBe(200);
  expect((await second.request('GET', '/v1/phone-numbers', { key: created.key })).status).toBe(200);
  await revokeFromCli(first, created.id);
  expect(await refusedWithin1s(first, created.key)).toBeLessThan(1000);
  expect(await refusedWithin1s(second, created.key)).toBeLessThan(1000);
});
