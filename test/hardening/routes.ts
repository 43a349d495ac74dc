/**
 * How to call every registered route against a seeded workspace A. The isolation matrix and the
 * hostile-input test both walk the app's route registry through this table; a route missing
 * here fails the suite by name.
 */
import type { Scope } from '../../src/services/context.ts';
import { freshNumber, type Seeded } from './support.ts';

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
  missing?: (a: Seeded, b: Seeded) => RouteRequest;
  /**
   * For routes that take a workspace parameter: B naming its own workspace but A's resource
   * (`request` itself has B naming A's workspace). Also 404.
   */
  asB?: (a: Seeded, b: Seeded) => RouteRequest;
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

  // Synthflow: the workspace is named in the query or body; another workspace's name is 404.
  'GET /synthflow/v2/numbers': {
    scope: 'numbers:read',
    kind: 'owned',
    request: (a) => ({ url: `/synthflow/v2/numbers?workspace=${a.workspace.id}` }),
    missing: () => ({ url: `/synthflow/v2/numbers?workspace=${MISSING_ID}` }),
  },
  'GET /synthflow/v2/numbers/:phone_number_slug': {
    scope: 'numbers:read',
    kind: 'owned',
    request: (a) => ({ url: `/synthflow/v2/numbers/${a.number.digits}?workspace=${a.workspace.id}` }),
    asB: (a, b) => ({ url: `/synthflow/v2/numbers/${a.number.digits}?workspace=${b.workspace.id}` }),
    missing: (_a, b) => ({ url: `/synthflow/v2/numbers/${MISSING_E164.slice(1)}?workspace=${b.workspace.id}` }),
  },
  'POST /synthflow/v2/custom-numbers': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: '/synthflow/v2/custom-numbers', json: { workspace_id: a.workspace.id, phone_number: freshNumber(), termination_uri: 'sip.example.com' } }),
    missing: () => ({ url: '/synthflow/v2/custom-numbers', json: { workspace_id: MISSING_ID, phone_number: freshNumber(), termination_uri: 'sip.example.com' } }),
  },
  'PATCH /synthflow/v2/numbers/:phone_number_slug': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/synthflow/v2/numbers/${a.number.digits}?workspace=${a.workspace.id}`, json: { friendly_name: 'changed by someone' } }),
    asB: (a) => ({ url: `/synthflow/v2/numbers/${a.number.digits}`, json: { friendly_name: 'changed by someone' } }),
    missing: () => ({ url: `/synthflow/v2/numbers/${MISSING_E164.slice(1)}`, json: { friendly_name: 'changed by someone' } }),
  },
  'DELETE /synthflow/v2/numbers/:phone_number_slug': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/synthflow/v2/numbers/${a.number.digits}?workspace=${a.workspace.id}` }),
    asB: (a) => ({ url: `/synthflow/v2/numbers/%2B${a.number.digits}` }),
    missing: () => ({ url: `/synthflow/v2/numbers/${MISSING_E164.slice(1)}` }),
  },
  'PUT /synthflow/v2/assistants/:model_id/phone_numbers': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/synthflow/v2/assistants/agent-new/phone_numbers?workspace=${a.workspace.id}`, json: { phone_numbers: [a.number.e164] } }),
    asB: (a) => ({ url: '/synthflow/v2/assistants/agent-new/phone_numbers', json: { phone_number_slugs: [a.number.digits] } }),
    missing: () => ({ url: '/synthflow/v2/assistants/agent-new/phone_numbers', json: { phone_numbers: [MISSING_E164] } }),
  },
  'DELETE /synthflow/v2/assistants/:model_id/phone_numbers/:phone_number_slug': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/synthflow/v2/assistants/${a.agentId}/phone_numbers/${a.number.digits}?workspace=${a.workspace.id}` }),
    asB: (a) => ({ url: `/synthflow/v2/assistants/${a.agentId}/phone_numbers/${a.number.digits}` }),
    missing: (a) => ({ url: `/synthflow/v2/assistants/${a.agentId}/phone_numbers/${MISSING_E164.slice(1)}` }),
  },
};

