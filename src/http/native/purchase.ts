import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../services/index.ts';
import { CountryCode, E164Input } from '../schemas/common.ts';
import { PhoneNumberChangesSchema, PhoneNumberSchema } from '../schemas/phone-number.ts';
import { etagOf } from './phone-numbers.ts';
import { errorResponses } from '../dialect.ts';
import { nativeDialect } from './dialect.ts';

const PurchaseSchema = Type.Composite(
  [
    Type.Object({
      phone_number: Type.Optional(E164Input),
      country: Type.Optional(CountryCode),
      area_code: Type.Optional(Type.String({ pattern: '^\\d{1,5}$', description: 'e.g. `415`' })),
      toll_free: Type.Optional(Type.Boolean({ description: 'true: toll-free only; false: no toll-free; absent: either' })),
      provider: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'A configured carrier (`twilio`, `telnyx`), or the carrier a stock entry came from' })),
    }),
    // What the bought number is set up with; origin fields come from the inventory entry.
    Type.Omit(PhoneNumberChangesSchema, ['status', 'source', 'provider_sid', 'error_message']),
  ],
  { additionalProperties: false },
);

/** `POST /v1/phone-numbers/purchase`: buy from the operator's inventory (what Retell's create-phone-number does). */
export const purchaseRoutes: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  // Schemas are scoped to the plugin that adds them; the phone-number routes are a sibling.
  app.addSchema(PhoneNumberSchema);
  app.post(
    '/phone-numbers/purchase',
    {
      // A retried purchase must not buy a second number.
      config: { idempotent: true },
      schema: {
        tags: ['phone-numbers'],
        operationId: 'purchasePhoneNumber',
        summary: 'Buy a number at a carrier (Twilio, Telnyx) or from the installation\'s inventory',
        description:
          'Buys a number matching every given criterion from `provider` (a configured carrier, else inventory stock recorded with it), else `NUMBER_PROVIDER_DEFAULT`, else the first with a match (Twilio, Telnyx, then the inventory), and registers it with the given settings. Two concurrent purchases never get the same number. No match → 422 `no-number-available`; carrier credentials rejected → 502 `PROVIDER_AUTH_FAILED`; carrier timeout → 504 `PROVIDER_TIMEOUT`. Deleting the number releases it at its carrier (see GET /v1/carrier-releases) or returns it to the stock.',
        body: PurchaseSchema,
        response: { 201: Type.Ref(PhoneNumberSchema), ...errorResponses(nativeDialect, 400, 401, 403, 422, 502, 504) },
      },
    },
    async (request, reply) => {
      const { phone_number, country, area_code, toll_free, provider, ...changes } = request.body;
      const record = await services.inventory.buy(request.actor, { phone_number, country, area_code, toll_free, provider }, changes);
      return reply.code(201).header('location', `/v1/phone-numbers/${record.id}`).header('etag', etagOf(record)).send(record);
    },
  );
};
