/**
 * Hostile input against every write route of the registry: random and adversarial bodies,
 * headers and paths. Properties: never a 5xx, a rejected request changes nothing, and the
 * process (and Object.prototype) stays intact.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { registeredRoutes } from '../../src/http/app.ts';
import { createHarness, onPostgres } from '../helpers/harness.ts';
import { CASES, PUBLIC_ROUTES } from './routes.ts';
import { seedWorkspace, snapshotWorkspace, type Seeded } from './support.ts';

// CI-sized: the file runs once per store on two shared cores.
const RUNS = onPostgres ? 50 : 150;

const h = await createHarness({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
afterAll(async () => h.close());

const writeRoutes = registeredRoutes(h.app).filter(
  (route) => route.method !== 'GET' && !PUBLIC_ROUTES.has(`${route.method} ${route.url}`) && CASES[`${route.method} ${route.url}`],
);

interface Attempt {
  url: string;
  payload?: string | Buffer;
  headers?: Record<string, string>;
}

async function send(method: string, attempt: Attempt, key: string) {
  const response = await h.app.inject({
    method: method as 'POST',
    url: attempt.url,
    headers: { authorization: `Bearer ${key}`, ...(attempt.payload !== undefined ? { 'content-type': 'application/json' } : {}), ...attempt.headers },
    ...(attempt.payload !== undefined ? { payload: attempt.payload } : {}),
  });
  return response;
}

const FULLWIDTH = '０１２３４５６７８９';
const ARABIC_INDIC = '٠١٢٣٤٥٦٧٨٩';
const lookalike = (digits: string, table: string) => digits.replace(/\d/g, (d) => table[Number(d)]!);

/** Values that have broken JSON services before. */
function adversarialValues(a: Seeded): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>(
      null,
      true,
      0,
      -0,
      -1,
      1e308,
      Number.MAX_SAFE_INTEGER + 2,
      5e-324,
      '',
      ' ',
      '\u0000',
      '\ud800',
      '\u202e+14157774444',
      'x'.repeat(100_000),
      `+${lookalike(a.number.digits, FULLWIDTH)}`,
      `+${lookalike(a.number.digits, ARABIC_INDIC)}`,
      `＋${a.number.digits}`,
      ` ${a.number.digits}`,
      `${a.number.e164}\n`,
      '+1 415 777 4444 ext. 1',
      '+0000000000000000',
      '+99999999999999999999',
      '__proto__',
      'constructor',
      'latest',
      'TLS; DROP TABLE phone_numbers;--',
      "' OR 1=1 --",
      'javascript:alert(1)',
      'http://169.254.169.254/latest/meta-data/',
      [],
      {},
      [null],
      { __proto__: { admin: true } },
      JSON.parse('{"__proto__": {"polluted": true}}'),
      { constructor: { prototype: { polluted: true } } },
      Array.from({ length: 10_000 }, (_, i) => ({ agent_id: `agent-${i}`, weight: 1 / 10_000 })),
      Array.from({ length: 101 }, (_, i) => ({ agent_id: `agent-${i}`, weight: 1 / 101 })),
      [{ agent_id: 'a', weight: 0.5 }, { agent_id: 'a', weight: 0.5 }],
      [{ agent_id: 'a', weight: 1.0000001 }],
      [{ agent_id: 'a', weight: 0 }],
      [{ agent_id: 'a', weight: -1 }, { agent_id: 'b', weight: 2 }],
      [{ agent_id: 'a', weight: 1, agent_version: -1 }],
      [{ agent_id: 'a', weight: 1, agent_version: 1.5 }],
      [{ agent_id: '', weight: 1 }],
      ['XX', 'us', 'ZZ'],
      { voice: 'true' },
      { auth_password: 'x'.repeat(10_000) },
      { transport: 'SCTP' },
      { uac_register_expires: 59 },
      { uac_register_expires: 3601 },
    ),
    fc.string({ maxLength: 300, unit: 'binary' }),
    fc.jsonValue({ maxDepth: 4 }),
    fc.double(),
    fc.integer(),
  );
}

