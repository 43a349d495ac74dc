import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { ISO_UTC } from '../helpers/numbers.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

describe('/v1/api-keys (admin scope)', () => {
  test('creates a key shown once, lists keys without secrets, revokes a key so it stops working', async () => {
    const workspace = await h.workspace();
    const admin = await workspace.key(['admin']);
    const created = await h.request('POST', '/v1/api-keys', { key: admin, json: { name: 'reporting', scopes: ['numbers:read'] } });
    expect(created.status).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ workspace_id: workspace.id, name: 'reporting', scopes: ['numbers:read'], revoked_at: null });
    expect(body.key).toMatch(/^sk_/);
    expect(body.created_at).toMatch(ISO_UTC);
    expect(created.headers.location).toBe(`/v1/api-keys/${body.id}`);
    expect(created.headers['cache-control']).toBe('no-store');
    expect((await h.request('GET', '/v1/phone-numbers', { key: body.key })).status).toBe(200);

    const listed = await h.request('GET', '/v1/api-keys', { key: admin });
    expect(listed.status).toBe(200);
    expect(listed.json().data.map((k: { id: string }) => k.id)).toContain(body.id);
    expect(listed.body).not.toContain(body.key);
    expect(listed.body).not.toContain('key_hash');
    const stored = await h.runtime.database.db.selectFrom('api_keys').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(body.key);

    expect((await h.request('DELETE', `/v1/api-keys/${body.id}`, { key: admin })).status).toBe(204);
    expect((await h.request('GET', '/v1/phone-numbers', { key: body.key })).status).toBe(401);
    const after = (await h.request('GET', '/v1/api-keys', { key: admin })).json().data.find((k: { id: string }) => k.id === body.id);
    expect(after.revoked_at).toMatch(ISO_UTC);
  });

  test('needs the admin scope; another workspace\'s key is 404; bad scopes are 400', async () => {
    const mine = await h.workspace();
    const other = await h.workspace();
    const admin = await mine.key(['admin']);
    const writer = await mine.key(['numbers:read', 'numbers:write', 'routing']);
    expect((await h.request('POST', '/v1/api-keys', { key: writer, json: { scopes: ['admin'] } })).status).toBe(403);
    expect((await h.request('GET', '/v1/api-keys', { key: writer })).status).toBe(403);
    const otherKey = await h.runtime.services.workspaces.createKey(other.id, ['numbers:read']);
    expect((await h.request('DELETE', `/v1/api-keys/${otherKey.id}`, { key: admin })).status).toBe(404);
    expect((await h.request('GET', '/v1/phone-numbers', { key: otherKey.key })).status).toBe(200);
    expect((await h.request('GET', '/v1/api-keys', { key: admin })).json().data.map((k: { id: string }) => k.id)).not.toContain(otherKey.id);
    const bad = await h.request('POST', '/v1/api-keys', { key: admin, json: { scopes: ['numbers:delete'] } });
    expect(bad.status).toBe(400);
    expect(bad.json().errors[0].field).toBe('scopes[0]');
    expect((await h.request('POST', '/v1/api-keys', { key: admin, json: { scopes: [] } })).status).toBe(400);
    expect((await h.request('DELETE', '/v1/api-keys/not-an-id', { key: admin })).status).toBe(404);
  });

  test('GET /v1/api-keys/current answers any key with its own name and scopes, never the secret', async () => {
    const workspace = await h.workspace();
    const admin = await workspace.key(['admin']);
    const reader = (await h.request('POST', '/v1/api-keys', { key: admin, json: { name: 'support desk', scopes: ['numbers:read'] } })).json();
    const current = await h.request('GET', '/v1/api-keys/current', { key: reader.key });
    expect(current.status).toBe(200);
    expect(current.json()).toEqual({
      id: reader.id, workspace_id: workspace.id, name: 'support desk', prefix: reader.prefix, scopes: ['numbers:read'], created_at: reader.created_at, revoked_at: null,
    });
    expect(current.body).not.toContain(reader.key);
    expect((await h.request('DELETE', `/v1/api-keys/${reader.id}`, { key: admin })).status).toBe(204);
    expect((await h.request('GET', '/v1/api-keys/current', { key: reader.key })).status).toBe(401);
  });

  test('the audit trail names the acting key', async () => {
    const workspace = await h.workspace();
    const admin = await workspace.key(['admin']);
    const named = (await h.request('POST', '/v1/api-keys', { key: admin, json: { name: 'ops on call', scopes: ['numbers:write'] } })).json();
    const number = await h.request('POST', '/v1/phone-numbers', { key: named.key, json: { phone_number: '+14155550142' } });
    expect(number.status).toBe(201);
    await h.request('PATCH', `/v1/phone-numbers/${number.json().id}`, { key: admin, json: { nickname: 'front desk' } });
    const events = (await h.request('GET', `/v1/phone-numbers/${number.json().id}/events`, { key: admin })).json().data;
    expect(events.map((e: { actor_key_id: string; actor_key_name: string | null }) => [e.actor_key_id, e.actor_key_name])).toEqual([
      [named.id, 'ops on call'],
      [expect.any(String), null],
    ]);
  });
});
