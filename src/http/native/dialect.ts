import type { Dialect } from '../dialect.ts';
import { ProblemSchema, sendProblem } from '../problem.ts';

/**
 * RFC 9457 problem+json in the core's own field names. Installed on the root app, so it also
 * answers for the routing API, health, the API docs and unknown paths.
 */
export const nativeDialect: Dialect = { errorSchema: ProblemSchema, sendError: sendProblem };
