/**
 * The isolation matrix: every registered route of every dialect, walked from the app's own route
 * registry. A route that is registered but missing from CASES fails the suite by name, so a new
 * endpoint cannot ship without its cross-workspace, authentication and scope checks.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { registeredRoutes } from '../../src/http/app.ts';
import { SCOPES, type Scope } from '../../src/services/context.ts';
import { createHarness } from '../helpers/harness.ts';
import { CASES, PUBLIC_ROUTES, type RouteRequest } from './routes.ts';
import { seedWorkspace, snapshotWorkspace } from './support.ts';
import { TwilioStandin } from '../carriers/twilio-standin.ts';

// A (stand-in) Twilio account with no numbers, so the carrier routes answer for real.
const twilio = new TwilioStandin();
await twilio.start();
// Collected at load time so each route gets its own named tests.
const h = await createHarness({ env: { TWILIO_ACCOUNT_SID: twilio.accountSid, TWILIO_AUTH_TOKEN: twilio.authToken, TWILIO_API_BASE_URL: twilio.http.url } });
afterAll(async () => {
  await h.close();
  await twilio.close();
});
const routes = registeredRoutes(h.app);
const routeKeys = routes.map((route) => `${route.method} ${route.url}`);
const protectedRoutes = routes.filter((route) => !PUBLIC_ROUTES.has(`${route.method} ${route.url}`));

/** A key of the workspace with every scope except `scope` (and admin, which implies all). */
function scopesWithout(scope: Scope): Scope[] {
  return SCOPES.filter((s) => s !== scope && s !== 'admin');
}

function send(key: string | undefined, method: string, request: RouteRequest, headers: Record<string, string> = {}) {
  return h.request(method as 'GET', request.url, { ...(key ? { key } : {}), json: request.json, headers });
}

function leaked(body: string, markers: string[], request: RouteRequest): string[] {
  // A 404 may echo what the caller itself sent; anything else of A's is a leak.
  const sent = `${request.url} ${JSON.stringify(request.json ?? null)}`;
  return markers.filter((marker) => !sent.includes(marker) && body.includes(marker));
}

describe('route registry', () => {
  test('every registered route is either public or has an isolation case', () => {
    const missing = routeKeys.filter((key) => !PUBLIC_ROUTES.has(key) && !CASES[key]);
    expect(missing, `routes without an isolation case (add one to CASES in test/hardening/routes.ts): ${missing.join(', ')}`).toEqual([]);
  });

  test('every case names a route that exists (no stale entries)', () => {
    const stale = [...Object.keys(CASES), ...PUBLIC_ROUTES].filter((key) => !routeKeys.includes(key));
    expect(stale).toEqual([]);
  });

  test('public routes answer without a key', async () => {
    for (const path of ['/healthz', '/openapi.json', '/docs/json']) {
      expect((await h.request('GET', path)).status, path).toBe(200);
    }
  });
});

describe.each(protectedRoutes.map((route) => [`${route.method} ${route.url}`, route.method] as const))('%s', (name, method) => {
  const routeCase = CASES[name];

  test.skipIf(!routeCase)('401 without a key, with a malformed key and with a revoked key', async () => {
    const a = await seedWorkspace(h);
    const request = routeCase!.request(a);
    const revoked = await h.runtime.services.workspaces.createKey(a.workspace.id, [...SCOPES]);
    await h.runtime.services.workspaces.revokeKey(revoked.id);
    const before = await snapshotWorkspace(h, a.workspace.id);
    const attempts: Array<[string, Record<string, string>]> = [
      ['no key', {}],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['basic auth', { authorization: `Basic ${Buffer.from(`${a.key}:`).toString('base64')}` }],
      ['garbage bearer', { authorization: 'Bearer sk_not-a-real-key' }],
      ['key with a suffix', { authorization: `Bearer ${a.key}x` }],
      ['two tokens', { authorization: `Bearer ${a.key} ${a.key}` }],
      ['revoked key', { authorization: `Bearer ${revoked.key}` }],
    ];
    for (const [label, headers] of attempts) {
      const res = await send(undefined, method, request, headers);
      expect(res.status, `${label}: ${res.body}`).toBe(401);
      expect(leaked(res.body, a.markers, request), label).toEqual([]);
    }
    expect(await snapshotWorkspace(h, a.workspace.id)).toEqual(before);
  });

  test.skipIf(!routeCase)(`403 for a key of the same workspace without the route's scope`, async () => {
    const a = await seedWorkspace(h);
    const request = routeCase!.request(a);
    const scope = routeCase!.scope;
    const limited = await a.workspace.key(scope === 'any' ? ['numbers:read'] : scopesWithout(scope));
    const before = await snapshotWorkspace(h, a.workspace.id);
    const res = await send(limited, method, request);
    if (scope === 'any') expect(res.status, res.body).toBeLessThan(300);
    else expect(res.status, res.body).toBe(403);
    expect(await snapshotWorkspace(h, a.workspace.id)).toEqual(before);
  });

  test.skipIf(!routeCase)('another workspace sees nothing of A and changes nothing; A itself succeeds', async () => {
    const a = await seedWorkspace(h);
    const b = await seedWorkspace(h);
    const request = routeCase!.request(a);
    const before = await snapshotWorkspace(h, a.workspace.id);

    const res = await send(b.key, method, request);
    expect(leaked(res.body, a.markers, request), `B's ${res.status} response: ${res.body}`).toEqual([]);
    if (routeCase!.kind === 'owned') {
      expect(res.status, res.body).toBe(404);
      // Indistinguishable from a resource that does not exist anywhere.
      const missing = await send(b.key, method, routeCase!.missing!(a, b));
      expect(missing.status, missing.body).toBe(404);
      expect(Object.keys(res.json()).sort()).toEqual(Object.keys(missing.json()).sort());
      if (routeCase!.asB) {
        const ownWorkspace = routeCase!.asB(a, b);
        const viaOwn = await send(b.key, method, ownWorkspace);
        expect(viaOwn.status, viaOwn.body).toBe(404);
        expect(leaked(viaOwn.body, a.markers, ownWorkspace)).toEqual([]);
      }
    } else {
      expect(res.status, res.body).toBeLessThan(500);
    }
    expect(await snapshotWorkspace(h, a.workspace.id), 'A changed after B called').toEqual(before);

    // The same request from A is served, so B's 404 was about ownership, not a bad request.
    const own = await send(a.key, method, routeCase!.request(a));
    expect(own.status, own.body).toBeGreaterThanOrEqual(200);
    expect(own.status, own.body).toBeLessThan(300);
  });
});

describe('agency workspaces', () => {
  test('an agency reaches its children only; a child never reaches its agency or a sibling', async () => {
    const agency = await h.workspace();
    const child = await h.workspace(undefined, agency.name);
    const sibling = await h.workspace(undefined, agency.name);
    const otherAgency = await h.workspace();
    const [agencyKey, childKey, otherKey] = [await agency.key(), await child.key(), await otherAgency.key()];
    const list = (key: string, workspaceId: string) => h.request('GET', `/synthflow/v2/numbers?workspace=${workspaceId}`, { key });
    expect((await list(agencyKey, child.id)).status).toBe(200);
    expect((await list(childKey, agency.id)).status).toBe(404);
    expect((await list(childKey, sibling.id)).status).toBe(404);
    expect((await list(otherKey, child.id)).status).toBe(404);
  });
});
