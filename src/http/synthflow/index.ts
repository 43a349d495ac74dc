import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { Actor } from '../../services/context.ts';
import { ForbiddenError, ValidationError, type FieldIssue } from '../../services/errors.ts';
import type { Services } from '../../services/index.ts';
import type { PhoneNumber, PhoneNumberChanges, SipInput } from '../../services/phone-numbers/model.ts';
import { requireApiKey } from '../auth.ts';
import { errorResponses, useDialect, useFieldNames, type FieldNames } from '../dialect.ts';
import { Nullable } from '../schemas/common.ts';
import {
  GENERATED_PROVIDERS,
  OkSchema,
  PROVIDER_TO_SOURCE,
  ProviderNameSchema,
  SynthflowNumberSchema,
  synthflowDialect,
  toListItem,
  toSynthflowNumber,
  type ProviderName,
} from './wire.ts';

const tags = ['synthflow'];

const WorkspaceParam = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'The workspace id (or name): the API key\'s own workspace or, for an agency key, one of its child workspaces. Any other value is 404.',
});

const OptionalWorkspaceQuery = Type.Object(
  { workspace: Type.Optional(WorkspaceParam) },
  { additionalProperties: false, description: 'Switchboard addition: lets an agency key act in a child workspace; defaults to the key\'s workspace' },
);

const SlugParams = Type.Object({
  phone_number_slug: Type.String({ minLength: 1, maxLength: 32, description: 'The number without `+` (`14157774444`); `+14157774444` and `%2B14157774444` work too' }),
});

const ModelIdParam = Type.String({ minLength: 1, maxLength: 128, description: 'The agent (assistant) id; Switchboard stores agent ids as given' });

const SipText = Type.String({ minLength: 1, maxLength: 255 });
const RegisterExpires = Type.Integer({ minimum: 60, maximum: 3600, description: 'SIP REGISTER expiry in whole seconds (default 300)' });

const CreateBody = Type.Object(
  {
    workspace_id: WorkspaceParam,
    phone_number: Type.String({ minLength: 1, maxLength: 32, description: 'E.164; the `+` is optional' }),
    friendly_name: Type.Optional(Type.String({ maxLength: 255 })),
    provider_name: Type.Optional(ProviderNameSchema),
    termination_uri: SipText,
    trunk_username: Type.Optional(SipText),
    trunk_pwd: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Write-only; stored encrypted, never returned' })),
    sip_outbound_proxy: Type.Optional(SipText),
    sip_auth_username: Type.Optional(SipText),
    uac_enabled: Type.Optional(Type.Boolean({ default: false })),
    uac_register_expires: Type.Optional(RegisterExpires),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    friendly_name: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
    sip_auth_username: Type.Optional(Nullable(SipText)),
    sip_outbound_proxy: Type.Optional(Nullable(SipText)),
    sip_term_uri: Type.Optional(Nullable(SipText)),
    termination_uri: Type.Optional(Nullable(SipText)),
    provider_name: Type.Optional(ProviderNameSchema),
    trunk_username: Type.Optional(Nullable(SipText)),
    trunk_pwd: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
    uac_enabled: Type.Optional(Type.Boolean()),
    uac_register_expires: Type.Optional(Nullable(RegisterExpires)),
  },
  { additionalProperties: false },
);

const AttachBody = Type.Object(
  {
    phone_numbers: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 500, description: 'E.164 numbers' })),
    phone_number_slugs: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 500, description: 'Slugs (numbers without `+`)' })),
  },
  { additionalProperties: false, description: 'Exactly one of `phone_numbers` and `phone_number_slugs`' },
);

/** Core field → the name a create request uses for it. */
const CREATE_FIELDS: FieldNames = {
  nickname: 'friendly_name',
  source: 'provider_name',
  'sip.termination_uri': 'termination_uri',
  'sip.outbound_proxy': 'sip_outbound_proxy',
  'sip.auth_username': 'trunk_username',
  'sip.auth_password': 'trunk_pwd',
  'sip.uac_enabled': 'uac_enabled',
  'sip.uac_register_expires': 'uac_register_expires',
};

type CreateInput = Static<typeof CreateBody>;
type UpdateInput = Static<typeof UpdateBody>;

/** Two names for one stored value must agree (Switchboard keeps one of each). */
function oneValue<T>(issues: FieldIssue[], names: [string, string], values: [T | undefined, T | undefined]): T | undefined {
  const [first, second] = values;
  if (first !== undefined && second !== undefined && first !== second) {
    issues.push({ field: names[1], message: `must equal ${names[0]} when both are sent: Switchboard keeps one value for both` });
  }
  return first !== undefined ? first : second;
}

function checkProvider(provider: ProviderName | undefined): void {
  if (provider && (GENERATED_PROVIDERS as readonly string[]).includes(provider)) {
    throw new ForbiddenError(
      `provider_name: importing ${provider} numbers is not enabled; Switchboard cannot generate their SIP settings. Use "custom" with your termination_uri`,
    );
  }
}

