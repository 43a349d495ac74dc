import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Services } from '../services/index.ts';

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  store: Type.String(),
  /** Informational: while `loading`, routing decisions fetch the numbers they need and stay exact. */
  routing_index: Type.Union([Type.Literal('loading'), Type.Literal('ready')]),
  /**
   * Whether other instances' writes are heard (PostgreSQL LISTEN/NOTIFY). While `reconnecting`,
   * routing decisions read what they need from the store, exact but slower; always `live` on SQLite.
   */
  routing_sync: Type.Union([Type.Literal('live'), Type.Literal('reconnecting')]),
  routing_sync_seconds_since_live: Type.Number({ minimum: 0 }),
});

export const healthRoutes: FastifyPluginAsync<{ services: Services; isReady?: (() => Promise<boolean>) | undefined }> = async (app, { services, isReady }) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: the store answers and every migration is applied',
        description:
          '`routing_index` says whether the in-memory routing index has finished loading; the server is ready either way ' +
          '(until it has, each routing decision reads the numbers it needs from the store). `routing_sync` says whether writes of ' +
          'other instances on the same PostgreSQL are heard; while `reconnecting` decisions read from the store as well.',
        security: [],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const store = services.installation.storeEngine;
      let ready = false;
      try {
        ready = isReady ? await isReady() : true;
      } catch {
        ready = false;
      }
      const sync = services.feed.health();
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ok' : 'unavailable',
        store,
        routing_index: services.routing.indexState,
        routing_sync: sync.state,
        routing_sync_seconds_since_live: sync.secondsSinceLive,
      });
    },
  );
};
