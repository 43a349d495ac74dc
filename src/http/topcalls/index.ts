import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Actor } from '../../services/context.ts';
import { ServiceError } from '../../services/errors.ts';
import type { Services } from '../../services/index.ts';
import type { PhoneNumber } from '../../services/phone-numbers/model.ts';
import { requireApiKey } from '../auth.ts';
import { errorResponses, useDialect } from '../dialect.ts';
import { ListLimit, Nullable } from '../schemas/common.ts';
import {
  CARRIER_FIELDS,
  fromTopcallsCarrier,
  NUMBER_FIELDS,
  TOPCALLS_STATUSES,
  TopcallsCarrierCreateSchema,
  TopcallsCarrierSchema,
  TopcallsNumberCreateSchema,
  TopcallsNumberSchema,
  topcallsDialect,
  toTopcallsCarrier,
  toTopcallsNumber,
} from './wire.ts';

const tags = ['topcalls'];
const CursorQuery = {
  limit: ListLimit,
  cursor: Type.Optional(Type.String({ maxLength: 200, description: '`next_cursor` of the previous page' })),
};
const ListOf = <T extends Parameters<typeof Type.Ref>[0]>(item: T) =>
  Type.Object({ data: Type.Array(Type.Ref(item)), next_cursor: Nullable(Type.String({ description: 'null on the last page' })) });

