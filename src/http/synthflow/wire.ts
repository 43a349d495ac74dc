import { Type } from '@sinclair/typebox';
import { attachedAgentIds, isAvailableForInbound } from '../../services/agent-bindings.ts';
import type { NumberSource, PhoneNumber } from '../../services/phone-numbers/model.ts';
import { literals, Nullable, Timestamp } from '../schemas/common.ts';
import type { Dialect } from '../dialect.ts';
import type { ProblemCode } from '../problem.ts';

/** Synthflow's provider names and what each becomes in the core record. */
export const PROVIDER_TO_SOURCE = {
  twilio: 'twilio',
  telnyx: 'telnyx',
  vonage: 'vonage',
  ring_central: 'custom',
  custom: 'custom',
  sip: 'custom',
} as const satisfies Record<string, NumberSource>;

/**
 * Providers whose SIP settings Synthflow generates itself (Five9, RingCX, Zoom, 8x8). Switchboard
 * has nothing to generate them from, so their import is "not enabled" (Synthflow answers 403).
 */
export const GENERATED_PROVIDERS = ['ringcx', 'zoom', 'five9', '8x8'] as const;

export const PROVIDER_NAMES = [...(Object.keys(PROVIDER_TO_SOURCE) as Array<keyof typeof PROVIDER_TO_SOURCE>), ...GENERATED_PROVIDERS] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export const ProviderNameSchema = Object.assign(literals(PROVIDER_NAMES), {
  description:
    'twilio, telnyx and vonage keep their name; ring_central, custom and sip are stored as a custom SIP trunk (read back as `custom`). ' +
    'ringcx, zoom, five9 and 8x8 are answered 403: Switchboard cannot generate their SIP settings.',
});

/** The core `source` as Synthflow's `provider_name`: `manual` reads as `custom`, the others keep their name. */
export function providerNameOf(source: NumberSource): string {
  return source === 'manual' ? 'custom' : source;
}

export const SynthflowNumberSchema = Type.Object(
  {
    slug: Type.String({ description: 'The E.164 digits without `+`', examples: ['14157774444'] }),
    address_requirement: Type.String({ description: 'Always `none`: Switchboard keeps no regulatory address', examples: ['none'] }),
    phone_number: Type.String({ examples: ['+14157774444'] }),
    friendly_name: Type.String({ description: 'The nickname; when none is set, the number in national display form (as Twilio does)' }),
    is_sms_capable: Type.Boolean(),
    is_voice_capable: Type.Boolean(),
    iso_country: Nullable(Type.String({ description: 'ISO 3166-1 alpha-2, derived from the number' })),
    locality: Nullable(Type.String()),
    sip_auth_username: Nullable(Type.String()),
    sip_outbound_proxy: Nullable(Type.String()),
    sip_term_uri: Nullable(Type.String()),
    uac_enabled: Type.Boolean(),
    uac_register_expires: Type.Integer(),
    sid: Nullable(Type.String({ description: 'The provider\'s number sid (core `provider_sid`); null when none is known' })),
    provider_name: Type.String(),
    region: Nullable(Type.String()),
    is_available: Type.Boolean({ description: 'true when no inbound agent is attached' }),
    agency_workspace_id: Nullable(Type.String()),
    workspace_id: Type.String(),
    created_at: Timestamp,
    updated_at: Nullable(Timestamp),
    assistants: Type.Array(Type.String(), { description: 'Agent ids bound as inbound or outbound agent' }),
  },
  { $id: 'SynthflowPhoneNumber' },
);

export function toSynthflowNumber(record: PhoneNumber, agencyWorkspaceId: string | null) {
  return {
    slug: record.phone_number.slice(1),
    address_requirement: 'none',
    phone_number: record.phone_number,
    friendly_name: record.nickname ?? record.phone_number_pretty,
    is_sms_capable: record.capabilities.sms,
    is_voice_capable: record.capabilities.voice,
    iso_country: record.country,
    locality: record.locality,
    sip_auth_username: record.sip.auth_username,
    sip_outbound_proxy: record.sip.outbound_proxy,
    sip_term_uri: record.sip.termination_uri,
    uac_enabled: record.sip.uac_enabled,
    uac_register_expires: record.sip.uac_register_expires,
    sid: record.provider_sid,
    provider_name: providerNameOf(record.source),
    region: record.region,
    is_available: isAvailableForInbound(record),
    agency_workspace_id: agencyWorkspaceId,
    workspace_id: record.workspace_id,
    created_at: record.created_at,
    updated_at: record.updated_at,
    assistants: attachedAgentIds(record),
  };
}

export function toListItem(record: PhoneNumber) {
  return { number: record.phone_number, sid: record.provider_sid, is_available: isAvailableForInbound(record) };
}

export const OkSchema = Type.Object({ status: Type.Literal('ok') });

export const SynthflowErrorSchema = Type.Object(
  {
    detail: Type.Object({
      status: Type.Integer({ description: 'The HTTP status' }),
      description: Type.String({ description: 'What failed, naming the field and the rule' }),
      request_id: Type.String(),
      category: Type.String({ examples: ['validation_error', 'authentication_error', 'permission_denied', 'not_found', 'conflict'] }),
      errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() }), {
        description: 'Switchboard addition: one entry per failing field',
      }),
    }),
  },
  { $id: 'SynthflowError', description: 'Synthflow\'s `detail` error envelope' },
);

const CATEGORY: Record<ProblemCode, string> = {
  BAD_REQUEST: 'validation_error',
  VALIDATION_FAILED: 'validation_error',
  UNPROCESSABLE: 'validation_error',
  NO_NUMBER_AVAILABLE: 'validation_error',
  PAYLOAD_TOO_LARGE: 'validation_error',
  UNSUPPORTED_MEDIA_TYPE: 'validation_error',
  UNAUTHORIZED: 'authentication_error',
  FORBIDDEN: 'permission_denied',
  NOT_FOUND: 'not_found',
  CONFLICT: 'conflict',
  PRECONDITION_FAILED: 'conflict',
  IDEMPOTENCY_KEY_REUSED: 'validation_error',
  IDEMPOTENCY_KEY_IN_USE: 'conflict',
  RATE_LIMITED: 'rate_limit_exceeded',
  INTERNAL: 'internal_error',
};

/**
 * Synthflow's `detail` error envelope. Its field names depend on the request (two aliases for one
 * stored value): the handlers name them with `useFieldNames` just before the service call, so a
 * schema error, already in the client's words, is never renamed.
 */
export const synthflowDialect: Dialect = {
  errorSchema: SynthflowErrorSchema,
  fieldNames: {},
  sendError(request, reply, problem) {
    return reply.code(problem.status).send({
      detail: {
        status: problem.status,
        description: problem.detail,
        request_id: request.id,
        category: CATEGORY[problem.code],
        errors: problem.errors,
      },
    });
  },
};
