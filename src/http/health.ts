import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Services } from '../services/index.ts';
import { literals } from './schemas/common.ts';
import { errorResponses } from './dialect.ts';
import { nativeDialect } from './native/dialect.ts';

const Health = Type.Object({
  status: literals(['ok', 'unavailable']),
  store: Type.String(),
  /** Informational: while `loading`, routing decisions fetch the numbers they need and stay exact. */
  routing_index: literals(['loading', 'ready']),
  /**
   * Whether other instances' writes are heard (PostgreSQL LISTEN/NOTIFY). While `reconnecting`,
   * routing decisions read what they need from the store, exact but slower; always `live` on SQLite.
   */
  routing_sync: literals(['live', 'reconnecting']),
  routing_sync_seconds_since_live: Type.Number({ minimum: 0 }),
});

const Readiness = Type.Object({
  status: literals(['ok', 'unavailable']),
  store: Type.String({ description: 'The store engine: `sqlite` or `postgres`' }),
  checks: Type.Object({
    store: literals(['ok', 'unreachable']),
    migrations: literals(['applied', 'pending', 'unknown']),
    change_feed: literals(['local', 'live', 'down']),
  }),
  routing_index: literals(['loading', 'ready']),
});

type ReadyProbe = (() => Promise<boolean>) | undefined;

/** Store reachable and migrated (`isReady` answers false when migrations are pending, throws when the store is unreachable). */
async function storeChecks(isReady: ReadyProbe): Promise<{ store: 'ok' | 'unreachable'; migrations: 'applied' | 'pending' | 'unknown' }> {
  try {
    return { store: 'ok', migrations: !isReady || (await isReady()) ? 'applied' : 'pending' };
  } catch {
    return { store: 'unreachable', migrations: 'unknown' };
  }
}

export const healthRoutes: FastifyPluginAsync<{ services: Services; isReady?: ReadyProbe }> = async (app, { services, isReady }) => {
  const tags = ['health'];
  app.get(
    '/healthz',
    {
      schema: {
        tags,
        operationId: 'getHealth',
        summary: 'Readiness: the store answers and every migration is applied',
        description:
          '`routing_index` says whether the in-memory routing index has finished loading; the server is ready either way ' +
          '(until it has, each routing decision reads the numbers it needs from the store). `routing_sync` says whether writes of ' +
          'other instances on the same PostgreSQL are heard; while `reconnecting` decisions read from the store as well. ' +
          'See also `/livez` and `/readyz`.',
        security: [],
        response: { 200: Health, 503: Health, ...errorResponses(nativeDialect, 429) },
      },
    },
    async (_request, reply) => {
      const checks = await storeChecks(isReady);
      const ready = checks.migrations === 'applied';
      const feed = services.feed.health();
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ok' : 'unavailable',
        store: services.installation.storeEngine,
        routing_index: services.routing.indexState,
        // The public word here predates `/readyz`'s: `live` covers SQLite's `local`, `reconnecting` is `down`.
        routing_sync: feed.state === 'down' ? 'reconnecting' : 'live',
        routing_sync_seconds_since_live: feed.secondsSinceLive,
      });
    },
  );
  app.get(
    '/livez',
    {
      schema: {
        tags,
        operationId: 'getLiveness',
        summary: 'Liveness: the process answers (touches nothing else; restart the process when this fails)',
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }), ...errorResponses(nativeDialect, 429) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags,
        operationId: 'getReadiness',
        summary: 'Readiness: the store answers, every migration is applied and the change feed is live',
        description:
          'Route traffic here only while this is 200. `change_feed` is `local` on SQLite (one process) and `live` while this ' +
          'instance hears other instances\' changes on PostgreSQL; `down` (reconnecting) makes it 503.',
        security: [],
        response: { 200: Readiness, 503: Readiness, ...errorResponses(nativeDialect, 429) },
      },
    },
    async (_request, reply) => {
      const change_feed = services.feed.state;
      const checks = { ...(await storeChecks(isReady)), change_feed };
      const ready = checks.store === 'ok' && checks.migrations === 'applied' && change_feed !== 'down';
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ok' : 'unavailable',
        store: services.installation.storeEngine,
        checks,
        routing_index: services.routing.indexState,
      });
    },
  );
};