/** TopCalls' v1 phone-number API under /topcalls (client base URL http://host/topcalls). */
export const topcallsApi: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  requireApiKey(app, services);
  useDialect(app, topcallsDialect);
  app.addSchema(TopcallsNumberSchema);
  app.addSchema(TopcallsCarrierSchema);

  /** The TopCalls view of core records: carrier names and creators in one query each. */
  async function present(actor: Actor, records: PhoneNumber[], options: { deleted?: boolean } = {}) {
    const [names, creators, defaultCarrierId] = await Promise.all([
      services.carriers.namesOf(actor, records.map((record) => record.carrier_id)),
      services.numberCreators.of(actor, records.map((record) => record.id)),
      services.workspaces.defaultCarrier(actor.workspaceId),
    ]);
    return records.map((record) =>
      toTopcallsNumber(record, {
        defaultCarrierId,
        carrierName: record.carrier_id ? (names.get(record.carrier_id) ?? null) : null,
        createdBy: creators.get(record.id) ?? null,
        ...options,
      }),
    );
  }

  const IdParam = Type.Object({ id: Type.String({ format: 'uuid', description: 'The phone number\'s `id`' }) });

  app.post(
    '/v1/phone-numbers',
    {
      config: { idempotent: true, fieldNames: NUMBER_FIELDS },
      schema: {
        tags,
        operationId: 'topcallsAddPhoneNumber',
        summary: 'TopCalls: add a phone number',
        description:
          'Registers a number you own, optionally on one of your carriers (`voip_carrier_sid`; unknown → 404). Switchboard provisions synchronously: the number is `active` at once (TopCalls may answer `pending`). Without `voip_carrier_sid` the number goes on the workspace\'s default carrier (`PATCH /v1/workspace` `default_carrier_id`) and reads `source: "topcalls"`; with no default set it has no carrier and reads `source: "manual"`. A number already registered anywhere → 409.',
        body: TopcallsNumberCreateSchema,
        response: { 201: Type.Ref(TopcallsNumberSchema), ...errorResponses(topcallsDialect, 400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { number, voip_carrier_sid: givenCarrierId, label } = request.body;
      // TopCalls puts a number added without a carrier on the account's default carrier.
      const carrierId = givenCarrierId ?? (await services.workspaces.defaultCarrier(request.actor.workspaceId));
      if (givenCarrierId) {
        const names = await services.carriers.namesOf(request.actor, [givenCarrierId]);
        if (!names.has(givenCarrierId)) {
          throw new ServiceError('NOT_FOUND', `carrier ${givenCarrierId} not found`, [{ field: 'voip_carrier_sid', message: 'no carrier with this id in your account' }]);
        }
      }
      const record = await services.phoneNumbers.importNumber(request.actor, {
        phone_number: number,
        ...(label !== undefined ? { nickname: label } : {}),
        carrier_id: carrierId ?? null,
        source: carrierId ? 'custom' : 'manual',
      });
      const [shown] = await present(request.actor, [record]);
      return reply.code(201).header('location', `/topcalls/v1/phone-numbers/${record.id}`).send(shown!);
    },
  );

  app.get(
    '/v1/phone-numbers',
    {
      schema: {
        tags,
        operationId: 'topcallsListPhoneNumbers',
        summary: 'TopCalls: list phone numbers',
        description: 'Oldest first. Cursor pagination as TopCalls\' other lists: pass `next_cursor` back as `cursor`; it is null on the last page. Deleted numbers are not listed.',
        querystring: Type.Object(
          { ...CursorQuery, status: Type.Optional(Type.Union(TOPCALLS_STATUSES.filter((s) => s !== 'deleted').map((s) => Type.Literal(s)))) },
          { additionalProperties: false },
        ),
        response: { 200: ListOf(TopcallsNumberSchema), ...errorResponses(topcallsDialect, 400, 401, 403) },
      },
    },
    async (request) => {
      const page = await services.phoneNumbers.list(request.actor, request.query);
      return { data: await present(request.actor, page.data), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/v1/phone-numbers/carriers',
    {
      schema: {
        tags,
        operationId: 'topcallsListCarriers',
        summary: 'TopCalls: list your carriers',
        description: 'Your BYOC carriers (the same records as /v1/carriers); there is no platform default carrier. Passwords are never returned, only `has_password`.',
        querystring: Type.Object(CursorQuery, { additionalProperties: false }),
        response: { 200: ListOf(TopcallsCarrierSchema), ...errorResponses(topcallsDialect, 400, 401, 403) },
      },
    },
    async (request) => {
      const page = await services.carriers.list(request.actor, request.query);
      return { data: page.data.map(toTopcallsCarrier), next_cursor: page.next_cursor };
    },
  );

  app.post(
    '/v1/phone-numbers/carriers',
    {
      config: { idempotent: true, fieldNames: CARRIER_FIELDS },
      schema: {
        tags,
        operationId: 'topcallsAddCarrier',
        summary: 'TopCalls: add a custom (BYOC) carrier',
        description:
          'An inbound gateway (`inbound`, default true) must be an IPv4 address: calls are matched to their carrier by source IP. `trunk_type` `reg` needs `registration` `{username, password, realm?}`; `auth` needs `inbound_auth` `{username, password}`. Passwords are write-only.',
        body: TopcallsCarrierCreateSchema,
        response: { 201: Type.Ref(TopcallsCarrierSchema), ...errorResponses(topcallsDialect, 400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const carrier = await services.carriers.create(request.actor, fromTopcallsCarrier(request.body));
      return reply.code(201).header('location', `/v1/carriers/${carrier.id}`).send(toTopcallsCarrier(carrier));
    },
  );

  app.get(
    '/v1/phone-numbers/:id',
    {
      schema: {
        tags,
        operationId: 'topcallsGetPhoneNumber',
        summary: 'TopCalls: get a phone number',
        description: 'A deleted number, or another account\'s, is 404.',
        params: IdParam,
        response: { 200: Type.Ref(TopcallsNumberSchema), ...errorResponses(topcallsDialect, 400, 401, 403, 404) },
      },
    },
    async (request) => (await present(request.actor, [await services.phoneNumbers.get(request.actor, request.params.id)]))[0]!,
  );

  app.delete(
    '/v1/phone-numbers/:id',
    {
      schema: {
        tags,
        operationId: 'topcallsDeletePhoneNumber',
        summary: 'TopCalls: delete a phone number (soft delete)',
        description:
          'Answers 200 with the number as it was, `status: "deleted"`. Afterwards the number is 404 in every dialect and free to be added again; its history stays in the native audit trail.',
        params: IdParam,
        response: { 200: Type.Ref(TopcallsNumberSchema), ...errorResponses(topcallsDialect, 400, 401, 403, 404) },
      },
    },
    async (request) => {
      const [shown] = await present(request.actor, [await services.phoneNumbers.get(request.actor, request.params.id)], { deleted: true });
      await services.phoneNumbers.remove(request.actor, request.params.id);
      return { ...shown!, updated_at: services.installation.now() };
    },
  );
};