const FIELDS = [
  'phone_number',
  'nickname',
  'status',
  'source',
  'provider_sid',
  'carrier_id',
  'capabilities',
  'sip',
  'inbound_agents',
  'outbound_agents',
  'inbound_sms_agents',
  'outbound_sms_agents',
  'allowed_inbound_country_list',
  'allowed_outbound_country_list',
  'inbound_webhook_url',
  'fallback_number',
  'error_message',
  'items',
  'scopes',
  'name',
  '__proto__',
  'constructor',
  'workspace_id',
  'id',
  'version',
];

/** Raw texts JSON.stringify cannot produce: non-finite numbers, broken UTF-8, absurd nesting. */
function rawPayloads(a: Seeded, base: unknown): fc.Arbitrary<string | Buffer> {
  const baseText = JSON.stringify(base ?? {});
  const withField = (text: string) => (baseText === '{}' ? `{${text}}` : baseText.replace(/}$/, `,${text}}`));
  return fc.oneof(
    fc.constantFrom<string | Buffer>(
      withField('"inbound_agents":[{"agent_id":"a","weight":1e999}]'),
      withField('"inbound_agents":[{"agent_id":"a","weight":-1e999}]'),
      withField('"inbound_agents":[{"agent_id":"a","weight":NaN}]'),
      withField('"inbound_agents":[{"agent_id":"a","weight":Infinity}]'),
      withField('"inbound_agents":[{"agent_id":"a","weight":1e-999}]'),
      withField('"inbound_agents":[{"agent_id":"a","weight":0.9999999999999999999999}]'),
      withField('"sip":{"uac_register_expires":300.0000000000001}'),
      withField('"nickname":"a","nickname":"b"'),
      withField('"__proto__":{"admin":true}'),
      withField('"constructor":{"prototype":{"admin":true}}'),
      '{"__proto__":{"scopes":["admin"]}}',
      '['.repeat(10_000) + ']'.repeat(10_000),
      '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000),
      `{"phone_number":"${a.number.e164}"`,
      '',
      'null',
      '[]',
      '"string"',
      '12',
      '\ufeff{}',
      Buffer.concat([Buffer.from('{"nickname":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from(withField('"provider_sid":"')), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
      Buffer.from([0x00, 0x01, 0x02]),
    ),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  );
}

function adversarialHeaders(): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    {
      'content-type': fc.constantFrom(
        'application/json',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/problem+json',
        'application/json, text/plain',
      ),
      'if-match': fc.constantFrom('*', '"1"', 'W/"1"', '"-1"', '"99999999999999999999"', '"1", "2"', '', 'x'.repeat(100), '"\u0000"'),
      'idempotency-key': fc.oneof(fc.string({ maxLength: 300 }).filter((s) => /^[\x20-\x7e]*$/.test(s)), fc.constant('k'.repeat(1000))),
      'x-request-id': fc.constantFrom('../../etc/passwd', 'a'.repeat(500), '<script>'),
      'content-encoding': fc.constantFrom('gzip', 'br', 'identity'),
    },
    { requiredKeys: [] },
  );
}

/** Replacements for a route's `:param` segments: look-alike digits, `+` vs space, traversal, overlong. */
function adversarialSegments(a: Seeded): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      lookalike(a.number.digits, FULLWIDTH),
      lookalike(a.number.digits, ARABIC_INDIC),
      encodeURIComponent(`+${lookalike(a.number.digits, FULLWIDTH)}`),
      encodeURIComponent(`＋${a.number.digits}`),
      `%20${a.number.digits}`,
      ` ${a.number.digits}`.replace(' ', '%20'),
      `+${a.number.digits}`,
      `%2B${a.number.digits}`,
      `%2b${a.number.digits}`,
      `${a.number.digits}%00`,
      `${a.number.id}%2F..`,
      '..%2F..%2Fetc%2Fpasswd',
      '%E0%A4%A',
      '%C0%AF',
      '%ED%A0%80',
      'x'.repeat(1000),
      `${a.number.id.toUpperCase()}`,
      `${a.number.id} `.replace(' ', '%20'),
      '__proto__',
      'constructor',
      '*',
    ),
    fc.string({ minLength: 1, maxLength: 80 }).map(encodeURIComponent),
  );
}

