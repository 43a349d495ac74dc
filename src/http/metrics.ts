import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Services } from '../services/index.ts';
import { requireScope } from '../services/context.ts';
import { actorOf, bearerToken } from './auth.ts';
import { errorResponses } from './dialect.ts';
import { nativeDialect } from './native/dialect.ts';

export interface MetricsOptions {
  /** A bearer token that may scrape besides an `admin` key (METRICS_TOKEN). */
  token?: string | undefined;
}

/**
 * Prometheus metrics at `GET /metrics`: requests, routing decisions and webhook calls (from the
 * services' telemetry events), routing-index, change-feed and store-pool state (read when
 * scraped), rate-limit rejections and the process's own metrics. One registry per app, so apps
 * built side by side (tests) never mix their counts.
 */
export function registerMetrics(app: FastifyInstance, services: Services, options: MetricsOptions = {}): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

  const requests = new Histogram({
    name: 'switchboard_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: latencyBuckets,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'switchboard_rate_limit_rejections_total',
    help: 'Requests refused with 429 by the per-key rate limit, by route template',
    labelNames: ['route'],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'switchboard_routing_decisions_total',
    help: 'Routing decisions answered, by direction, action and the rule that decided (decided_by)',
    labelNames: ['direction', 'action', 'decided_by'],
    registers: [registry],
  });
  const webhooks = new Histogram({
    name: 'switchboard_routing_webhook_duration_seconds',
    help: 'Routing webhook calls by outcome (ok, timeout, network, http_status, target_refused, invalid_response)',
    labelNames: ['outcome'],
    buckets: latencyBuckets,
    registers: [registry],
  });
  const feedLag = new Histogram({
    name: 'switchboard_change_feed_lag_seconds',
    help: 'Delay between another instance committing a change and this one hearing of it (PostgreSQL)',
    buckets: latencyBuckets,
    registers: [registry],
  });
  new Gauge({
    name: 'switchboard_routing_index_numbers',
    help: 'Numbers held in the in-memory routing index',
    registers: [registry],
    collect() {
      this.set(services.routing.indexSize);
    },
  });
  stateGauge(registry, 'switchboard_routing_index_state', 'Routing index state: 1 for the current one (loading, ready)', ['loading', 'ready'], () => services.routing.indexState);
  stateGauge(
    registry,
    'switchboard_change_feed_state',
    'Change feed between instances: 1 for the current state (local: SQLite, one process; live; down: reconnecting)',
    ['local', 'live', 'down'],
    () => services.feed.state,
  );
  new Gauge({
    name: 'switchboard_store_pool_connections',
    help: 'PostgreSQL pool connections: total open, idle, and requests waiting for one, and the pool maximum (no samples on SQLite)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = services.installation.storePool;
      if (!pool) return;
      for (const [state, count] of Object.entries(pool)) this.set({ state }, count);
    },
  });

  const unsubscribe = [
    services.telemetry.on('decision', (event) => decisions.inc({ direction: event.direction, action: event.action, decided_by: event.decidedBy })),
    services.telemetry.on('webhook', (event) => webhooks.observe({ outcome: event.outcome }, event.seconds)),
    services.telemetry.on('changeNotice', (event) => feedLag.observe(event.lagSeconds)),
  ];
  app.addHook('onClose', (_app, done) => {
    for (const stop of unsubscribe) stop();
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = routeOf(request);
    requests.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000);
    if (reply.statusCode === 429) rateLimited.inc({ route });
    done();
  });

  const tokenDigest = options.token ? sha256(options.token) : null;
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (text exposition format)',
        description: 'Scraped with an API key of scope `admin`, or the `METRICS_TOKEN` bearer token.',
        response: {
          200: { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...errorResponses(nativeDialect, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const token = bearerToken(request);
      // Compared as digests so the comparison takes the same time whatever the token's length.
      const byToken = tokenDigest !== null && token !== undefined && crypto.timingSafeEqual(sha256(token), tokenDigest);
      if (!byToken) {
        request.actor = await actorOf(request, services);
        requireScope(request.actor, 'admin');
      }
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
  return registry;
}

/** The route template (`/v1/phone-numbers/:id`), never the raw path: ids must not become labels. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

function sha256(text: string): Buffer {
  return crypto.createHash('sha256').update(text).digest();
}

/** The Prometheus enum idiom: one series per state, 1 on the current one. */
function stateGauge(registry: Registry, name: string, help: string, states: string[], current: () => string): void {
  new Gauge({
    name,
    help,
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const now = current();
      for (const state of states) this.set({ state }, state === now ? 1 : 0);
    },
  });
}
