/**
 * How to call every registered route against a seeded workspace A. The isolation matrix and the
 * hostile-input test both walk the app's route registry through this table; a route missing
 * here fails the suite by name.
 */
import type { Scope } from '../../src/services/context.ts';
import { freshNumber, type Seeded } from './support.ts';
import { CARRIER_AND_TOPCALLS_CASES } from './routes-carriers-topcalls.ts';

export interface RouteRequest {
  url: string;
  json?: unknown;
}

export interface RouteCase {
  /** The scope the route needs; a key of the same workspace without it gets 403. */
  scope: Scope;
  /**
   * `owned`: the request names one of A's resources; B's key gets exactly the 404 a missing
   * resource gets. `collection`: the request works on the caller's own workspace (list, create);
   * B gets an answer about B only, never containing A's data.
   */
  kind: 'owned' | 'collection';
  request: (a: Seeded) => RouteRequest;
  /** The same request aimed at a resource that exists nowhere, for comparing B's 404. */
  missing?: (a: Seeded) => RouteRequest;
}

export const MISSING_ID = '019a0000-0000-7000-8000-000000000000';
export const MISSING_E164 = '+14155550199';

/** Routes anyone may call. */
export const PUBLIC_ROUTES = new Set([
  'GET /healthz',
  'GET /openapi.json',
  'GET /docs',
  'GET /docs/json',
  'GET /docs/yaml',
  'GET /docs/static/*',
  'GET /docs/static/index.html',
  'GET /docs/static/swagger-initializer.js',
]);

const patch = { nickname: 'changed by someone' };

export const CASES: Record<string, RouteCase> = {
  // native
  'POST /v1/phone-numbers': { scope: 'numbers:write', kind: 'collection', request: () => ({ url: '/v1/phone-numbers', json: { phone_number: freshNumber() } }) },
  'POST /v1/phone-numbers/bulk': {
    scope: 'numbers:write',
    kind: 'collection',
    request: (a) => ({ url: '/v1/phone-numbers/bulk', json: { items: [{ phone_number: freshNumber(), fallback_number: a.spare.e164 }, { phone_number: a.number.e164 }] } }),
  },
  'GET /v1/phone-numbers': { scope: 'numbers:read', kind: 'collection', request: (a) => ({ url: `/v1/phone-numbers?q=${a.number.digits}` }) },
  'GET /v1/phone-numbers/:id': {
    scope: 'numbers:read',
    kind: 'owned',
    request: (a) => ({ url: `/v1/phone-numbers/${a.number.id}` }),
    missing: () => ({ url: `/v1/phone-numbers/${MISSING_ID}` }),
  },
  'PATCH /v1/phone-numbers/:id': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/v1/phone-numbers/${encodeURIComponent(a.number.e164)}`, json: patch }),
    missing: () => ({ url: `/v1/phone-numbers/${encodeURIComponent(MISSING_E164)}`, json: patch }),
  },
  'DELETE /v1/phone-numbers/:id': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/v1/phone-numbers/${a.number.digits}` }),
    missing: () => ({ url: `/v1/phone-numbers/${MISSING_E164.slice(1)}` }),
  },
  'GET /v1/phone-numbers/:id/events': {
    scope: 'numbers:read',
    kind: 'owned',
    request: (a) => ({ url: `/v1/phone-numbers/${a.number.id}/events` }),
    missing: () => ({ url: `/v1/phone-numbers/${MISSING_ID}/events` }),
  },
  'POST /v1/api-keys': { scope: 'admin', kind: 'collection', request: () => ({ url: '/v1/api-keys', json: { scopes: ['numbers:read'] } }) },
  'GET /v1/api-keys': { scope: 'admin', kind: 'collection', request: () => ({ url: '/v1/api-keys' }) },
  'DELETE /v1/api-keys/:id': {
    scope: 'admin',
    kind: 'owned',
    request: (a) => ({ url: `/v1/api-keys/${a.extraKeyId}` }),
    missing: () => ({ url: `/v1/api-keys/${MISSING_ID}` }),
  },
  ...CARRIER_AND_TOPCALLS_CASES,
};

