import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../services/index.ts';
import { DECISION_RULES, POOL_STRATEGIES, REJECT_REASONS } from '../../services/routing/router.ts';
import { requireApiKey } from '../auth.ts';
import { CallingHoursSchema, E164Input, Id, literals, NumberReference, Nullable, Timestamp } from '../schemas/common.ts';
import { errorResponses } from '../dialect.ts';
import { nativeDialect } from '../native/dialect.ts';

const Password = Type.Optional(
  Nullable(Type.String({ description: 'Only for keys with the `routing:credentials` scope (each disclosure is in the number\'s audit trail); absent otherwise' })),
);

/** Outbound `connect`: where to send the call for the chosen caller ID. */
const TrunkSchema = Type.Union(
  [
    Type.Object({
      type: Type.Literal('carrier'),
      carrier_id: Id,
      name: Type.String(),
      gateways: Type.Array(Type.Object({ address: Type.String(), port: Type.Integer(), transport: Type.String({ description: 'The number\'s `sip.transport`' }) }), {
        description: 'The carrier\'s outbound gateways, in order: try the next when one fails',
      }),
      auth_username: Nullable(Type.String({ description: 'The carrier\'s registration username, for digest challenges' })),
      auth_realm: Nullable(Type.String()),
      auth_password: Password,
    }),
    Type.Object({
      type: Type.Literal('sip'),
      termination_uri: Nullable(Type.String()),
      outbound_proxy: Nullable(Type.String()),
      transport: Type.String(),
      auth_username: Nullable(Type.String()),
      auth_password: Password,
    }),
  ],
  { description: 'Outbound `connect`: the number\'s carrier (`type: carrier`) or, without one, its own SIP settings (`type: sip`)' },
);

const DecisionSchema = Type.Object(
  {
    action: Type.Union([Type.Literal('connect'), Type.Literal('forward'), Type.Literal('reject')]),
    reason: Type.Optional(literals(REJECT_REASONS)),
    agent_id: Type.Optional(Type.String()),
    agent_version: Type.Optional(Type.Union([Type.Integer(), Type.String()], { description: 'As bound on the number (or set by the webhook); passed through as stored' })),
    forward_to: Type.Optional(Type.String({ description: "The number's `fallback_number`" })),
    phone_number_id: Type.Optional(Id),
    caller_id: Type.Optional(Type.String({ description: 'Outbound: the number to dial from (E.164)' })),
    dynamic_variables: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'From the inbound webhook; `{}` when none' })),
    decided_by: literals(DECISION_RULES),
    next_allowed_at: Type.Optional(Type.String({ format: 'date-time', description: '`outside_calling_hours`: earliest allowed instant (UTC)' })),
    caller_id_match: Type.Optional(
      Type.Union(['area_code', 'region', 'country', 'any'].map((value) => Type.Literal(value)), {
        description: 'Pool / agent selection: how local the caller ID is to the callee',
      }),
    ),
    webhook_error: Type.Optional(
      Type.String({ description: 'The webhook was called but not used: `timeout`, `network`, `http_status`, `invalid_response` or `target_refused`' }),
    ),
    trunk: Type.Optional(TrunkSchema),
    // Outbound `connect`: the caller ID's carrier; null without one.
    carrier_id: Type.Optional(Nullable(Id)),
  },
  { $id: 'RoutingDecision' },
);

const InboundBody = Type.Object(
  {
    to: NumberReference,
    from: Type.String({ minLength: 1, maxLength: 64, description: 'The caller; its country (libphonenumber) is checked against `allowed_inbound_country_list`' }),
    call_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Same call id → same agent; a `connect` on a number or workspace with a cap takes the call\'s slot (as /calls/{call_id}/start)' })),
    source_ip: Type.Optional(
      Type.String({
        format: 'ipv4',
        description: 'The address the INVITE came from. For a number on a carrier with inbound gateways, an address outside all of them is `reject` `source_not_allowed` (`decided_by: carrier_source`)',
      }),
    ),
  },
  { additionalProperties: false },
);

const OutboundBody = Type.Object(
  {
    to: E164Input,
    from: Type.Optional(NumberReference),
    pool_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    agent_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Overrides the weighted pick; alone, chooses among the numbers whose outbound_agents contain it' })),
    call_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Makes the weighted agent pick deterministic; a `connect` on a number or workspace with a cap takes the call\'s slot (as /calls/{call_id}/start)' })),
  },
  { additionalProperties: false },
);

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

