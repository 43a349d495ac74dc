import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { isStoreUnavailable, ServiceError, type ErrorCode, type FieldIssue } from '../services/errors.ts';

/** The one table from error code to HTTP status and title; every transport renders from it. */
export const ERROR_STATUS: Record<ErrorCode | 'INTERNAL' | 'BAD_REQUEST' | 'UNSUPPORTED_MEDIA_TYPE' | 'PAYLOAD_TOO_LARGE' | 'STORE_UNAVAILABLE', { status: number; title: string }> = {
  BAD_REQUEST: { status: 400, title: 'Bad Request' },
  VALIDATION_FAILED: { status: 400, title: 'Validation Failed' },
  UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Not Found' },
  CONFLICT: { status: 409, title: 'Conflict' },
  PRECONDITION_FAILED: { status: 412, title: 'Precondition Failed' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload Too Large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported Media Type' },
  UNPROCESSABLE: { status: 422, title: 'Unprocessable Content' },
  NO_NUMBER_AVAILABLE: { status: 422, title: 'No Number Available' },
  RATE_LIMITED: { status: 429, title: 'Too Many Requests' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency Key Reused' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'Idempotency Key In Use' },
  OVER_CAPACITY: { status: 409, title: 'Over Capacity' },
  INTERNAL: { status: 500, title: 'Internal Server Error' },
  PROVIDER_AUTH_FAILED: { status: 502, title: 'Carrier Rejected The Credentials' },
  PROVIDER_UNAVAILABLE: { status: 502, title: 'Carrier Unavailable' },
  PROVIDER_TIMEOUT: { status: 504, title: 'Carrier Timeout' },
  STORE_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
};

/** Seconds a client is asked to wait (`Retry-After`) when the store is unavailable. */
export const STORE_RETRY_AFTER_SECONDS = 1;

export type ProblemCode = keyof typeof ERROR_STATUS;

/** A transport-neutral description of a failed request; each dialect renders it its own way. */
export interface Problem {
  status: number;
  code: ProblemCode;
  title: string;
  detail: string;
  errors: FieldIssue[];
}

const fastifyCodes: Record<string, ProblemCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
};

/** Turns anything thrown while handling a request into a Problem. 5xx never carry the cause. */
export function toProblem(error: unknown): Problem {
  if (error instanceof ServiceError) {
    const { status, title } = ERROR_STATUS[error.code];
    return { status, code: error.code, title, detail: error.message, errors: error.issues };
  }
  const fastifyError = error as FastifyError & { validation?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown>; keyword: string }>; validationContext?: string };
  if (fastifyError?.validation) {
    const errors = withoutUnionNoise(fastifyError.validation.map((issue) => schemaIssue(fastifyError.validationContext ?? 'body', issue)));
    return {
      status: 400,
      code: 'VALIDATION_FAILED',
      title: ERROR_STATUS.VALIDATION_FAILED.title,
      detail: errors.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
      errors,
    };
  }
  const mapped = fastifyError?.code ? fastifyCodes[fastifyError.code] : undefined;
  if (mapped) {
    const { status, title } = ERROR_STATUS[mapped];
    const detail =
      mapped === 'BAD_REQUEST' ? 'the request body is not valid JSON' : mapped === 'PAYLOAD_TOO_LARGE' ? 'the request body is too large' : 'send the body as application/json';
    return { status, code: mapped, title, detail, errors: [] };
  }
  if (isStoreUnavailable(error)) {
    // Nothing was acknowledged: the statement was not run, or its outcome is unknown and the client must retry.
    const { status, title } = ERROR_STATUS.STORE_UNAVAILABLE;
    return { status, code: 'STORE_UNAVAILABLE', title, detail: `the database is unavailable; retry in ${STORE_RETRY_AFTER_SECONDS} s`, errors: [] };
  }
  const statusCode = fastifyError?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, code: 'BAD_REQUEST', title: ERROR_STATUS.BAD_REQUEST.title, detail: fastifyError.message, errors: [] };
  }
  return { status: 500, code: 'INTERNAL', title: ERROR_STATUS.INTERNAL.title, detail: 'an internal error occurred; the request id identifies it in the logs', errors: [] };
}

