import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../services/index.ts';
import { POOL_STRATEGIES } from '../../services/routing/router.ts';
import { CallingHoursSchema, Id, literals, Nullable, Timestamp } from '../schemas/common.ts';
import { errorResponses } from '../dialect.ts';
import { nativeDialect } from '../native/dialect.ts';

const PoolSchema = Type.Object(
  {
    id: Id,
    name: Type.String(),
    strategy: literals(POOL_STRATEGIES),
    calling_hours: Nullable(CallingHoursSchema),
    members: Type.Array(Id, { description: 'Phone number ids, in the order they joined' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'NumberPool' },
);

const PoolName = Type.String({ minLength: 1, maxLength: 128 });
const Members = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10_000, description: 'Phone number ids of this workspace' });
const Strategy = literals(POOL_STRATEGIES);

const PoolParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Outbound caller-ID pools under /v1/number-pools. */
export const poolRoutes: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const routing = services.routing;
  const tags = ['number-pools'];
  app.addSchema(PoolSchema);

  app.post(
    '/number-pools',
    {
      config: { idempotent: true },
      schema: {
        tags: tags,
        operationId: 'createNumberPool',
        summary: 'Create an outbound caller-ID pool',
        description: '`strategy`: `local_presence` (default; area code → region → country → any, LRU), `round_robin` (LRU), `random`. Optional pool-wide `calling_hours`.',
        body: Type.Object(
          { name: PoolName, strategy: Type.Optional(Strategy), members: Type.Optional(Members), calling_hours: Type.Optional(Nullable(CallingHoursSchema)) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref(PoolSchema), ...errorResponses(nativeDialect, 400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const pool = await routing.createPool(request.actor, request.body);
      return reply.code(201).header('location', `/v1/number-pools/${pool.id}`).send(pool);
    },
  );

  app.get(
    '/number-pools',
    {
      schema: {
        tags: tags,
        operationId: 'listNumberPools',
        summary: 'List the pools of your workspace',
        response: { 200: Type.Object({ data: Type.Array(Type.Ref(PoolSchema)), has_more: Type.Boolean(), next_cursor: Nullable(Type.String()) }), ...errorResponses(nativeDialect, 401, 403) },
      },
    },
    async (request) => ({ data: await routing.listPools(request.actor), has_more: false, next_cursor: null }),
  );

  app.get(
    '/number-pools/:id',
    {
      schema: { tags: tags, operationId: 'getNumberPool', summary: 'Get a pool', params: PoolParams, response: { 200: Type.Ref(PoolSchema), ...errorResponses(nativeDialect, 401, 403, 404) } },
    },
    async (request) => routing.getPool(request.actor, request.params.id),
  );

  app.patch(
    '/number-pools/:id',
    {
      schema: {
        tags: tags,
        operationId: 'updateNumberPool',
        summary: 'Update a pool (absent keeps; `members` replaces the whole list)',
        params: PoolParams,
        body: Type.Object(
          { name: Type.Optional(PoolName), strategy: Type.Optional(Strategy), members: Type.Optional(Members), calling_hours: Type.Optional(Nullable(CallingHoursSchema)) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref(PoolSchema), ...errorResponses(nativeDialect, 400, 401, 403, 404, 409) },
      },
    },
    async (request) => routing.updatePool(request.actor, request.params.id, request.body),
  );

  app.post(
    '/number-pools/:id/members',
    {
      config: { idempotent: true },
      schema: {
        tags: tags,
        operationId: 'addNumberPoolMembers',
        summary: 'Add numbers to a pool (members already in it are kept)',
        params: PoolParams,
        body: Type.Object({ members: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 10_000 }) }, { additionalProperties: false }),
        response: { 200: Type.Ref(PoolSchema), ...errorResponses(nativeDialect, 400, 401, 403, 404) },
      },
    },
    async (request) => routing.addPoolMembers(request.actor, request.params.id, request.body.members),
  );

  app.delete(
    '/number-pools/:id/members/:phone_number_id',
    {
      schema: {
        tags: tags,
        operationId: 'removeNumberPoolMember',
        summary: 'Remove one number from a pool',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), phone_number_id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: Type.Ref(PoolSchema), ...errorResponses(nativeDialect, 401, 403, 404) },
      },
    },
    async (request) => routing.removePoolMember(request.actor, request.params.id, request.params.phone_number_id),
  );

  app.delete(
    '/number-pools/:id',
    {
      schema: { tags: tags, operationId: 'deleteNumberPool', summary: 'Delete a pool (its numbers are untouched)', params: PoolParams, response: { 204: Type.Null(), ...errorResponses(nativeDialect, 401, 403, 404) } },
    },
    async (request, reply) => {
      await routing.deletePool(request.actor, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
