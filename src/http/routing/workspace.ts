import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../services/index.ts';
import { Id, Nullable } from '../schemas/common.ts';
import { errorResponses } from '../dialect.ts';
import { nativeDialect } from '../native/dialect.ts';

const WorkspaceRoutingSchema = Type.Object({
  workspace_id: Id,
  outage: Type.Boolean({ description: 'While true, inbound calls are forwarded to each number\'s fallback_number' }),
  max_concurrent_calls: Nullable(Type.Integer({ description: 'Workspace-wide concurrency cap; null = unlimited' })),
  signing_secret_set: Type.Boolean({ description: 'Whether a webhook signing secret exists (the secret is only shown by rotate)' }),
  active_calls: Type.Integer({ description: 'Calls holding a live lease' }),
  default_carrier_id: Nullable(
    Type.String({
      description:
        'The carrier a number added without one goes on: TopCalls `POST /topcalls/v1/phone-numbers` without `voip_carrier_sid` puts the number on it, and it reads `source: "topcalls"`. Null: none (such numbers have no carrier and read `source: "manual"`); a default carrier deleted since counts as none.',
    }),
  ),
});

/** The workspace's routing settings: outage mode, the concurrency cap, the default carrier, the webhook signing secret. */
export const workspaceRoutes: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const routing = services.routing;
  /** Every workspace-settings answer carries the default carrier beside the routing settings. */
  const withDefaultCarrier = async <T extends { workspace_id: string }>(settings: T) => ({
    ...settings,
    default_carrier_id: await services.workspaces.defaultCarrier(settings.workspace_id),
  });

  app.get(
    '/workspace',
    {
      schema: {
        tags: ['workspace'],
        operationId: 'getWorkspaceRouting',
        summary: 'Routing settings of your workspace',
        description: 'The webhook signing secret itself is never shown here; `signing_secret_set` says whether one exists.',
        response: { 200: WorkspaceRoutingSchema, ...errorResponses(nativeDialect, 401, 403) },
      },
    },
    async (request) => withDefaultCarrier(routing.workspaceRouting(request.actor)),
  );

  app.patch(
    '/workspace',
    {
      schema: {
        tags: ['workspace'],
        operationId: 'updateWorkspaceRouting',
        summary: 'Set the workspace-wide concurrency cap and the default carrier (scope admin; absent keeps, null clears)',
        description: '`default_carrier_id` must be a live carrier of the workspace (400 naming it otherwise).',
        body: Type.Object(
          {
            max_concurrent_calls: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000 }))),
            default_carrier_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
          },
          { additionalProperties: false },
        ),
        response: { 200: WorkspaceRoutingSchema, ...errorResponses(nativeDialect, 400, 401, 403) },
      },
    },
    async (request) => {
      const { default_carrier_id: defaultCarrierId, ...limits } = request.body;
      // The carrier is checked (and set) first: a bad one changes nothing.
      if (defaultCarrierId !== undefined) await services.workspaces.update(request.actor, { default_carrier_id: defaultCarrierId });
      return withDefaultCarrier(await routing.setWorkspaceLimits(request.actor, limits));
    },
  );

  app.put(
    '/workspace/outage',
    {
      schema: {
        tags: ['workspace'],
        operationId: 'setOutage',
        summary: 'Turn outage mode on or off (scope admin)',
        description: 'While on, every inbound call is forwarded to its number\'s `fallback_number` (rejected `outage_without_fallback` when it has none).',
        body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: WorkspaceRoutingSchema, ...errorResponses(nativeDialect, 400, 401, 403) },
      },
    },
    async (request) => withDefaultCarrier(await routing.setOutage(request.actor, request.body.enabled)),
  );

  app.post(
    '/workspace/signing-secret/rotate',
    {
      schema: {
        tags: ['workspace'],
        operationId: 'rotateSigningSecret',
        summary: 'Create a new webhook signing secret, returned only in this response (scope admin)',
        description: 'Webhooks are signed `x-retell-signature: v=<ms>,d=<hex HMAC-SHA256(secret, body + ms)>`, verifiable with `Retell.verify(body, secret, signature)`.',
        response: { 200: Type.Object({ signing_secret: Type.String() }), ...errorResponses(nativeDialect, 401, 403) },
      },
    },
    async (request) => routing.rotateSigningSecret(request.actor),
  );
};
