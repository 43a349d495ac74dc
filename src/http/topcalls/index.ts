import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../services/index.ts';

/** TopCalls' v1 phone-number API under /topcalls (client base URL http://host/topcalls). */
export const topcallsApi: FastifyPluginAsync<{ services: Services }> = async () => {};
