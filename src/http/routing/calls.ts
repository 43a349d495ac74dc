import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../services/index.ts';
import { Id, NumberReference, Nullable, Timestamp } from '../schemas/common.ts';
import { errorResponses } from '../dialect.ts';
import { nativeDialect } from '../native/dialect.ts';

const CallRecordSchema = Type.Object({
  call_id: Type.String(),
  phone_number_id: Id,
  direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
  started_at: Timestamp,
  lease_expires_at: Timestamp,
  ended_at: Nullable(Timestamp),
});

const CallParams = Type.Object({ call_id: Type.String({ minLength: 1, maxLength: 128 }) });

/** Call reporting: a call's start takes its concurrency slot (a lease), its end frees it. */
export const callRoutes: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const routing = services.routing;

  app.post(
    '/calls/:call_id/start',
    {
      schema: {
        tags: ['routing'],
        operationId: 'startCall',
        summary: 'Report a call start (takes a concurrency slot; repeat to renew the lease)',
        description:
          'Idempotent per call id: repeating it renews the lease (a heartbeat); a call whose lease is neither renewed nor ended stops counting when it expires (`ROUTING_CALL_LEASE_SECONDS`, or `lease_seconds`). ' +
          'A new call over the number\'s or the workspace\'s `max_concurrent_calls` is 409 `OVER_CAPACITY` (the slot is granted in the store, so the cap holds across instances); the same call id on another number is 409 `CONFLICT`. Scope `routing`.',
        params: CallParams,
        body: Type.Object(
          {
            phone_number_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            phone_number: Type.Optional(NumberReference),
            direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')], { default: 'inbound' })),
            lease_seconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 86_400 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: CallRecordSchema, ...errorResponses(nativeDialect, 400, 401, 403, 404, 409) },
      },
    },
    async (request) => routing.startCall(request.actor, request.params.call_id, request.body),
  );

  app.post(
    '/calls/:call_id/end',
    {
      schema: {
        tags: ['routing'],
        operationId: 'endCall',
        summary: 'Report a call end (frees its slot; idempotent)',
        params: CallParams,
        response: { 200: CallRecordSchema, ...errorResponses(nativeDialect, 401, 403, 404) },
      },
    },
    async (request) => routing.endCall(request.actor, request.params.call_id),
  );
};