const CallRecordSchema = Type.Object({
  call_id: Type.String(),
  phone_number_id: Id,
  direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
  started_at: Timestamp,
  lease_expires_at: Timestamp,
  ended_at: Nullable(Timestamp),
});

const CallParams = Type.Object({ call_id: Type.String({ minLength: 1, maxLength: 128 }) });
const PoolParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Routing decisions, pools, outage and call reporting under /v1. */
export const routingApi: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const routing = services.routing;
  requireApiKey(app, services);
  /** Every workspace-settings answer carries the default carrier beside the routing settings. */
  const withDefaultCarrier = async <T extends { workspace_id: string }>(settings: T) => ({
    ...settings,
    default_carrier_id: await services.workspaces.defaultCarrier(settings.workspace_id),
  });
  app.addSchema(DecisionSchema);
  app.addSchema(PoolSchema);

  const decisionResponses = { 200: Type.Ref(DecisionSchema), ...errorResponses(nativeDialect, 400, 401, 403) };

  app.post(
    '/routing/inbound',
    {
      schema: {
        tags: ['routing'],
        operationId: 'routeInboundCall',
        summary: 'Decide who takes an inbound call',
        description:
          'Answered from memory. `reject` reasons: `number_not_found`, `number_inactive`, `country_not_allowed`, `over_capacity`, `no_agent`, `rejected_by_webhook`, `outage_without_fallback`. ' +
          '`forward` (to `fallback_number`) in outage mode or over a concurrency cap. `connect` picks from `inbound_agents` by weight, deterministically per `call_id`. ' +
          'With `inbound_webhook_url`, the webhook is POSTed first (Retell `call_inbound` shape, `x-retell-signature`); a failed webhook falls back to the binding (`decided_by: binding_after_webhook_failure`). Scope `routing`.',
        body: InboundBody,
        response: decisionResponses,
      },
    },
    async (request) => routing.inbound(request.actor, request.body, 'voice'),
  );

  app.post(
    '/routing/inbound-sms',
    {
      schema: {
        tags: ['routing'],
        operationId: 'routeInboundSms',
        summary: 'Decide who answers an inbound SMS',
        description:
          'As /routing/inbound, with `inbound_sms_agents` and `inbound_sms_webhook_url` (event `chat_inbound`, `call_id` sent as `chat_id`). Scope `routing`.',
        body: InboundBody,
        response: decisionResponses,
      },
    },
    async (request) => routing.inbound(request.actor, request.body, 'sms'),
  );

  app.post(
    '/routing/outbound',
    {
      schema: {
        tags: ['routing'],
        operationId: 'routeOutboundCall',
        summary: 'Choose the caller ID and agent of an outbound call',
        description:
          'Give `from`, or `pool_id`, or only `agent_id` (caller ID among the numbers whose `outbound_agents` contain it). Pools and agent numbers use local presence: ' +
          'same area code → same region → same country → any, least recently used first, skipping numbers that are inactive, at their cap, outside their calling hours ' +
          'or not allowed to call the destination. `reject` reasons: `number_not_found`, `number_inactive`, `destination_not_allowed`, `over_capacity`, ' +
          '`outside_calling_hours` (with `next_allowed_at`), `no_agent`. Scope `routing`.',
        body: OutboundBody,
        response: { ...decisionResponses, ...errorResponses(nativeDialect, 404) },
      },
    },
    async (request) => routing.outbound(request.actor, request.body),
  );

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

  const poolTags = ['number-pools'];
  app.post(
    '/number-pools',
    {
      config: { idempotent: true },
      schema: {
        tags: poolTags,
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
        tags: poolTags,
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
      schema: { tags: poolTags, operationId: 'getNumberPool', summary: 'Get a pool', params: PoolParams, response: { 200: Type.Ref(PoolSchema), ...errorResponses(nativeDialect, 401, 403, 404) } },
    },
    async (request) => routing.getPool(request.actor, request.params.id),
  );

  app.patch(
    '/number-pools/:id',
    {
      schema: {
        tags: poolTags,
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
        tags: poolTags,
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
        tags: poolTags,
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
      schema: { tags: poolTags, operationId: 'deleteNumberPool', summary: 'Delete a pool (its numbers are untouched)', params: PoolParams, response: { 204: Type.Null(), ...errorResponses(nativeDialect, 401, 403, 404) } },
    },
    async (request, reply) => {
      await routing.deletePool(request.actor, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
