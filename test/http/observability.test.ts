/**
 * Operating the server: Prometheus metrics at /metrics (who may scrape, what is counted),
 * liveness and readiness, access lines that name the caller, and OpenTelemetry request spans.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { isMigrated } from '../../src/db/migrate.ts';
import { createHarness, onPostgres, type Harness } from '../helpers/harness.ts';
import { routingWorkspace, type RoutingWorkspace } from '../helpers/routing-fixtures.ts';

const METRICS_TOKEN = 'scrape-token-0123456789';
let h: Harness;
let app: FastifyInstance;
let ws: RoutingWorkspace;
let receiver: http.Server;
let receiverUrl: string;
const logLines: string[] = [];
const spans = new InMemorySpanExporter();

beforeAll(async () => {
  receiver = http.createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ call_inbound: { override_agent_id: 'from_webhook' } }));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  h = await createHarness({ env: { ROUTING_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true', RATE_LIMIT_PER_MINUTE: '0' } });
  // The production logger and edge, with metrics, a rate limit to run into and traces in memory.
  app = await buildApp({
    config: { ...h.config, LOG_LEVEL: 'info', METRICS_TOKEN, RATE_LIMIT_PER_MINUTE: 40 },
    services: h.runtime.services,
    logStream: { write: (line: string) => void logLines.push(line) },
    isReady: () => isMigrated(h.runtime.database),
    traceExporter: spans,
  });
  await app.ready();
  ws = await routingWorkspace(h);
});
afterAll(async () => {
  await app.close();
  await h.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const get = (url: string, token?: string) => app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
const post = (url: string, token: string, payload: object) => app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload });

/** The value of one sample of the exposition text, e.g. `name{label="x"}`; labels in any order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  test('answers an admin key or METRICS_TOKEN; 401 without credentials, 403 for a key without admin', async () => {
    expect((await get('/metrics')).statusCode).toBe(401);
    expect((await get('/metrics', 'not-the-token-0123456789')).statusCode).toBe(401);
    expect((await get('/metrics', await ws.key(['numbers:read', 'numbers:write', 'routing']))).statusCode).toBe(403);
    const byKey = await get('/metrics', ws.admin);
    expect(byKey.statusCode).toBe(200);
    expect(byKey.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const byToken = await get('/metrics', METRICS_TOKEN);
    expect(byToken.statusCode).toBe(200);
    // Process metrics from prom-client's defaults.
    expect(byToken.body).toMatch(/^process_cpu_seconds_total /m);
    expect(byToken.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  test('request durations by route template and status, never by raw path', async () => {
    const number = await ws.importNumber({});
    expect((await get(`/v1/phone-numbers/${number.id}`, ws.admin)).statusCode).toBe(200);
    expect((await get('/v1/phone-numbers/00000000-0000-7000-8000-000000000000', ws.admin)).statusCode).toBe(404);
    const text = (await get('/metrics', METRICS_TOKEN)).body;
    const route = '/v1/phone-numbers/:id';
    expect(sample(text, 'switchboard_http_request_duration_seconds_count', { method: 'GET', route, status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'switchboard_http_request_duration_seconds_count', { method: 'GET', route, status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(number.id);
  });

  test('routing decisions by direction, action and decided_by; webhook calls by outcome with latency', async () => {
    const before = (await get('/metrics', METRICS_TOKEN)).body;
    const bound = await ws.importNumber({ inbound_agents: [{ agent_id: 'a', weight: 1 }] });
    const hooked = await ws.importNumber({ inbound_agents: [{ agent_id: 'a', weight: 1 }], inbound_webhook_url: receiverUrl });
    expect((await post('/v1/routing/inbound', ws.admin, { to: bound.phone_number, from: '+12125551234' })).json()).toMatchObject({ action: 'connect', decided_by: 'binding' });
    expect((await post('/v1/routing/inbound', ws.admin, { to: '+12125550000', from: '+12125551234' })).json()).toMatchObject({ action: 'reject', decided_by: 'number_lookup' });
    expect((await post('/v1/routing/inbound', ws.admin, { to: hooked.phone_number, from: '+12125551234' })).json()).toMatchObject({ agent_id: 'from_webhook', decided_by: 'webhook' });
    const after = (await get('/metrics', METRICS_TOKEN)).body;
    const delta = (name: string, labels: Record<string, string>) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    const decisions = 'switchboard_routing_decisions_total';
    expect(delta(decisions, { direction: 'inbound_voice', action: 'connect', decided_by: 'binding' })).toBe(1);
    expect(delta(decisions, { direction: 'inbound_voice', action: 'reject', decided_by: 'number_lookup' })).toBe(1);
    expect(delta(decisions, { direction: 'inbound_voice', action: 'connect', decided_by: 'webhook' })).toBe(1);
    expect(delta('switchboard_routing_webhook_duration_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(sample(after, 'switchboard_routing_webhook_duration_seconds_sum', { outcome: 'ok' })).toBeGreaterThan(0);
  });

  test('routing index size and state, change-feed state, store pool', async () => {
    await h.runtime.services.routing.indexLoaded();
    await ws.importNumber({});
    const text = (await get('/metrics', METRICS_TOKEN)).body;
    expect(sample(text, 'switchboard_routing_index_numbers')).toBe(h.runtime.services.routing.indexSize);
    expect(sample(text, 'switchboard_routing_index_numbers')).toBeGreaterThan(0);
    expect(sample(text, 'switchboard_routing_index_state', { state: 'ready' })).toBe(1);
    expect(sample(text, 'switchboard_routing_index_state', { state: 'loading' })).toBe(0);
    const feed = h.runtime.database.pool ? 'live' : 'local';
    expect(sample(text, 'switchboard_change_feed_state', { state: feed })).toBe(1);
    if (h.runtime.database.pool) expect(sample(text, 'switchboard_store_pool_connections', { state: 'max' })).toBe(4);
    else expect(sample(text, 'switchboard_store_pool_connections', { state: 'max' })).toBeUndefined();
  });

  test('rate-limit rejections by route', async () => {
    const key = await ws.key(['numbers:read']);
    let status = 200;
    for (let i = 0; i < 45 && status !== 429; i++) status = (await get('/v1/phone-numbers?limit=1', key)).statusCode;
    expect(status).toBe(429);
    const text = (await get('/metrics', METRICS_TOKEN)).body;
    expect(sample(text, 'switchboard_rate_limit_rejections_total', { route: '/v1/phone-numbers' })).toBeGreaterThanOrEqual(1);
  });
});

test.skipIf(!onPostgres)('change-feed lag: a change committed by another instance is heard, and how late', async () => {
  const other = await createHarness({ schema: h.schema!, env: { METRICS_TOKEN } });
  try {
    await other.runtime.services.routing.start();
    const heard = new Promise<number>((resolve) => other.runtime.services.telemetry.on('changeNotice', (event) => resolve(event.lagSeconds)));
    await ws.importNumber({});
    const lag = await heard;
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(10);
    const text = (await other.request('GET', '/metrics', { key: METRICS_TOKEN })).body;
    expect(sample(text, 'switchboard_change_feed_lag_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'switchboard_change_feed_state', { state: 'live' })).toBe(1);
  } finally {
    await other.close();
  }
});

describe('health endpoints', () => {
  test('/livez answers without touching the store; /readyz names each check', async () => {
    expect((await get('/livez')).json()).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ok',
      store: h.runtime.database.engine,
      checks: { store: 'ok', migrations: 'applied', change_feed: h.runtime.database.pool ? 'live' : 'local' },
    });
  });

  test('/readyz and /healthz are 503 when the store does not answer or migrations are pending; /livez stays 200', async () => {
    let state: 'down' | 'pending' = 'down';
    const probe = buildApp({
      config: h.config,
      services: h.runtime.services,
      isReady: async () => {
        if (state === 'down') throw new Error('connection refused');
        return false;
      },
    });
    const broken = await probe;
    try {
      const down = await broken.inject({ method: 'GET', url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'unavailable', checks: { store: 'unreachable', migrations: 'unknown' } });
      expect((await broken.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(503);
      expect((await broken.inject({ method: 'GET', url: '/livez' })).statusCode).toBe(200);
      state = 'pending';
      expect((await broken.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ checks: { store: 'ok', migrations: 'pending' } });
    } finally {
      await broken.close();
    }
  });
});

describe('access lines and traces', () => {
  test('the access line names the workspace and the key id, never the key', async () => {
    const key = await ws.key(['numbers:read']);
    const keyId = (await h.runtime.services.workspaces.authenticate(key)).keyId;
    const response = await get('/v1/phone-numbers?limit=1', key);
    const line = logLines.map((text) => JSON.parse(text)).find((entry) => entry.msg === 'request' && entry.reqId === response.headers['x-request-id']);
    expect(line).toMatchObject({ workspaceId: ws.id, keyId, status: response.statusCode });
    expect(logLines.join('\n')).not.toContain(key);
  });

  test('every request is a span with the route, status, request id and workspace id', async () => {
    spans.reset();
    const response = await get('/v1/phone-numbers?limit=1', ws.admin);
    const requestId = response.headers['x-request-id'];
    const span = spans.getFinishedSpans().find((item) => item.name === 'request' && item.attributes['switchboard.request_id'] === requestId);
    expect(span, 'request span').toBeDefined();
    expect(span!.attributes).toMatchObject({
      'http.route': '/v1/phone-numbers',
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'switchboard.workspace_id': ws.id,
    });
  });

  test('an incoming traceparent continues its trace', async () => {
    spans.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await app.inject({ method: 'GET', url: '/livez', headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const span = spans.getFinishedSpans().find((item) => item.attributes['switchboard.request_id'] === response.headers['x-request-id']);
    expect(span?.spanContext().traceId).toBe(traceId);
  });
});
