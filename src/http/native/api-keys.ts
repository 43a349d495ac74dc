import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { SCOPES } from '../../services/context.ts';
import type { Services } from '../../services/index.ts';
import { Id, Nullable, Timestamp } from '../schemas/common.ts';
import { errorResponses } from '../dialect.ts';
import { nativeDialect } from './dialect.ts';

const Scope = Type.Union(SCOPES.map((scope) => Type.Literal(scope)));
const ApiKey = Type.Object({
  id: Id,
  workspace_id: Id,
  name: Nullable(Type.String()),
  prefix: Type.String({ description: 'First characters of the key, to tell keys apart' }),
  scopes: Type.Array(Scope),
  created_at: Timestamp,
  revoked_at: Nullable(Timestamp),
});
const CreatedApiKey = Type.Composite([ApiKey, Type.Object({ key: Type.String({ description: 'The secret; shown only in this response' }) })]);

export const apiKeyRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const tags = ['api-keys'];
  app.post(
    '/api-keys',
    {
      schema: {
        tags,
        operationId: 'createApiKey',
        summary: 'Create an API key in the caller\'s workspace (admin scope)',
        body: Type.Object(
          { name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), scopes: Type.Array(Scope, { minItems: 1, uniqueItems: true }) },
          { additionalProperties: false },
        ),
        response: { 201: CreatedApiKey, ...errorResponses(nativeDialect, 400, 401, 403) },
      },
    },
    async (request, reply) => {
      const body = request.body as { name?: string; scopes: Array<(typeof SCOPES)[number]> };
      const created = await services.workspaces.createKeyFor(request.actor, body.scopes, body.name ?? null);
      return reply.code(201).header('location', `/v1/api-keys/${created.id}`).header('cache-control', 'no-store').send(created);
    },
  );
  app.get(
    '/api-keys',
    { schema: { tags, operationId: 'listApiKeys', summary: 'List the workspace\'s API keys (never the secrets)', response: { 200: Type.Object({ data: Type.Array(ApiKey) }), ...errorResponses(nativeDialect, 401, 403) } } },
    async (request) => ({ data: await services.workspaces.listKeys(request.actor) }),
  );
  app.get(
    '/api-keys/current',
    {
      schema: {
        tags,
        operationId: 'getCurrentApiKey',
        summary: 'The API key making this request (any scope): its name and scopes',
        description: 'Lets a client (the web console) offer only what the key may do; the server still enforces every scope.',
        response: { 200: ApiKey, ...errorResponses(nativeDialect, 401) },
      },
    },
    async (request) => services.workspaces.currentKey(request.actor),
  );
  app.delete(
    '/api-keys/:id',
    { schema: { tags, operationId: 'revokeApiKey', summary: 'Revoke an API key', params: Type.Object({ id: Type.String() }), response: { 204: Type.Null(), ...errorResponses(nativeDialect, 401, 403, 404) } } },
    async (request, reply) => {
      await services.workspaces.revokeKey((request.params as { id: string }).id, request.actor);
      return reply.code(204).send();
    },
  );
};
