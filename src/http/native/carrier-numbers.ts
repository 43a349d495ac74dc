import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../services/index.ts';
import { RELEASE_STATES } from '../../services/inventory/releases.ts';
import { Id, ListLimit, Nullable, Timestamp } from '../schemas/common.ts';
import { errorResponses } from '../dialect.ts';
import { nativeDialect } from './dialect.ts';

const SyncBody = Type.Object(
  {
    provider: Type.Union([Type.Literal('twilio'), Type.Literal('telnyx')], { description: 'The carrier account to read (must be configured)' }),
    dry_run: Type.Optional(Type.Boolean({ default: false, description: 'Count only; import nothing' })),
  },
  { additionalProperties: false },
);

const SyncSummarySchema = Type.Object({
  provider: Type.String(),
  dry_run: Type.Boolean(),
  added: Type.Integer({ description: 'Imported now (on a dry run: would be)' }),
  already_here: Type.Integer({ description: 'Registered in this workspace already' }),
  owned_elsewhere: Type.Integer({ description: 'Registered in another workspace; left alone' }),
  failed: Type.Integer(),
  errors: Type.Array(Type.Object({ phone_number: Type.String(), message: Type.String() })),
});

const CarrierReleaseSchema = Type.Object(
  {
    id: Id,
    phone_number_id: Nullable(Id),
    phone_number: Type.String(),
    provider: Type.String(),
    provider_sid: Type.String(),
    state: Type.Union(RELEASE_STATES.map((state) => Type.Literal(state)), {
      description: '`held`: bought and live; `pending`: being released (retried with backoff); `released`; `failed`: gave up, retry with POST …/retry',
    }),
    reason: Nullable(Type.Union([Type.Literal('deleted'), Type.Literal('registration_failed')])),
    attempts: Type.Integer(),
    next_attempt_at: Nullable(Timestamp),
    last_error: Nullable(Type.String({ description: 'What the carrier answered to the last failed attempt (status and code)' })),
    bought_at: Timestamp,
    released_at: Nullable(Timestamp),
  },
  { $id: 'CarrierRelease' },
);

/** Carrier accounts: sync what they own, and follow the release of numbers bought there. */
export const carrierNumberRoutes: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(CarrierReleaseSchema);

  app.post(
    '/phone-numbers/sync',
    {
      schema: {
        tags: ['phone-numbers'],
        operationId: 'syncPhoneNumbers',
        summary: 'Import the numbers a carrier account owns (admin)',
        description:
          'Pages through the account\'s numbers (Twilio IncomingPhoneNumbers, Telnyx phone_numbers) and imports the ones not registered yet, with the carrier as `source`, its id as `provider_sid` and its capabilities. Repeating it changes nothing. A number registered in another workspace is counted as `owned_elsewhere` and left alone. Synced numbers are never released at the carrier when deleted.',
        body: SyncBody,
        response: { 200: SyncSummarySchema, ...errorResponses(nativeDialect, 400, 401, 403, 502, 504) },
      },
    },
    async (request) => services.carrierSync.sync(request.actor, request.body.provider, { dryRun: request.body.dry_run ?? false }),
  );

  app.get(
    '/carrier-releases',
    {
      schema: {
        tags: ['phone-numbers'],
        operationId: 'listCarrierReleases',
        summary: 'Numbers bought at a carrier, and where their release stands',
        description:
          'Deleting a number bought at Twilio or Telnyx releases it there, once; a carrier that is down is retried with backoff, and a release that keeps failing ends `failed` here (with the carrier\'s last answer) instead of being lost. Filter with `state`.',
        querystring: Type.Object({
          state: Type.Optional(Type.Union(RELEASE_STATES.map((state) => Type.Literal(state)))),
          limit: ListLimit,
          cursor: Type.Optional(Type.String({ maxLength: 200, description: '`next_cursor` of the previous page' })),
        }),
        response: {
          200: Type.Object({ data: Type.Array(Type.Ref(CarrierReleaseSchema)), has_more: Type.Boolean(), next_cursor: Nullable(Type.String()) }),
          ...errorResponses(nativeDialect, 400, 401, 403),
        },
      },
    },
    async (request) => services.releases.list(request.actor, request.query),
  );

  app.post(
    '/carrier-releases/:id/retry',
    {
      schema: {
        tags: ['phone-numbers'],
        operationId: 'retryCarrierRelease',
        summary: 'Try a failed release again now',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: Type.Ref(CarrierReleaseSchema), ...errorResponses(nativeDialect, 400, 401, 403, 404) },
      },
    },
    async (request) => services.releases.retry(request.actor, request.params.id),
  );
};
