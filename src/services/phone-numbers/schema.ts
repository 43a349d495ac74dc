import { Type } from '@sinclair/typebox';
import { AgentList, CallingHoursSchema, CountryCode, E164Input, Id, literals, Nullable, Timestamp, Url } from '../schemas.ts';
import { NUMBER_SOURCES, NUMBER_STATUSES, SIP_TRANSPORTS } from './model.ts';

/**
 * The phone-number record and its writable fields as TypeBox schemas: the transports validate and
 * document with them, and the core model's types are derived from them (model.ts), so each shape
 * is written once.
 */
const SipTransport = literals(SIP_TRANSPORTS);

/** The record as a response carries it (its version travels as the ETag). */
export const PhoneNumberSchema = Type.Object(
  {
    id: Id,
    workspace_id: Id,
    phone_number: Type.String({ description: 'E.164 with `+`, or a pseudo number exactly as imported (`number_type: "pseudo"`)', examples: ['+14157774444'] }),
    status: Type.Union([literals(NUMBER_STATUSES), Type.Literal('deleted')]),
    source: literals(NUMBER_SOURCES),
    provider_sid: Nullable(Type.String()),
    carrier_id: Nullable(Type.String()),
    purchased: Type.Boolean({ description: 'Bought from the stock or a carrier (`POST /v1/phone-numbers/purchase`, Retell create) rather than imported' }),
    nickname: Nullable(Type.String()),
    capabilities: Type.Object({ voice: Type.Boolean(), sms: Type.Boolean() }),
    country: Nullable(Type.String({ description: 'ISO 3166-1 alpha-2, derived from the number' })),
    region: Nullable(Type.String({ description: 'State, province or wider area of the area code' })),
    locality: Nullable(Type.String({ description: 'City or area, from Google libphonenumber geocoding data' })),
    area_code: Nullable(Type.String()),
    number_type: Nullable(Type.String({ examples: ['fixed_line_or_mobile', 'mobile', 'toll_free'] })),
    time_zones: Type.Array(Type.String(), { description: 'IANA time zones of the number' }),
    phone_number_pretty: Type.String({ examples: ['+1 (415) 777-4444'] }),
    sip: Type.Object({
      termination_uri: Nullable(Type.String()),
      outbound_proxy: Nullable(Type.String()),
      auth_username: Nullable(Type.String()),
      transport: SipTransport,
      uac_enabled: Type.Boolean(),
      uac_register_expires: Type.Integer(),
      has_password: Type.Boolean({ description: 'Whether a trunk password is stored; the password is never returned' }),
    }),
    inbound_agents: AgentList,
    outbound_agents: AgentList,
    inbound_sms_agents: AgentList,
    outbound_sms_agents: AgentList,
    allowed_inbound_country_list: Type.Array(Type.String()),
    allowed_outbound_country_list: Type.Array(Type.String()),
    inbound_webhook_url: Nullable(Type.String()),
    inbound_sms_webhook_url: Nullable(Type.String()),
    fallback_number: Nullable(Type.String()),
    max_concurrent_calls: Nullable(Type.Integer({ description: 'Most simultaneous calls on this number (inbound + outbound); null = unlimited' })),
    calling_hours: Nullable(CallingHoursSchema),
    error_message: Nullable(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'PhoneNumber' },
);

export const SipInputSchema = Type.Object(
  {
    termination_uri: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
    outbound_proxy: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
    auth_username: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
    auth_password: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255, description: 'Write-only; stored encrypted' }))),
    transport: Type.Optional(Nullable(SipTransport)),
    uac_enabled: Type.Optional(Nullable(Type.Boolean({ description: 'Register to the trunk (SIP REGISTER)' }))),
    uac_register_expires: Type.Optional(Nullable(Type.Integer({ minimum: 60, maximum: 3600, description: 'REGISTER expiry, seconds' }))),
  },
  { additionalProperties: false },
);

/** Fields an update may set; `null` clears, absent keeps. */
export const PhoneNumberChangesSchema = Type.Object(
  {
    status: Type.Optional(Nullable(literals(NUMBER_STATUSES))),
    source: Type.Optional(Nullable(literals(NUMBER_SOURCES))),
    provider_sid: Type.Optional(Nullable(Type.String({ maxLength: 128 }))),
    carrier_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    nickname: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
    capabilities: Type.Optional(
      Nullable(
        Type.Object(
          { voice: Type.Optional(Nullable(Type.Boolean())), sms: Type.Optional(Nullable(Type.Boolean())) },
          { additionalProperties: false },
        ),
      ),
    ),
    sip: Type.Optional(Nullable(SipInputSchema)),
    inbound_agents: Type.Optional(Nullable(AgentList)),
    outbound_agents: Type.Optional(Nullable(AgentList)),
    inbound_sms_agents: Type.Optional(Nullable(AgentList)),
    outbound_sms_agents: Type.Optional(Nullable(AgentList)),
    allowed_inbound_country_list: Type.Optional(Nullable(Type.Array(CountryCode, { maxItems: 250 }))),
    allowed_outbound_country_list: Type.Optional(Nullable(Type.Array(CountryCode, { maxItems: 250 }))),
    inbound_webhook_url: Type.Optional(Nullable(Url)),
    inbound_sms_webhook_url: Type.Optional(Nullable(Url)),
    fallback_number: Type.Optional(Nullable(E164Input)),
    max_concurrent_calls: Type.Optional(
      Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Concurrency cap of the number; inbound over it is forwarded to `fallback_number` (or rejected `over_capacity`); null = unlimited' })),
    ),
    calling_hours: Type.Optional(Nullable(CallingHoursSchema)),
    error_message: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
  },
  { additionalProperties: false },
);

export const PhoneNumberImportSchema = Type.Composite(
  [
    Type.Object({
      phone_number: Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'E.164 number (the leading `+` optional); with `pseudo: true`, a pseudo number kept exactly as given',
        examples: ['+14157774444'],
      }),
      pseudo: Type.Optional(
        Type.Boolean({
          description:
            'Store `phone_number` as a pseudo number (an internal id on custom telephony): exactly as given, digits with an optional `+` or letters, digits, `-`, `_` (at most 64), with no derived metadata (`number_type: "pseudo"`). Without it the number must be E.164.',
        }),
      ),
    }),
    PhoneNumberChangesSchema,
  ],
  { additionalProperties: false },
);

/** One event of a number's audit trail: the record before and after as a response shows it (no version, no secret). */
export const NumberEventSchema = Type.Object({
  id: Id,
  // The carrier_* actions are written by the release queue (src/services/inventory/releases.ts).
  action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete'), Type.Literal('carrier_release'), Type.Literal('carrier_release_failed'), Type.Literal('credentials_disclosed')], {
    description: '`carrier_release`: the bought number was released at its carrier; `carrier_release_failed`: the release gave up (see GET /v1/carrier-releases); `credentials_disclosed`: a routing decision handed the trunk password (named in `changed_fields`) to the key `actor_key_id`',
  }),
  actor_key_id: Nullable(Type.String()),
  actor_key_name: Nullable(Type.String({ description: 'Name of the acting API key; null for unnamed keys and the CLI' })),
  changed_fields: Type.Array(Type.String()),
  before: Nullable(Type.Ref(PhoneNumberSchema)),
  after: Nullable(Type.Ref(PhoneNumberSchema)),
  at: Timestamp,
});
