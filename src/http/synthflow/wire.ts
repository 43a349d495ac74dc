import { Type } from '@sinclair/typebox';
import { attachedAgentIds, isAvailableForInbound } from '../../services/agent-bindings.ts';
import type { PhoneNumber } from '../../services/phone-numbers/model.ts';
import { SYNTHFLOW_PROVIDER_SOURCES, synthflowProviderName } from '../origins.ts';
import { literals, Nullable, Timestamp } from '../schemas/common.ts';
import type { Dialect } from '../dialect.ts';
import type { ProblemCode } from '../problem.ts';

export const PROVIDER_NAMES = Object.keys(SYNTHFLOW_PROVIDER_SOURCES) as Array<keyof typeof SYNTHFLOW_PROVIDER_SOURCES>;

export const ProviderNameSchema = Object.assign(literals(PROVIDER_NAMES), {
  description:
    'Every provider Synthflow documents, stored and read back as sent (`sip` reads back as `custom`). `termination_uri` is required, ' +
    'except for the providers whose SIP domain Synthflow fills itself where Switchboard knows it (`zoom`); see README "Number origins".',
});

export const SynthflowNumberSchema = Type.Object(
  {
    slug: Type.String({ description: 'The E.164 digits without `+`; a pseudo number (internal id) as imported', examples: ['14157774444'] }),
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
    provider_name: literals(PROVIDER_NAMES.filter((name) => name !== 'sip')),
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

/** Synthflow's slug: an E.164 number's digits without `+`; a pseudo number (an internal id) as it is. */
export function slugOf(record: Pick<PhoneNumber, 'phone_number' | 'number_type'>): string {
  return record.number_type === 'pseudo' ? record.phone_number : record.phone_number.slice(1);
}

export function toSynthflowNumber(record: PhoneNumber, agencyWorkspaceId: string | null) {
  return {
    slug: slugOf(record),
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
    provider_name: synthflowProviderName(record.source),
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
  OVER_CAPACITY: 'conflict',
  RATE_LIMITED: 'rate_limit_exceeded',
  INTERNAL: 'internal_error',
  PROVIDER_AUTH_FAILED: 'provider_error',
  PROVIDER_UNAVAILABLE: 'provider_error',
  PROVIDER_TIMEOUT: 'provider_error',
  STORE_UNAVAILABLE: 'service_unavailable',
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
