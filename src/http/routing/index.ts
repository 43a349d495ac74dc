import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../services/index.ts';

/** Routing decisions, pools, outage and call reporting under /v1 (scope `routing`). */
export const routingApi: FastifyPluginAsync<{ services: Services }> = async () => {};
