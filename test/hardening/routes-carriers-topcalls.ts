/** Isolation cases of the carrier routes and the TopCalls dialect (merged into CASES in routes.ts). */
import type { RouteCase } from './routes.ts';
import { freshNumber } from './support.ts';

const NOWHERE = '019a0000-0000-7000-8000-0000000000c0';
const gateway = { address: '203.0.113.78' };

export const CARRIER_AND_TOPCALLS_CASES: Record<string, RouteCase> = {
  'POST /v1/carriers': { scope: 'numbers:write', kind: 'collection', request: () => ({ url: '/v1/carriers', json: { name: 'new carrier', gateways: [gateway] } }) },
  'GET /v1/carriers': { scope: 'numbers:read', kind: 'collection', request: () => ({ url: '/v1/carriers' }) },
  'GET /v1/carriers/:id': {
    scope: 'numbers:read',
    kind: 'owned',
    request: (a) => ({ url: `/v1/carriers/${a.carrier.id}` }),
    missing: () => ({ url: `/v1/carriers/${NOWHERE}` }),
  },
  'PATCH /v1/carriers/:id': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/v1/carriers/${a.carrier.id}`, json: { name: 'renamed by someone', registration: { password: 'stolen' } } }),
    missing: () => ({ url: `/v1/carriers/${NOWHERE}`, json: { name: 'renamed by someone', registration: { password: 'stolen' } } }),
  },
  'DELETE /v1/carriers/:id': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/v1/carriers/${a.carrier.id}` }),
    missing: () => ({ url: `/v1/carriers/${NOWHERE}` }),
  },
  'POST /topcalls/v1/phone-numbers': {
    scope: 'numbers:write',
    kind: 'collection',
    request: () => ({ url: '/topcalls/v1/phone-numbers', json: { number: freshNumber(), label: 'tc' } }),
  },
  'GET /topcalls/v1/phone-numbers': { scope: 'numbers:read', kind: 'collection', request: () => ({ url: '/topcalls/v1/phone-numbers' }) },
  'GET /topcalls/v1/phone-numbers/:id': {
    scope: 'numbers:read',
    kind: 'owned',
    request: (a) => ({ url: `/topcalls/v1/phone-numbers/${a.number.id}` }),
    missing: () => ({ url: `/topcalls/v1/phone-numbers/${NOWHERE}` }),
  },
  'DELETE /topcalls/v1/phone-numbers/:id': {
    scope: 'numbers:write',
    kind: 'owned',
    request: (a) => ({ url: `/topcalls/v1/phone-numbers/${a.spare.id}` }),
    missing: () => ({ url: `/topcalls/v1/phone-numbers/${NOWHERE}` }),
  },
  'GET /topcalls/v1/phone-numbers/carriers': { scope: 'numbers:read', kind: 'collection', request: () => ({ url: '/topcalls/v1/phone-numbers/carriers' }) },
  'POST /topcalls/v1/phone-numbers/carriers': {
    scope: 'numbers:write',
    kind: 'collection',
    request: () => ({ url: '/topcalls/v1/phone-numbers/carriers', json: { carrier_name: 'tc carrier', sip_gateway: { ipv4: '203.0.113.79' } } }),
  },
};
