/**
 * `Idempotency-Key` on every POST of the native and TopCalls APIs, walked from the route
 * registry: the same key and body replays the first response (also from a freshly started app
 * on the same store), another body is 422, and keys are per workspace.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, test } from 'vitest';
import { buildApp, registeredRoutes } from '../../src/http/app.ts';
import { createServices } from '../../src/services/index.ts';
import { createHarness } from '../helpers/harness.ts';
import { CASES, type RouteRequest } from './routes.ts';
import { seedWorkspace, snapshotWorkspace, type Seeded } from './support.ts';

/** POSTs that deliberately do not store responses, and why. */
const NOT_IDEMPOTENT: Record<string, string> = {
  // The response carries a secret shown once; storing it for replays would keep it in clear.
  'POST /v1/api-keys': 'response holds a new API key',
  'POST /v1/workspace/signing-secret/rotate': 'response holds a new signing secret',
  // Decisions change nothing; a retry just asks again.
  'POST /v1/routing/inbound': 'a routing decision, not a write',
  'POST /v1/routing/inbound-sms': 'a routing decision, not a write',
  'POST /v1/routing/outbound': 'a routing decision, not a write',
  // Idempotent by design: the call id is the key.
  'POST /v1/calls/:call_id/start': 'idempotent per call id (repeating renews the lease)',
  'POST /v1/calls/:call_id/end': 'idempotent per call id',
  // Idempotent by design: a repeat finds everything already registered (or released) and changes nothing.
  'POST /v1/phone-numbers/sync': 'idempotent by itself (a repeated sync adds nothing)',
  'POST /v1/carrier-releases/:id/retry': 'idempotent per release (a number is released at most once)',
};

/** A different, valid request to the same route (for the "same key, other body" rule). */
const OTHER_BODY: Record<string, (a: Seeded) => RouteRequest> = {
  'POST /v1/carriers': () => ({ url: '/v1/carriers', json: { name: 'another carrier', gateways: [{ address: '203.0.113.21' }] } }),
  'POST /v1/phone-numbers/purchase': () => ({ url: '/v1/phone-numbers/purchase', json: { area_code: '415', nickname: 'other' } }),
  'POST /v1/number-pools': (a) => ({ url: '/v1/number-pools', json: { name: 'another pool', members: [a.number.id] } }),
  'POST /v1/number-pools/:id/members': (a) => ({ url: `/v1/number-pools/${a.poolId}/members`, json: { members: [a.spare.id, a.number.id] } }),
  'POST /topcalls/v1/phone-numbers/carriers': () => ({ url: '/topcalls/v1/phone-numbers/carriers', json: { carrier_name: 'another carrier', sip_gateway: { ipv4: '203.0.113.31' } } }),
};

const h = await createHarness({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
// A second app with its own services over the same store: what a restarted process sees.
const restarted = await buildApp({ config: h.config, services: createServices(h.runtime.deps) });
await restarted.ready();
afterAll(async () => {
  await restarted.close();
  await h.close();
});

const posts = registeredRoutes(h.app).filter((route) => route.method === 'POST' && (route.url.startsWith('/v1/') || route.url.startsWith('/topcalls/')));

test('every POST of the native and TopCalls APIs honours Idempotency-Key (or is exempt for a stated reason)', () => {
  const missing = posts.filter((route) => !route.idempotent && !NOT_IDEMPOTENT[`POST ${route.url}`]).map((route) => `POST ${route.url}`);
  expect(missing, `POST routes without Idempotency-Key support: ${missing.join(', ')}`).toEqual([]);
});

function send(key: string, request: RouteRequest, idempotencyKey: string, app?: FastifyInstance) {
  if (!app) return h.request('POST', request.url, { key, json: request.json ?? {}, headers: { 'idempotency-key': idempotencyKey } });
  return app
    .inject({ method: 'POST', url: request.url, headers: { authorization: `Bearer ${key}`, 'idempotency-key': idempotencyKey }, payload: (request.json ?? {}) as object })
    .then((res) => ({ status: res.statusCode, headers: res.headers as Record<string, string | string[] | undefined>, body: res.body, json: () => JSON.parse(res.body) }));
}

describe.each(posts.filter((route) => route.idempotent).map((route) => [`POST ${route.url}`] as const))('%s', (name) => {
  test('same key and body replays, another body is 422, keys are per workspace, replays survive a restart', async () => {
    const routeCase = CASES[name]!;
    const a = await seedWorkspace(h);
    const b = await seedWorkspace(h);
    const request = routeCase.request(a);
    const idem = `idem-${Math.random().toString(36).slice(2)}`;

    const first = await send(a.key, request, idem);
    expect(first.status, first.body).toBeGreaterThanOrEqual(200);
    expect(first.status, first.body).toBeLessThan(300);
    const afterFirst = await snapshotWorkspace(h, a.workspace.id);

    const again = await send(a.key, request, idem);
    expect(again.status).toBe(first.status);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await snapshotWorkspace(h, a.workspace.id), 'a replay changed the store').toEqual(afterFirst);

    const other = (OTHER_BODY[name] ?? routeCase.request)(a);
    expect(JSON.stringify(other.json)).not.toBe(JSON.stringify(request.json));
    const mismatch = await send(a.key, other, idem);
    expect(mismatch.status, mismatch.body).toBe(422);
    expect(await snapshotWorkspace(h, a.workspace.id), 'a mismatched key changed the store').toEqual(afterFirst);

    // B using the same key string is a different key: its request runs for B, A's response is not handed out.
    const fromB = await send(b.key, (OTHER_BODY[name] ?? routeCase.request)(b), idem);
    expect(fromB.headers['idempotent-replayed']).toBeUndefined();
    expect(a.markers.filter((marker) => fromB.body.includes(marker))).toEqual([]);

    // A new process over the same store still replays.
    const afterRestart = await send(a.key, request, idem, restarted);
    expect(afterRestart.status).toBe(first.status);
    expect(afterRestart.body).toBe(first.body);
    expect(afterRestart.headers['idempotent-replayed']).toBe('true');
    expect(await snapshotWorkspace(h, a.workspace.id)).toEqual(afterFirst);
  });
});

test('concurrent requests with one key: one runs, the others replay it or are told it is in progress (409)', async () => {
  const a = await seedWorkspace(h);
  const request = CASES['POST /v1/phone-numbers']!.request(a);
  const responses = await Promise.all(Array.from({ length: 10 }, () => send(a.key, request, 'race-key-0001')));
  const ran = responses.filter((res) => res.status === 201 && res.headers['idempotent-replayed'] === undefined);
  expect(ran).toHaveLength(1);
  for (const res of responses) {
    if (res.status === 201) expect(res.body).toBe(ran[0]!.body);
    else expect(res.status, res.body).toBe(409);
  }
});
