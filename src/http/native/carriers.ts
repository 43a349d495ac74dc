import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../services/index.ts';
import { ListLimit, Nullable } from '../schemas/common.ts';
import { CarrierChangesSchema, CarrierCreateSchema, CarrierSchema } from '../schemas/carrier.ts';
import { errorResponses } from '../dialect.ts';
import { nativeDialect } from './dialect.ts';

const CarrierId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** BYOC carriers (SIP trunks) under /v1/carriers; numbers point at them with `carrier_id`. */
export const carrierRoutes: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const carriers = services.carriers;
  const tags = ['carriers'];
  app.addSchema(CarrierSchema);

  app.post(
    '/carriers',
    {
      config: { idempotent: true },
      schema: {
        tags,
        operationId: 'createCarrier',
        summary: 'Create a carrier (BYOC SIP trunk)',
        description:
          'An inbound gateway must be an IPv4 address (inbound calls are matched to their carrier by source IP). `trunk_type` `reg` needs `registration`, `auth` needs `inbound_auth`, each with `username` and `password`. Passwords are write-only: stored encrypted, shown only as `has_password`.',
        body: CarrierCreateSchema,
        response: { 201: Type.Ref(CarrierSchema), ...errorResponses(nativeDialect, 400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const carrier = await carriers.create(request.actor, request.body);
      return reply.code(201).header('location', `/v1/carriers/${carrier.id}`).send(carrier);
    },
  );

  app.get(
    '/carriers',
    {
      schema: {
        tags,
        operationId: 'listCarriers',
        summary: 'List carriers (cursor pagination, oldest first)',
        querystring: Type.Object(
          { limit: ListLimit, cursor: Type.Optional(Type.String({ maxLength: 200, description: '`next_cursor` of the previous page' })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref(CarrierSchema)), has_more: Type.Boolean(), next_cursor: Nullable(Type.String()) }),
          ...errorResponses(nativeDialect, 400, 401, 403),
        },
      },
    },
    async (request) => carriers.list(request.actor, request.query),
  );

  app.get(
    '/carriers/:id',
    {
      schema: {
        tags,
        operationId: 'getCarrier',
        summary: 'Get a carrier',
        params: CarrierId,
        response: { 200: Type.Ref(CarrierSchema), ...errorResponses(nativeDialect, 401, 403, 404) },
      },
    },
    async (request) => carriers.get(request.actor, request.params.id),
  );

  app.patch(
    '/carriers/:id',
    {
      schema: {
        tags,
        operationId: 'updateCarrier',
        summary: 'Update a carrier (absent keeps, null clears)',
        description:
          '`gateways` replaces the whole list (a gateway keeps its id while its address and port stay). `registration` and `inbound_auth` merge: send only `password` to rotate it, `null` to remove the credentials.',
        params: CarrierId,
        body: CarrierChangesSchema,
        response: { 200: Type.Ref(CarrierSchema), ...errorResponses(nativeDialect, 400, 401, 403, 404) },
      },
    },
    async (request) => carriers.update(request.actor, request.params.id, request.body),
  );

  app.delete(
    '/carriers/:id',
    {
      schema: {
        tags,
        operationId: 'deleteCarrier',
        summary: 'Delete a carrier (409 while live numbers use it)',
        params: CarrierId,
        response: { 204: Type.Null(), ...errorResponses(nativeDialect, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await carriers.remove(request.actor, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