function sourceOf(provider: ProviderName | undefined) {
  return provider ? PROVIDER_TO_SOURCE[provider as keyof typeof PROVIDER_TO_SOURCE] : undefined;
}

/** Synthflow's create body as core changes, with the rules that span several of its fields. */
function createChanges(body: CreateInput): PhoneNumberChanges & { phone_number: string } {
  checkProvider(body.provider_name);
  const issues: FieldIssue[] = [];
  const username = oneValue(issues, ['trunk_username', 'sip_auth_username'], [body.trunk_username, body.sip_auth_username]);
  if (body.uac_enabled) {
    if (username === undefined) issues.push({ field: 'trunk_username', message: 'is required when uac_enabled is true' });
    if (body.trunk_pwd === undefined) issues.push({ field: 'trunk_pwd', message: 'is required when uac_enabled is true' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  const sip: SipInput = { termination_uri: body.termination_uri };
  if (body.sip_outbound_proxy !== undefined) sip.outbound_proxy = body.sip_outbound_proxy;
  if (username !== undefined) sip.auth_username = username;
  if (body.trunk_pwd !== undefined) sip.auth_password = body.trunk_pwd;
  if (body.uac_enabled !== undefined) sip.uac_enabled = body.uac_enabled;
  if (body.uac_register_expires !== undefined) sip.uac_register_expires = body.uac_register_expires;
  return {
    phone_number: body.phone_number,
    source: sourceOf(body.provider_name) ?? 'custom',
    ...(body.friendly_name !== undefined && body.friendly_name !== '' ? { nickname: body.friendly_name } : {}),
    sip,
  };
}

/** Synthflow's partial update as core changes, checked against the current record where its rules need it. */
function updateChanges(body: UpdateInput, current: PhoneNumber): { changes: PhoneNumberChanges; names: FieldNames } {
  checkProvider(body.provider_name);
  const issues: FieldIssue[] = [];
  const termination = oneValue(issues, ['sip_term_uri', 'termination_uri'], [body.sip_term_uri, body.termination_uri]);
  const username = oneValue(issues, ['trunk_username', 'sip_auth_username'], [body.trunk_username, body.sip_auth_username]);
  const terminationAfter = termination === undefined ? current.sip.termination_uri : termination;
  if (terminationAfter === null && (body.provider_name !== undefined || termination === null)) {
    issues.push({
      field: body.sip_term_uri !== undefined || body.termination_uri === undefined ? 'sip_term_uri' : 'termination_uri',
      message: `is required for provider ${body.provider_name ?? providerLabel(current)}: every provider Switchboard accepts needs a SIP termination URI`,
    });
  }
  // Checked when REGISTER is being turned on, or stays on while its credentials are being cleared.
  const uacAfter = body.uac_enabled ?? current.sip.uac_enabled;
  if (body.uac_enabled === true || (uacAfter && (username === null || body.trunk_pwd === null))) {
    const usernameAfter = username === undefined ? current.sip.auth_username : username;
    const hasPassword = body.trunk_pwd === undefined ? current.sip.has_password : body.trunk_pwd !== null;
    if (usernameAfter === null) issues.push({ field: 'trunk_username', message: 'is required when uac_enabled is true' });
    if (!hasPassword) issues.push({ field: 'trunk_pwd', message: 'is required when uac_enabled is true' });
  }
  if (issues.length > 0) throw new ValidationError(issues);

  const sip: SipInput = {};
  if (termination !== undefined) sip.termination_uri = termination;
  if (body.sip_outbound_proxy !== undefined) sip.outbound_proxy = body.sip_outbound_proxy;
  if (username !== undefined) sip.auth_username = username;
  if (body.trunk_pwd !== undefined) sip.auth_password = body.trunk_pwd;
  if (body.uac_enabled !== undefined) sip.uac_enabled = body.uac_enabled;
  if (body.uac_register_expires !== undefined) sip.uac_register_expires = body.uac_register_expires;
  const changes: PhoneNumberChanges = {};
  if (body.friendly_name !== undefined) changes.nickname = body.friendly_name === '' ? null : body.friendly_name;
  const source = sourceOf(body.provider_name);
  if (source) changes.source = source;
  if (Object.keys(sip).length > 0) changes.sip = sip;
  const names = {
    ...CREATE_FIELDS,
    'sip.termination_uri': body.sip_term_uri !== undefined || body.termination_uri === undefined ? 'sip_term_uri' : 'termination_uri',
    'sip.auth_username': body.trunk_username !== undefined || body.sip_auth_username === undefined ? 'trunk_username' : 'sip_auth_username',
  };
  return { changes, names };
}

function providerLabel(record: PhoneNumber): string {
  return record.source === 'manual' ? 'custom' : record.source;
}

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
          '`termination_uri` is required (every accepted provider needs one). `trunk_username` and `sip_auth_username` are one stored value: ' +
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
