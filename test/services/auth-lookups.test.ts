/**
 * The API-key cache keeps a resolved key 5 s. At 50 connections that entry expires for every
 * in-flight request of the key at the same moment: their misses share one store lookup, and a
 * revocation still ends the key at once (test/hardening/revocation.test.ts for other instances).
 */
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});

afterAll(async () => {
  await h.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Counts the key lookups `authenticate` sends to the store (it reads api_keys off `database.reads`). */
function countKeyLookups(): () => number {
  const { reads } = h.runtime.database;
  const selectFrom = vi.spyOn(reads, 'selectFrom');
  return () => selectFrom.mock.calls.filter(([table]) => table === 'api_keys').length;
}

test('50 concurrent requests of a key whose cache entry expired run one store lookup, and all get its actor', async () => {
  const { workspaces } = h.runtime.services;
  const ws = await h.workspace();
  const created = await workspaces.createKey(ws.id, ['numbers:read']);
  await workspaces.authenticate(created.key);
  expect(workspaces.knownActor(created.key)).toMatchObject({ keyId: created.id });

  // Six seconds later the cached entry has expired for all of them at once.
  const later = Date.now() + 6_000;
  vi.spyOn(Date, 'now').mockImplementation(() => later);
  expect(workspaces.knownActor(created.key)).toBeUndefined();
  const lookups = countKeyLookups();
  const actors = await Promise.all(Array.from({ length: 50 }, () => workspaces.authenticate(created.key)));
  expect(lookups()).toBe(1);
  expect(new Set(actors.map((actor) => actor.keyId))).toEqual(new Set([created.id]));
  // Cached again: the next request needs no store at all.
  expect(workspaces.knownActor(created.key)).toMatchObject({ keyId: created.id });

  // Misses of an unknown secret share one lookup too, and every one of them is refused.
  const unknown = `sk_${'x'.repeat(32)}`;
  const refused = await Promise.allSettled(Array.from({ length: 20 }, () => workspaces.authenticate(unknown)));
  expect(refused.every((outcome) => outcome.status === 'rejected' && (outcome.reason as { code?: string }).code === 'UNAUTHORIZED')).toBe(true);
  expect(lookups()).toBe(2);
});

test('a revocation while lookups are under way: requests after it ask the store afresh and are refused', async () => {
  const { workspaces } = h.runtime.services;
  const ws = await h.workspace();
  const created = await workspaces.createKey(ws.id, ['numbers:read']);
  const during = Array.from({ length: 10 }, () => workspaces.authenticate(created.key).catch(() => null));
  await workspaces.revokeKey(created.id);
  await expect(workspaces.authenticate(created.key)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  await Promise.all(during);
  // Whatever the lookups under way read, none of it was kept.
  expect(workspaces.knownActor(created.key)).toBeUndefined();
  await expect(workspaces.authenticate(created.key)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
});
