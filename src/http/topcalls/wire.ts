import { Type } from '@sinclair/typebox';
import type { Carrier, CarrierInput } from '../../services/carriers.ts';
import type { PhoneNumber } from '../../services/phone-numbers/model.ts';
import { CARRIER_LIMITS } from '../../services/carriers.ts';
import { InboundAuthInputSchema, InboundAuthView, Netmask, Port, RegistrationInputSchema, RegistrationView, TrunkType } from '../schemas/carrier.ts';
import type { Dialect, FieldNames } from '../dialect.ts';
import { problemDocument, ProblemSchema } from '../problem.ts';
import { Nullable, Timestamp } from '../schemas/common.ts';

/**
 * TopCalls' v1 wire shapes and their mapping to the core records. TopCalls is a jambonz facade:
 * `voip_carrier_sid`, `sip_gateway_sid` and `trunk_type` are jambonz's names.
 */

const Uuid = Type.String({ format: 'uuid' });

export const TOPCALLS_SOURCES = ['topcalls', 'byoc', 'manual', 'import', 'twilio'] as const;
export const TOPCALLS_STATUSES = ['active', 'inactive', 'pending', 'failed', 'deleted'] as const;

export const TopcallsNumberSchema = Type.Object(
  {
    id: Uuid,
    account_id: Type.String({ description: 'The workspace of the API key' }),
    number: Type.String({ description: 'E.164 with `+`', examples: ['+18005551234'] }),
    source: Type.Union(TOPCALLS_SOURCES.map((source) => Type.Literal(source)), {
      description: '`topcalls` for a number on the workspace\'s default carrier (`default_carrier_id`) or from the platform inventory, `byoc` for a number on another of your carriers (or a custom SIP trunk), `twilio`, `import` for other providers, `manual` otherwise',
    }),
    status: Type.Union(TOPCALLS_STATUSES.map((status) => Type.Literal(status)), {
      description: '`deleted` appears only in the response of DELETE; a deleted number is not found afterwards',
    }),
    phone_number_sid: Nullable(Type.String({ description: 'The number\'s id at its provider (the core `provider_sid`)' })),
    voip_carrier_sid: Nullable(Type.String({ description: 'The carrier (`id` of GET /v1/phone-numbers/carriers)' })),
    carrier_name: Nullable(Type.String()),
    label: Nullable(Type.String()),
    error_message: Nullable(Type.String()),
    created_by_user_id: Nullable(Type.String({ description: 'The API key that created the number (null when created by the operator CLI)' })),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'TopcallsPhoneNumber' },
);

export const TopcallsNumberCreateSchema = Type.Object(
  {
    number: Type.String({ pattern: '^\\+[1-9]\\d{1,14}$', description: 'E.164 with `+`; must be a dialable number (libphonenumber)', examples: ['+18005551234'] }),
    voip_carrier_sid: Type.Optional(Nullable(Type.String({ format: 'uuid', description: 'One of your carriers; without it, the workspace\'s default carrier (source `topcalls`), else no carrier (source `manual`)' }))),
    label: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  },
  { additionalProperties: false },
);

const SipGatewayView = Type.Object({ ipv4: Type.String(), port: Type.Integer(), inbound: Type.Boolean(), outbound: Type.Boolean(), netmask: Type.Integer() });

export const TopcallsCarrierSchema = Type.Object(
  {
    id: Uuid,
    account_id: Type.String(),
    voip_carrier_sid: Type.String({ description: 'Pass this as `voip_carrier_sid` when adding numbers (equal to `id`)' }),
    sip_gateway_sid: Nullable(Type.String({ description: 'The first gateway' })),
    carrier_name: Type.String(),
    trunk_type: TrunkType,
    sip_gateway: Nullable(SipGatewayView),
    sip_gateways: Type.Array(Type.Composite([Type.Object({ sip_gateway_sid: Type.String() }), SipGatewayView]), {
      description: 'Every gateway (a carrier created through the native API may have several)',
    }),
    registration: Nullable(RegistrationView),
    inbound_auth: Nullable(InboundAuthView),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'TopcallsCarrier' },
);

export const TopcallsCarrierCreateSchema = Type.Object(
  {
    carrier_name: Type.String({ minLength: 1, maxLength: CARRIER_LIMITS.name }),
    sip_gateway: Type.Object(
      {
        ipv4: Type.String({ minLength: 1, maxLength: 253, description: 'IPv4 address; a DNS host name only when `inbound` is false', examples: ['203.0.113.10'] }),
        port: Type.Optional(Port),
        inbound: Type.Optional(Type.Boolean({ default: true })),
        outbound: Type.Optional(Type.Boolean({ default: true })),
        netmask: Type.Optional(Netmask),
      },
      { additionalProperties: false },
    ),
    trunk_type: Type.Optional(TrunkType),
    registration: Type.Optional(RegistrationInputSchema),
    inbound_auth: Type.Optional(InboundAuthInputSchema),
  },
  { additionalProperties: false },
);