function fillParams(template: string, realUrl: string, segment: string): string {
  // Keep the real values except one `:param`, which gets the hostile segment.
  const templateParts = template.split('/');
  const realParts = realUrl.split('?')[0]!.split('/');
  const params = templateParts.map((part, i) => (part.startsWith(':') ? i : -1)).filter((i) => i >= 0);
  if (params.length === 0) return realUrl;
  const target = params[segment.length % params.length]!;
  return realParts.map((part, i) => (i === target ? segment : part)).join('/');
}

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();
const pristinePrototype = prototypeKeys();

// Each route gets its own workspace and checks only that one: the routes run side by side, which
// overlaps their store round trips (PostgreSQL) instead of waiting on each in turn.
describe.concurrent.each(writeRoutes.map((route) => [`${route.method} ${route.url}`, route] as const))('%s', (name, route) => {
  test('random and adversarial input: never a 5xx, a rejected request changes nothing', { timeout: 120_000 }, async ({ expect }) => {
    const routeCase = CASES[name]!;
    const a = await seedWorkspace(h);
    const base = routeCase.request(a);
    let before = await snapshotWorkspace(h, a.workspace.id);

    const attempt = fc.oneof(
      // A valid body with one field replaced by something hostile.
      fc.record({ field: fc.constantFrom(...FIELDS), value: adversarialValues(a), headers: adversarialHeaders() }).map(({ field, value, headers }) => {
        const body = { ...((base.json as object) ?? {}) } as Record<string, unknown>;
        Object.defineProperty(body, field, { value, enumerable: true, configurable: true, writable: true });
        return { url: base.url, payload: JSON.stringify(body), headers } as Attempt;
      }),
      fc.record({ payload: rawPayloads(a, base.json), headers: adversarialHeaders() }).map(({ payload, headers }) => ({ url: base.url, payload, headers }) as Attempt),
      fc.jsonValue({ maxDepth: 6 }).map((value) => ({ url: base.url, payload: JSON.stringify(value) }) as Attempt),
      adversarialSegments(a).map((segment) => ({ url: fillParams(route.url, base.url, segment), ...(base.json !== undefined ? { payload: JSON.stringify(base.json) } : {}) }) as Attempt),
    );

    await fc.assert(
      fc.asyncProperty(attempt, async (input) => {
        const response = await send(route.method, input, a.key);
        if (response.statusCode >= 500) {
          throw new Error(`${response.statusCode} for ${route.method} ${input.url} ${String(input.payload).slice(0, 200)} ${JSON.stringify(input.headers ?? {})}: ${response.body.slice(0, 300)}`);
        }
        if (response.statusCode >= 400) {
          const after = await snapshotWorkspace(h, a.workspace.id);
          if (JSON.stringify(after) !== JSON.stringify(before)) {
            throw new Error(`rejected ${response.statusCode} but the workspace changed: ${route.method} ${input.url} ${String(input.payload).slice(0, 200)}: ${response.body.slice(0, 300)}`);
          }
        } else {
          // An accepted request may change things; it is the new baseline.
          before = await snapshotWorkspace(h, a.workspace.id);
        }
        return true;
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(prototypeKeys()).toEqual(pristinePrototype);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

test('the process is still up and serving after the barrage', async () => {
  expect((await h.request('GET', '/healthz')).status).toBe(200);
  const a = await seedWorkspace(h);
  const res = await h.request('GET', `/v1/phone-numbers/${a.number.id}`, { key: a.key });
  expect(res.status).toBe(200);
  expect(res.json().phone_number).toBe(a.number.e164);
});
