import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Services } from '../services/index.ts';

const Health = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]), store: Type.String() });

export const healthRoutes: FastifyPluginAsync<{ services: Services; isReady?: (() => Promise<boolean>) | undefined }> = async (app, { services, isReady }) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: the store answers and every migration is applied',
        security: [],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const store = services.deps.database.engine;
      let ready = false;
      try {
        ready = isReady ? await isReady() : true;
      } catch {
        ready = false;
      }
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', store });
    },
  );
};
