import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../services/index.ts';
import { requireApiKey } from '../auth.ts';
import { callRoutes } from './calls.ts';
import { decisionRoutes } from './decisions.ts';
import { poolRoutes } from './pools.ts';
import { workspaceRoutes } from './workspace.ts';

/** Routing decisions, call reporting, workspace routing settings and pools under /v1. */
export const routingApi: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  requireApiKey(app, services);
  await app.register(decisionRoutes, { services });
  await app.register(callRoutes, { services });
  await app.register(workspaceRoutes, { services });
  await app.register(poolRoutes, { services });
};
