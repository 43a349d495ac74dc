import { Type } from '@sinclair/typebox';
import { CARRIER_LIMITS, GATEWAY_DEFAULTS, TRUNK_TYPES } from './carriers.ts';
import { Id, literals, Nullable, Timestamp } from './schemas.ts';

/**
 * The carrier record and its writable fields as TypeBox schemas: the transports validate and
 * document with them, and the service's types are derived from them (carriers.ts), so each shape
 * is written once.
 */

export const TrunkType = Type.Unsafe<(typeof TRUNK_TYPES)[number]>({
  ...literals(TRUNK_TYPES),
  description: '`static_ip` (default; the carrier is trusted by IP), `auth` (the carrier authenticates with `inbound_auth`), `reg` (we register with `registration`)',
});
const Credential = Type.String({ minLength: 1, maxLength: CARRIER_LIMITS.credential });
const Password = Type.String({ minLength: 1, maxLength: CARRIER_LIMITS.credential, description: 'Write-only; stored encrypted, never returned' });
export const Port = Type.Integer({ minimum: 1, maximum: 65535, default: GATEWAY_DEFAULTS.port });
export const Netmask = Type.Integer({
  minimum: 1,
  maximum: 32,
  default: GATEWAY_DEFAULTS.netmask,
  description: 'CIDR prefix length of an inbound IPv4 range; 32 = this address only',
});

/** Credentials as responses show them: never the password, only whether one is stored. */
export const RegistrationView = Type.Object({ username: Type.String(), realm: Nullable(Type.String()), has_password: Type.Boolean() });
export const InboundAuthView = Type.Object({ username: Type.String(), has_password: Type.Boolean() });

/** Absent keeps, on update; on create `username` and `password` are required by the rules. */
export const RegistrationInputSchema = Type.Object(
  {
    username: Type.Optional(Credential),
    password: Type.Optional(Password),
    realm: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: CARRIER_LIMITS.credential, description: 'SIP realm / domain to register to' }))),
  },
  { additionalProperties: false, description: 'SIP REGISTER credentials; required when trunk_type is `reg`' },
);
export const InboundAuthInputSchema = Type.Object(
  { username: Type.Optional(Credential), password: Type.Optional(Password) },
  { additionalProperties: false, description: 'Digest credentials the carrier must present on inbound calls; required when trunk_type is `auth`' },
);

export const GatewayInputSchema = Type.Object(
  {
    address: Type.String({ minLength: 1, maxLength: 253, description: 'IPv4 address; an outbound-only gateway may use a DNS host name', examples: ['203.0.113.10'] }),
    port: Type.Optional(Port),
    inbound: Type.Optional(Type.Boolean({ default: GATEWAY_DEFAULTS.inbound, description: 'Accept calls from this address (needs an IPv4 address)' })),
    outbound: Type.Optional(Type.Boolean({ default: GATEWAY_DEFAULTS.outbound, description: 'Send calls to this gateway' })),
    netmask: Type.Optional(Netmask),
  },
  { additionalProperties: false },
);

/** A gateway as stored; its `id` is stable while it keeps its address and port (TopCalls' `sip_gateway_sid`). */
export const GatewaySchema = Type.Object({ id: Id, address: Type.String(), port: Type.Integer(), inbound: Type.Boolean(), outbound: Type.Boolean(), netmask: Type.Integer() });

export const CarrierSchema = Type.Object(
  {
    id: Id,
    workspace_id: Id,
    name: Type.String(),
    description: Nullable(Type.String()),
    trunk_type: TrunkType,
    gateways: Type.Array(GatewaySchema),
    registration: Nullable(RegistrationView),
    inbound_auth: Nullable(InboundAuthView),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Carrier' },
);

const Gateways = Type.Array(GatewayInputSchema, { minItems: 1, maxItems: CARRIER_LIMITS.gateways });

export const CarrierCreateSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: CARRIER_LIMITS.name }),
    description: Type.Optional(Nullable(Type.String({ maxLength: CARRIER_LIMITS.description }))),
    trunk_type: Type.Optional(TrunkType),
    gateways: Gateways,
    registration: Type.Optional(Nullable(RegistrationInputSchema)),
    inbound_auth: Type.Optional(Nullable(InboundAuthInputSchema)),
  },
  { additionalProperties: false },
);

export const CarrierChangesSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: CARRIER_LIMITS.name })),
    description: Type.Optional(Nullable(Type.String({ maxLength: CARRIER_LIMITS.description }))),
    trunk_type: Type.Optional(TrunkType),
    gateways: Type.Optional(Gateways),
    registration: Type.Optional(Nullable(RegistrationInputSchema)),
    inbound_auth: Type.Optional(Nullable(InboundAuthInputSchema)),
  },
  { additionalProperties: false },
);
