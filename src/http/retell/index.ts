import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../services/index.ts';

/** Retell's phone-number API under /retell (client base URL http://host/retell). */
export const retellApi: FastifyPluginAsync<{ services: Services }> = async () => {};
