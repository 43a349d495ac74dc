import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FieldIssue } from '../services/errors.ts';
import { STORE_RETRY_AFTER_SECONDS, toProblem, type Problem, type ProblemCode } from './problem.ts';

/**
 * The dialect kit. Every API the server speaks (native, Retell, Synthflow, TopCalls) fails the
 * same way: whatever a handler, hook or schema throws becomes a Problem (5xx masked and logged),
 * its fields are renamed into the dialect's words, and the dialect's renderer puts it on the wire.
 * A dialect only says how its envelope looks and what it calls the core's fields.
 */
export interface Dialect {
  /** The envelope's schema (with an `$id`): registered with the dialect, referenced by `errorResponses`. */
  errorSchema: TSchema;
  /** Puts a problem on the wire in the dialect's envelope: status, headers and body. */
  sendError(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply;
  /**
   * Core field name (or path prefix: `gateways[0]` covers `gateways[0].port`) → the dialect's name,
   * for every route; a route adds its own with `config.fieldNames`, a handler with `useFieldNames`.
   * Absent: the dialect speaks the core's names, and problems keep their words as thrown.
   */
  fieldNames?: FieldNames;
  /** Name query and path fields bare (`limit`, not `query.limit`) before renaming, as Retell does. */
  bareFieldNames?: boolean;
}

export type FieldNames = Readonly<Record<string, string>>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route's core field names → the dialect's (added to the dialect's own table). */
    fieldNames?: FieldNames;
  }
}

const requestFieldNames = new WeakMap<FastifyRequest, FieldNames>();

/**
 * From here on, this request's errors name core fields by `names`. For names that depend on the
 * request (Synthflow: which of two aliases the client sent), and for renaming only what a service
 * says, not what the route's schema already reported in the client's own words: call it just
 * before the service call.
 */
export function useFieldNames(request: FastifyRequest, names: FieldNames): void {
  requestFieldNames.set(request, names);
}

/** Seconds a client is asked to wait (`Retry-After`) before retrying a failure that may well pass then. */
const RETRY_AFTER_SECONDS: Partial<Record<ProblemCode, number>> = {
  STORE_UNAVAILABLE: STORE_RETRY_AFTER_SECONDS,
  // A carrier that failed or timed out may well answer a little later.
  PROVIDER_AUTH_FAILED: 5,
  PROVIDER_UNAVAILABLE: 5,
  PROVIDER_TIMEOUT: 5,
};

/** Registers the dialect's envelope and its error and not-found handlers on a plugin (or the root app). */
export function useDialect(app: FastifyInstance, dialect: Dialect): void {
  app.addSchema(dialect.errorSchema);
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    const retryAfter = RETRY_AFTER_SECONDS[problem.code];
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    return dialect.sendError(request, reply, inDialect(dialect, request, problem));
  });
  app.setNotFoundHandler((request, reply) =>
    dialect.sendError(request, reply, {
      status: 404,
      code: 'NOT_FOUND',
      title: 'Not Found',
      detail: `no route for ${request.method} ${request.url.split('?')[0]}`,
      errors: [],
    }),
  );
}

/** The `response` entries of a route's error statuses, each the dialect's envelope. */
export function errorResponses(dialect: Dialect, ...statuses: number[]) {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref(dialect.errorSchema)]));
}

/** The problem in the dialect's field names; a validation failure's detail lists the renamed fields. */
function inDialect(dialect: Dialect, request: FastifyRequest, problem: Problem): Problem {
  if (!dialect.fieldNames) return problem;
  const names = { ...dialect.fieldNames, ...request.routeOptions.config?.fieldNames, ...requestFieldNames.get(request) };
  const errors = renamed(
    dialect.bareFieldNames ? problem.errors.map((issue) => ({ ...issue, field: issue.field.replace(/^(query|querystring|params)\./, '') })) : problem.errors,
    names,
  );
  const detail = problem.code === 'VALIDATION_FAILED' && errors.length > 0 ? errors.map((issue) => `${issue.field}: ${issue.message}`).join('; ') : problem.detail;
  return { ...problem, detail, errors };
}

/** Renames each `field` (or its longest matching prefix) by the table; anything else keeps its name. */
function renamed(issues: FieldIssue[], names: FieldNames): FieldIssue[] {
  const prefixes = Object.keys(names).sort((a, b) => b.length - a.length);
  if (prefixes.length === 0) return issues;
  return issues.map((issue) => {
    const from = prefixes.find((prefix) => issue.field === prefix || issue.field.startsWith(`${prefix}.`) || issue.field.startsWith(`${prefix}[`));
    return from === undefined ? issue : { ...issue, field: names[from] + issue.field.slice(from.length) };
  });
}
