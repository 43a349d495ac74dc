import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../services/index.ts';
import { requireApiKey } from '../auth.ts';
import { phoneNumberRoutes } from './phone-numbers.ts';
import { apiKeyRoutes } from './api-keys.ts';
import { carrierRoutes } from './carriers.ts';
import { purchaseRoutes } from './purchase.ts';
import { carrierNumberRoutes } from './carrier-numbers.ts';

/** The native API under /v1: our own resource model, by opaque id, with problem+json errors. */
export const nativeApi: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  requireApiKey(app, services);
  await app.register(phoneNumberRoutes, { services });
  await app.register(apiKeyRoutes, { services });
  await app.register(carrierRoutes, { services });
  await app.register(purchaseRoutes, { services });
  await app.register(carrierNumberRoutes, { services });
};