function schemaIssue(
  context: string,
  issue: { instancePath: string; message?: string; params?: Record<string, unknown>; keyword: string },
): FieldIssue {
  const path = issue.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
  const params = issue.params ?? {};
  if (issue.keyword === 'additionalProperties') {
    const field = [path, String(params.additionalProperty)].filter(Boolean).join('.');
    return { field: qualify(context, field), message: 'is not a known field' };
  }
  if (issue.keyword === 'required') {
    const field = [path, String(params.missingProperty)].filter(Boolean).join('.');
    return { field: qualify(context, field), message: 'is required' };
  }
  if (issue.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return { field: qualify(context, path || context), message: `must be one of ${params.allowedValues.join(', ')}` };
  }
  return { field: qualify(context, path || context), message: issue.message ?? 'is invalid' };
}

/**
 * A nullable field that fails reports three issues (wrong type, "must be null", "must match a
 * schema in anyOf"); keep the specific one.
 */
function withoutUnionNoise(all: FieldIssue[]): FieldIssue[] {
  const issues = mergedTypeIssues(all);
  const noise = new Set(['must be null', 'must match a schema in anyOf', 'must match exactly one schema in oneOf']);
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.field}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (!noise.has(issue.message)) return true;
    // A specific issue on the field itself or inside it (`inbound_agents[0].weight`) explains it.
    return !issues.some(
      (other) =>
        !noise.has(other.message) &&
        (other.field === issue.field || other.field.startsWith(`${issue.field}[`) || other.field.startsWith(`${issue.field}.`)),
    );
  });
}

/** `must be integer` and `must be string` for one field (a union of types) read as one issue. */
function mergedTypeIssues(issues: FieldIssue[]): FieldIssue[] {
  const types = new Map<string, string[]>();
  for (const issue of issues) {
    const match = /^must be (\w+)$/.exec(issue.message);
    if (match && ['string', 'integer', 'number', 'boolean', 'object', 'array'].includes(match[1]!)) {
      types.set(issue.field, [...(types.get(issue.field) ?? []), match[1]!]);
    }
  }
  const merged: FieldIssue[] = [];
  for (const issue of issues) {
    const alternatives = types.get(issue.field);
    if (alternatives && alternatives.length > 1 && /^must be \w+$/.test(issue.message)) {
      if (issue.message === `must be ${alternatives[0]}`) merged.push({ field: issue.field, message: `must be ${alternatives.join(' or ')}` });
      continue;
    }
    merged.push(issue);
  }
  return merged;
}

function qualify(context: string, field: string): string {
  // Body fields are named plainly (`nickname`); others say where they came from (`query.limit`,
  // `params.id`), in the words a client uses rather than Fastify's `querystring`.
  const where = context === 'querystring' ? 'query' : context;
  return context === 'body' ? field : field === context ? where : `${where}.${field}`;
}

/** RFC 9457 problem+json, the native and TopCalls error envelope. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    request_id: Type.String(),
    errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
  },
  {
    $id: 'Problem',
    description: 'RFC 9457 problem details',
    examples: [
      {
        type: 'https://switchboard.dev/errors/validation-failed',
        title: 'Validation Failed',
        status: 400,
        detail: 'sip.transport: must be one of TLS, TCP, UDP',
        code: 'VALIDATION_FAILED',
        request_id: 'req_019a8f3e-7c1d-7b2a-9f00-5d3c2b1a0e9f',
        errors: [{ field: 'sip.transport', message: 'must be one of TLS, TCP, UDP' }],
      },
    ],
  },
);

/** The RFC 9457 document of a problem; dialects that rename `errors[].field` start from it. */
export function problemDocument(request: FastifyRequest, problem: Problem) {
  return {
    type: `https://switchboard.dev/errors/${problem.code.toLowerCase().replace(/_/g, '-')}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
    request_id: request.id,
    errors: problem.errors,
  };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem) {
  return reply.code(problem.status).type('application/problem+json').send(problemDocument(request, problem));
}