export const TopcallsProblemSchema = Type.Composite(
  [Type.Omit(ProblemSchema, ['errors']), Type.Object({ errors: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })) })],
  { $id: 'TopcallsProblem', description: 'RFC 7807 problem details; `errors[].path` names the failing field' },
);

/**
 * RFC 7807 with TopCalls' `errors[{path, message}]` (the native API says `field`). The field names
 * are per route (`config.fieldNames`: NUMBER_FIELDS, CARRIER_FIELDS).
 */
export const topcallsDialect: Dialect = {
  errorSchema: TopcallsProblemSchema,
  fieldNames: {},
  sendError(request, reply, problem) {
    const bodyOnly = problem.errors.length > 0 && problem.errors.every((issue) => !/^(query|querystring|params|headers)\b|^Idempotency-Key$/.test(issue.field));
    const document = problemDocument(request, {
      ...problem,
      title: problem.code === 'VALIDATION_FAILED' ? (bodyOnly ? 'Invalid request body' : 'Invalid request') : problem.title,
    });
    return reply
      .code(problem.status)
      .type('application/problem+json')
      .send({ ...document, errors: problem.errors.map((issue) => ({ path: issue.field, message: issue.message })) });
  },
};

/** Core field name → TopCalls field name, for the errors of the number and the carrier routes. */
export const NUMBER_FIELDS: FieldNames = { phone_number: 'number', carrier_id: 'voip_carrier_sid', nickname: 'label' };
export const CARRIER_FIELDS: FieldNames = {
  name: 'carrier_name',
  'gateways[0].address': 'sip_gateway.ipv4',
  'gateways[0]': 'sip_gateway',
  gateways: 'sip_gateway',
};

/** `topcalls` on the workspace's default carrier (TopCalls' default carrier), `byoc` on another one. */
function topcallsSource(record: PhoneNumber, defaultCarrierId: string | null): (typeof TOPCALLS_SOURCES)[number] {
  if (record.carrier_id !== null && record.carrier_id === defaultCarrierId) return 'topcalls';
  if (record.carrier_id !== null || record.source === 'custom') return 'byoc';
  if (record.source === 'twilio' || record.source === 'manual') return record.source;
  if (record.source === 'inventory') return 'topcalls';
  return 'import';
}

export function toTopcallsNumber(
  record: PhoneNumber,
  extra: { carrierName: string | null; createdBy: string | null; defaultCarrierId: string | null; deleted?: boolean },
) {
  return {
    id: record.id,
    account_id: record.workspace_id,
    number: record.phone_number,
    source: topcallsSource(record, extra.defaultCarrierId),
    status: extra.deleted ? ('deleted' as const) : record.status,
    phone_number_sid: record.provider_sid,
    voip_carrier_sid: record.carrier_id,
    carrier_name: extra.carrierName,
    label: record.nickname,
    error_message: record.error_message,
    created_by_user_id: extra.createdBy,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}

export function toTopcallsCarrier(carrier: Carrier) {
  const gateways = carrier.gateways.map((gateway) => ({
    sip_gateway_sid: gateway.id,
    ipv4: gateway.address,
    port: gateway.port,
    inbound: gateway.inbound,
    outbound: gateway.outbound,
    netmask: gateway.netmask,
  }));
  const first = gateways[0];
  return {
    id: carrier.id,
    account_id: carrier.workspace_id,
    voip_carrier_sid: carrier.id,
    sip_gateway_sid: first?.sip_gateway_sid ?? null,
    carrier_name: carrier.name,
    trunk_type: carrier.trunk_type,
    sip_gateway: first ? { ipv4: first.ipv4, port: first.port, inbound: first.inbound, outbound: first.outbound, netmask: first.netmask } : null,
    sip_gateways: gateways,
    registration: carrier.registration,
    inbound_auth: carrier.inbound_auth,
    created_at: carrier.created_at,
    updated_at: carrier.updated_at,
  };
}

export function fromTopcallsCarrier(body: {
  carrier_name: string;
  sip_gateway: { ipv4: string; port?: number; inbound?: boolean; outbound?: boolean; netmask?: number };
  trunk_type?: CarrierInput['trunk_type'];
  registration?: CarrierInput['registration'];
  inbound_auth?: CarrierInput['inbound_auth'];
}): CarrierInput {
  const { ipv4, ...gateway } = body.sip_gateway;
  return {
    name: body.carrier_name,
    trunk_type: body.trunk_type ?? 'static_ip',
    gateways: [{ address: ipv4, ...gateway }],
    ...(body.registration !== undefined ? { registration: body.registration } : {}),
    ...(body.inbound_auth !== undefined ? { inbound_auth: body.inbound_auth } : {}),
  };
}
