import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Actor } from '../../services/context.ts';
import { ValidationError } from '../../services/errors.ts';
import type { Services } from '../../services/index.ts';
import { requireApiKey } from '../auth.ts';
import { errorResponses, useDialect, useFieldNames } from '../dialect.ts';
import { Nullable } from '../schemas/common.ts';
import { CREATE_FIELDS, createChanges, updateChanges } from './changes.ts';
import { AttachBody, CreateBody, ModelIdParam, OptionalWorkspaceQuery, SlugParams, UpdateBody, WorkspaceParam } from './schemas.ts';
import { OkSchema, SynthflowNumberSchema, synthflowDialect, toListItem, toSynthflowNumber } from './wire.ts';

const tags = ['synthflow'];

/** Synthflow's v2 phone-number API under /synthflow (client base URL http://host/synthflow/v2). */
export const synthflowApi: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { phoneNumbers, workspaces, agentBindings } = services;

  useDialect(app, synthflowDialect);
  requireApiKey(app, services);
  app.addSchema(SynthflowNumberSchema);

  /** The actor inside the named workspace (own, or an agency's child); no name means the key's own. */
  const actorFor = (actor: Actor, workspace: string | undefined) => (workspace === undefined ? actor : workspaces.actorIn(actor, workspace));

  app.get(
    '/v2/numbers',
    {
      schema: {
        tags,
        operationId: 'synthflowListNumbers',
        summary: 'List phone numbers (Synthflow)',
        description:
          'Oldest first. `total_records` counts every number matching the filter. Offset pages cost O(offset) in the store (the skipped rows are still read), ' +
          'so very deep pages are slower than the native API\'s cursor pages (`GET /v1/phone-numbers`).',
        querystring: Type.Object(
          {
            workspace: WorkspaceParam,
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
            offset: Type.Integer({ minimum: 0, default: 0 }),
            is_available: Type.Optional(Type.Boolean({ description: 'true: numbers without an inbound agent; false: numbers with one' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            response: Type.Object({
              pagination: Type.Object({ total_records: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() }),
              phone_numbers: Type.Array(Type.Object({ number: Type.String(), sid: Nullable(Type.String()), is_available: Type.Boolean() })),
            }),
          }),
          ...errorResponses(synthflowDialect, 400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { workspace, limit, offset, is_available: available } = request.query;
      const actor = await workspaces.actorIn(request.actor, workspace);
      const [total, page] = await Promise.all([
        phoneNumbers.count(actor, { available }),
        phoneNumbers.list(actor, { limit, offset, available }),
      ]);
      return {
        status: 'ok' as const,
        response: { pagination: { total_records: total, limit, offset }, phone_numbers: page.data.map(toListItem) },
      };
    },
  );

  app.get(
    '/v2/numbers/:phone_number_slug',
    {
      schema: {
        tags,
        operationId: 'synthflowGetNumber',
        summary: 'Get a phone number (Synthflow)',
        description:
          'The bare object, as Synthflow returns it. `address_requirement` is always `none`; `assistants` are the agents bound as inbound or outbound agent; ' +
          '`is_available` is true when the number has no inbound agent; `friendly_name` falls back to the display form of the number.',
        params: SlugParams,
        querystring: Type.Object({ workspace: WorkspaceParam }, { additionalProperties: false }),
        response: { 200: Type.Ref(SynthflowNumberSchema), ...errorResponses(synthflowDialect, 400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await workspaces.actorIn(request.actor, request.query.workspace);
      const record = await phoneNumbers.getByNumber(actor, request.params.phone_number_slug);
      const workspace = await workspaces.getWorkspace(record.workspace_id);
      return toSynthflowNumber(record, workspace.parent_id);
    },
  );

  app.post(
    '/v2/custom-numbers',
    {
      schema: {
        tags,
        operationId: 'synthflowCreateCustomNumber',
        summary: 'Import a custom (SIP trunk) number (Synthflow)',
        description:
          'Answers 200 with `{status, response: {key, phone_number}}`; `key` is the record id used by the native API. ' +
          '`termination_uri` is required, except for `zoom`, whose SIP domain and outbound proxy are filled as Synthflow fills them. A `phone_number` that is not a valid number but is an internal id (digits, or letters, digits, `-`, `_`, up to 64) is kept exactly as a pseudo number; its slug is the id. `trunk_username` and `sip_auth_username` are one stored value: ' +
          'send either, or both with the same value. `trunk_username` and `trunk_pwd` are required when `uac_enabled` is true. ' +
          'A number already registered anywhere in the installation is 409.',
        body: CreateBody,
        response: {
          200: Type.Object({ status: Type.Literal('ok'), response: Type.Object({ key: Type.String(), phone_number: Type.String() }) }),
          ...errorResponses(synthflowDialect, 400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const actor = await workspaces.actorIn(request.actor, request.body.workspace_id);
      const input = createChanges(request.body);
      useFieldNames(request, CREATE_FIELDS);
      const record = await phoneNumbers.importNumber(actor, input);
      return { status: 'ok' as const, response: { key: record.id, phone_number: record.phone_number } };
    },
  );

  app.patch(
    '/v2/numbers/:phone_number_slug',
    {
      schema: {
        tags,
        operationId: 'synthflowUpdateNumber',
        summary: 'Update a phone number (Synthflow)',
        description:
          'Partial: absent fields keep their value, `null` clears one. `termination_uri` is an alias of `sip_term_uri` (both with different values is 400). ' +
          'Answers `{status: "ok"}`; GET the number to see the result.',
        params: SlugParams,
        querystring: OptionalWorkspaceQuery,
        body: UpdateBody,
        response: { 200: OkSchema, ...errorResponses(synthflowDialect, 400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await actorFor(request.actor, request.query.workspace);
      const current = await phoneNumbers.getByNumber(actor, request.params.phone_number_slug);
      const { changes, names } = updateChanges(request.body, current);
      if (Object.keys(changes).length > 0) {
        useFieldNames(request, names);
        await phoneNumbers.update(actor, current.id, changes);
      }
      return { status: 'ok' as const };
    },
  );

  app.delete(
    '/v2/numbers/:phone_number_slug',
    {
      schema: {
        tags,
        operationId: 'synthflowDeleteNumber',
        summary: 'Delete a phone number (Synthflow)',
        description:
          'Detaches the number from every agent and removes it; a second delete is 404. Switchboard keeps the history (soft delete, visible in the audit trail) ' +
          'and the number can be imported again at once.',
        params: SlugParams,
        querystring: OptionalWorkspaceQuery,
        response: { 200: OkSchema, ...errorResponses(synthflowDialect, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await actorFor(request.actor, request.query.workspace);
      const current = await phoneNumbers.getByNumber(actor, request.params.phone_number_slug);
      await phoneNumbers.remove(actor, current.id);
      return { status: 'ok' as const };
    },
  );

  app.put(
    '/v2/assistants/:model_id/phone_numbers',
    {
      schema: {
        tags,
        operationId: 'synthflowAttachNumbers',
        summary: 'Attach phone numbers to an agent (Synthflow)',
        description:
          'Additive: attaching an already attached number changes nothing. The agent joins each number\'s `outbound_agents` (weights re-spread equally ' +
          'over the attached agents, replacing any custom split) and becomes its inbound agent when it has none. Every number is checked before any is ' +
          'changed: one unknown number is 404 and nothing changes.',
        params: Type.Object({ model_id: ModelIdParam }),
        querystring: OptionalWorkspaceQuery,
        body: AttachBody,
        response: { 200: OkSchema, ...errorResponses(synthflowDialect, 400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { phone_numbers: numbers, phone_number_slugs: slugs } = request.body;
      if (numbers && slugs) {
        throw ValidationError.field('phone_number_slugs', 'send either phone_numbers or phone_number_slugs, not both');
      }
      if (!numbers && !slugs) throw ValidationError.field('phone_numbers', 'is required (or phone_number_slugs)');
      const actor = await actorFor(request.actor, request.query.workspace);
      await agentBindings.attach(actor, request.params.model_id, (numbers ?? slugs)!, numbers ? 'phone_numbers' : 'phone_number_slugs');
      return { status: 'ok' as const };
    },
  );

  app.delete(
    '/v2/assistants/:model_id/phone_numbers/:phone_number_slug',
    {
      schema: {
        tags,
        operationId: 'synthflowDetachNumber',
        summary: 'Detach a phone number from an agent (Synthflow)',
        description:
          'Removes the agent from the number\'s inbound and outbound agents (the remaining outbound agents share the calls equally); routing stops using it at once. ' +
          '404 when the number is unknown or the agent is not attached to it.',
        params: Type.Object({ model_id: ModelIdParam, phone_number_slug: SlugParams.properties.phone_number_slug }),
        querystring: OptionalWorkspaceQuery,
        response: { 200: OkSchema, ...errorResponses(synthflowDialect, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await actorFor(request.actor, request.query.workspace);
      await agentBindings.detach(actor, request.params.model_id, request.params.phone_number_slug);
      return { status: 'ok' as const };
    },
  );
};
