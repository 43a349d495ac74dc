import { Type } from '@sinclair/typebox';
import { singleAgentRequestFields, singleAgentResponseFields } from './single-agent.ts';
import { AgentList, CountryCode, E164Input, ListLimit, NumberReference, Nullable, Url } from '../schemas/common.ts';

/**
 * Retell's wire types (retell-sdk 5.66.1). Only types and shapes are declared here; the rules
 * (weights sum to 1, E.164, transport values, fallback chains, ...) are the phone-number service's.
 */
const Agents = Nullable(AgentList);
const Countries = Nullable(Type.Array(CountryCode, { maxItems: 300 }));
const Transport = Type.String({ maxLength: 8, description: '`TLS`, `TCP` or `UDP`; default `TCP`' });

export const RetellPhoneNumberSchema = Type.Object(
  {
    phone_number: Type.String({ description: 'E.164, or a pseudo number exactly as imported; the id of the number in every path', examples: ['+14157774444'] }),
    phone_number_type: Type.Union([Type.Literal('retell-twilio'), Type.Literal('retell-telnyx'), Type.Literal('custom')], {
      description: '`retell-twilio` / `retell-telnyx`: bought (at that carrier, or stock recorded with it, or synced from the carrier account), else as asked by `number_provider`, default Twilio; `custom`: every imported number',
    }),
    phone_number_pretty: Type.Optional(Type.String({ examples: ['+1 (415) 777-4444'] })),
    area_code: Type.Optional(Type.Integer({ description: 'NANP (+1) numbers only' })),
    nickname: Type.Optional(Nullable(Type.String())),
    inbound_agents: Type.Optional(Agents),
    outbound_agents: Type.Optional(Agents),
    inbound_sms_agents: Type.Optional(Agents),
    outbound_sms_agents: Type.Optional(Agents),
    ...singleAgentResponseFields,
    inbound_webhook_url: Type.Optional(Nullable(Type.String())),
    inbound_sms_webhook_url: Type.Optional(Nullable(Type.String())),
    allowed_inbound_country_list: Type.Optional(Countries),
    allowed_outbound_country_list: Type.Optional(Countries),
    fallback_number: Type.Optional(Nullable(Type.String())),
    sip_outbound_trunk_config: Type.Optional(
      Nullable(
        Type.Object({
          termination_uri: Type.Optional(Nullable(Type.String())),
          auth_username: Type.Optional(Nullable(Type.String())),
          transport: Type.Optional(Nullable(Type.String())),
        }),
      ),
    ),
    last_modification_timestamp: Type.Integer({ description: 'Milliseconds since the epoch' }),
  },
  { $id: 'RetellPhoneNumber' },
);

/** A `/v2/list-phone-numbers` page. */
export const RetellListResponse = Type.Object({
  items: Type.Array(Type.Ref(RetellPhoneNumberSchema)),
  has_more: Type.Boolean(),
  pagination_key: Type.Optional(Type.String()),
});

export const RetellErrorSchema = Type.Object(
  {
    status: Type.Literal('error'),
    message: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'RetellError', description: 'Every Retell-dialect error, as Retell sends it: `status: "error"` and a top-level string `message`, plus the failing fields' },
);

/** What create (buy) and import both accept besides the number itself. */
const bindingFields = {
    nickname: Type.Optional(Type.String({ maxLength: 255 })),
    inbound_agents: Type.Optional(Agents),
    outbound_agents: Type.Optional(Agents),
    inbound_webhook_url: Type.Optional(Nullable(Url)),
    allowed_inbound_country_list: Type.Optional(Countries),
    allowed_outbound_country_list: Type.Optional(Countries),
    ...singleAgentRequestFields,
};

export const CreateBody = Type.Object(
  {
    area_code: Type.Optional(Type.Integer({ minimum: 200, maximum: 999, description: 'NANP area code, e.g. 415' })),
    country_code: Type.Optional(
      Type.String({ pattern: '^[A-Z]{2}$', description: 'Default `US`. Retell allows `US`/`CA`; here any country the inventory holds' }),
    ),
    number_provider: Type.Optional(Type.Union([Type.Literal('twilio'), Type.Literal('telnyx')])),
    phone_number: Type.Optional(E164Input),
    toll_free: Type.Optional(Type.Boolean()),
    ...bindingFields,
    fallback_number: Type.Optional(Nullable(E164Input)),
    transport: Type.Optional(Nullable(Transport)),
  },
  { additionalProperties: false },
);

export const ImportBody = Type.Object(
  {
    phone_number: NumberReference,
    termination_uri: Type.String({ minLength: 1, maxLength: 255 }),
    sip_trunk_auth_username: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    sip_trunk_auth_password: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Write-only; stored encrypted' })),
    transport: Type.Optional(Nullable(Transport)),
    ignore_e164_validation: Type.Optional(
      Type.Boolean({
        description:
          'Default `true`, as in Retell: a number that is not valid E.164 as written is kept as an internal pseudo number (digits, optionally with `+`, or letters, digits, `-`, `_`, up to 64), exactly as given',
      }),
    ),
    ...bindingFields,
  },
  { additionalProperties: false },
);

export const UpdateBody = Type.Object(
  {
    nickname: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
    inbound_agents: Type.Optional(Agents),
    outbound_agents: Type.Optional(Agents),
    inbound_sms_agents: Type.Optional(Agents),
    outbound_sms_agents: Type.Optional(Agents),
    ...singleAgentRequestFields,
    inbound_webhook_url: Type.Optional(Nullable(Url)),
    inbound_sms_webhook_url: Type.Optional(Nullable(Url)),
    allowed_inbound_country_list: Type.Optional(Countries),
    allowed_outbound_country_list: Type.Optional(Countries),
    fallback_number: Type.Optional(Nullable(E164Input)),
    termination_uri: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    auth_username: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    auth_password: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Write-only; stored encrypted' })),
    transport: Type.Optional(Nullable(Transport)),
  },
  { additionalProperties: false },
);

export const NumberParams = Type.Object({
  phone_number: Type.String({
    maxLength: 64,
    description: 'E.164, with the `+` literal (as retell-sdk sends it) or as `%2B`',
  }),
});

export const ListQuery = Type.Object(
  {
    limit: ListLimit,
    pagination_key: Type.Optional(Type.String({ maxLength: 200, description: '`pagination_key` of the previous page' })),
    sort_order: Type.Optional(
      Type.Unsafe<'ascending' | 'descending' | ''>({
        type: 'string',
        enum: ['ascending', 'descending', ''],
        description: 'By creation time; default `descending` (newest first)',
      }),
    ),
  },
  { additionalProperties: false },
);
