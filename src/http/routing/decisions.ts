import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../services/index.ts';
import { DECISION_RULES, REJECT_REASONS } from '../../services/routing/router.ts';
import { E164Input, Id, literals, NumberReference, Nullable } from '../schemas/common.ts';
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

/** Routing decisions: who takes an inbound call or SMS, and the caller ID of an outbound call. */
export const decisionRoutes: FastifyPluginAsync<{ services: Services }> = async (plain, { services }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const routing = services.routing;
  app.addSchema(DecisionSchema);

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
};
