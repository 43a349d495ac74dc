import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../services/index.ts';

/** Synthflow's v2 phone-number API under /synthflow (client base URL http://host/synthflow/v2). */
export const synthflowApi: FastifyPluginAsync<{ services: Services }> = async () => {};
