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
  /**
   * The scope the route needs; a key of the same workspace without it gets 403. `any`: every
   * valid key is served (a key with one read scope gets 2xx).
   */
  scope: Scope | 'any';
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
  'GET /livez',
  'GET /readyz',
  'GET /openapi.json',
  'GET /docs',
  'GET /docs/json',
  'GET /docs/yaml',
  'GET /docs/static/*',
  'GET /docs/static/index.html',
  'GET /docs/static/swagger-initializer.js',
  'GET /console',
  'GET /console/*',
]);

const patch = { nickname: 'changed by someone' };

export const CASES: Record<string, RouteCase> = {
  // operations: installation-wide aggregates, no workspace's ids or names in them
  'GET /metrics': { scope: 'admin', kind: 'collection', request: () => ({ url: '/metrics' }) },
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
  'GET /v1/api-keys/current': { scope: 'any', kind: 'collection', request: () => ({ url: '/v1/api-keys/current' }) },
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

  // native: carriers and purchase
  'POST /v1/carriers': {
    scope: 'numbers:write',
    kind: 'collection',
    request: () => ({ url: '/v1/carriers', json: { name: 'new carrier', gateways: [{ address: '203.0.113.20' }] } }),
  },
  'GET /v1/carriers': { scope: 'numbers:read', kind: 'collection', request: () => ({ url: '/v1/carriers' }) },
  'GET /v1/carriers/:id': {
    scope: 'numbers:read',
    kind: 'owned',
    request: (a) => ({ url: `/v1/carriers/${a.carrierId}` }),
    missing: () => ({ url: `/v1/carriers/${MISSING_ID}` }),
  },
  'PATCH /v1/carriers/:id': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/v1/carriers/${a.carrierId}`, json: { name: 'changed by someone' } }),
    missing: () => ({ url: `/v1/carriers/${MISSING_ID}`, json: { name: 'changed by someone' } }),
  },
  'DELETE /v1/carriers/:id': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/v1/carriers/${a.carrierId}` }),
    missing: () => ({ url: `/v1/carriers/${MISSING_ID}` }),
  },
  'POST /v1/phone-numbers/purchase': { scope: 'numbers:write', kind: 'collection', request: () => ({ url: '/v1/phone-numbers/purchase', json: { area_code: '415' } }) },
  // The isolation harness has a stand-in Twilio account with no numbers (test/carriers/twilio-standin.ts).
  'POST /v1/phone-numbers/sync': { scope: 'admin', kind: 'collection', request: () => ({ url: '/v1/phone-numbers/sync', json: { provider: 'twilio', dry_run: true } }) },
  'GET /v1/carrier-releases': { scope: 'numbers:read', kind: 'collection', request: () => ({ url: '/v1/carrier-releases' }) },
  'POST /v1/carrier-releases/:id/retry': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/v1/carrier-releases/${a.releaseId}/retry` }),
    missing: () => ({ url: `/v1/carrier-releases/${MISSING_ID}/retry` }),
  },

  // routing decisions and call reports: another workspace's number is unknown to B
  'POST /v1/routing/inbound': { scope: 'routing', kind: 'collection', request: (a) => ({ url: '/v1/routing/inbound', json: { to: a.number.e164, from: '+14155550100', call_id: 'c1' } }) },
  'POST /v1/routing/inbound-sms': { scope: 'routing', kind: 'collection', request: (a) => ({ url: '/v1/routing/inbound-sms', json: { to: a.number.e164, from: '+14155550100' } }) },
  'POST /v1/routing/outbound': { scope: 'routing', kind: 'collection', request: (a) => ({ url: '/v1/routing/outbound', json: { to: '+14155550100', from: a.number.e164 } }) },
  'POST /v1/calls/:call_id/start': {
    scope: 'routing',
    kind: 'owned',
    request: (a) => ({ url: `/v1/calls/${a.callId}/start`, json: { phone_number_id: a.number.id } }),
    missing: (a) => ({ url: `/v1/calls/${a.callId}/start`, json: { phone_number_id: MISSING_ID } }),
  },
  'POST /v1/calls/:call_id/end': {
    scope: 'routing',
    kind: 'owned',
    request: (a) => ({ url: `/v1/calls/${a.callId}/end` }),
    missing: () => ({ url: '/v1/calls/no-such-call/end' }),
  },

  // workspace settings: always the caller's own workspace
  'GET /v1/workspace': { scope: 'numbers:read', kind: 'collection', request: () => ({ url: '/v1/workspace' }) },
  'PATCH /v1/workspace': { scope: 'admin', kind: 'collection', request: () => ({ url: '/v1/workspace', json: { max_concurrent_calls: 5 } }) },
  'PUT /v1/workspace/outage': { scope: 'admin', kind: 'collection', request: () => ({ url: '/v1/workspace/outage', json: { enabled: true } }) },
  'POST /v1/workspace/signing-secret/rotate': { scope: 'admin', kind: 'collection', request: () => ({ url: '/v1/workspace/signing-secret/rotate' }) },

  // number pools
  'POST /v1/number-pools': { scope: 'numbers:write', kind: 'collection', request: (a) => ({ url: '/v1/number-pools', json: { name: 'grab', members: [a.number.id] } }) },
  'GET /v1/number-pools': { scope: 'numbers:read', kind: 'collection', request: () => ({ url: '/v1/number-pools' }) },
  'GET /v1/number-pools/:id': {
    scope: 'numbers:read',
    kind: 'owned',
    request: (a) => ({ url: `/v1/number-pools/${a.poolId}` }),
    missing: () => ({ url: `/v1/number-pools/${MISSING_ID}` }),
  },
  'PATCH /v1/number-pools/:id': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/v1/number-pools/${a.poolId}`, json: { name: 'changed by someone' } }),
    missing: () => ({ url: `/v1/number-pools/${MISSING_ID}`, json: { name: 'changed by someone' } }),
  },
  'POST /v1/number-pools/:id/members': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/v1/number-pools/${a.poolId}/members`, json: { members: [a.number.id] } }),
    missing: (a) => ({ url: `/v1/number-pools/${MISSING_ID}/members`, json: { members: [a.number.id] } }),
  },
  'DELETE /v1/number-pools/:id/members/:phone_number_id': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/v1/number-pools/${a.poolId}/members/${a.spare.id}` }),
    missing: (a) => ({ url: `/v1/number-pools/${MISSING_ID}/members/${a.spare.id}` }),
  },
  'DELETE /v1/number-pools/:id': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/v1/number-pools/${a.poolId}` }),
    missing: () => ({ url: `/v1/number-pools/${MISSING_ID}` }),
  },

  // Retell: numbers by E.164 in the path, with a literal `+`
  'POST /retell/create-phone-number': { scope: 'numbers:write', kind: 'collection', request: () => ({ url: '/retell/create-phone-number', json: { area_code: 415 } }) },
  'POST /retell/import-phone-number': {
    scope: 'numbers:write',
    kind: 'collection',
    request: () => ({ url: '/retell/import-phone-number', json: { phone_number: freshNumber(), termination_uri: 'sip.example.com' } }),
  },
  'GET /retell/get-phone-number/:phone_number': {
    scope: 'numbers:read',
    kind: 'owned',
    request: (a) => ({ url: `/retell/get-phone-number/${a.number.e164}` }),
    missing: () => ({ url: `/retell/get-phone-number/${MISSING_E164}` }),
  },
  'GET /retell/v2/list-phone-numbers': { scope: 'numbers:read', kind: 'collection', request: () => ({ url: '/retell/v2/list-phone-numbers' }) },
  'GET /retell/list-phone-numbers': { scope: 'numbers:read', kind: 'collection', request: () => ({ url: '/retell/list-phone-numbers' }) },
  'PATCH /retell/update-phone-number/:phone_number': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/retell/update-phone-number/${a.number.e164}`, json: { nickname: 'changed by someone' } }),
    missing: () => ({ url: `/retell/update-phone-number/${MISSING_E164}`, json: { nickname: 'changed by someone' } }),
  },
  'DELETE /retell/delete-phone-number/:phone_number': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/retell/delete-phone-number/${encodeURIComponent(a.number.e164)}` }),
    missing: () => ({ url: `/retell/delete-phone-number/${encodeURIComponent(MISSING_E164)}` }),
  },

  // TopCalls: numbers by id; a carrier of another workspace is 404
  'POST /topcalls/v1/phone-numbers': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: '/topcalls/v1/phone-numbers', json: { number: freshNumber(), voip_carrier_sid: a.carrierId } }),
    missing: () => ({ url: '/topcalls/v1/phone-numbers', json: { number: freshNumber(), voip_carrier_sid: MISSING_ID } }),
  },
  'GET /topcalls/v1/phone-numbers': { scope: 'numbers:read', kind: 'collection', request: () => ({ url: '/topcalls/v1/phone-numbers' }) },
  'GET /topcalls/v1/phone-numbers/carriers': { scope: 'numbers:read', kind: 'collection', request: () => ({ url: '/topcalls/v1/phone-numbers/carriers' }) },
  'POST /topcalls/v1/phone-numbers/carriers': {
    scope: 'numbers:write',
    kind: 'collection',
    request: () => ({ url: '/topcalls/v1/phone-numbers/carriers', json: { carrier_name: 'new carrier', sip_gateway: { ipv4: '203.0.113.30' } } }),
  },
  'GET /topcalls/v1/phone-numbers/:id': {
    scope: 'numbers:read',
    kind: 'owned',
    request: (a) => ({ url: `/topcalls/v1/phone-numbers/${a.number.id}` }),
    missing: () => ({ url: `/topcalls/v1/phone-numbers/${MISSING_ID}` }),
  },
  'DELETE /topcalls/v1/phone-numbers/:id': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/topcalls/v1/phone-numbers/${a.number.id}` }),
    missing: () => ({ url: `/topcalls/v1/phone-numbers/${MISSING_ID}` }),
  },
};
