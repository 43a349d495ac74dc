/**
 * Errors the services raise. They know nothing of HTTP: each transport maps `code` to its own
 * status and envelope (see src/http/problem.ts).
 */
export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `inbound_agents[1].weight` or `sip.transport`. */
  field: string;
  message: string;
}

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'UNPROCESSABLE'
  | 'NO_NUMBER_AVAILABLE'
  | 'RATE_LIMITED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'PROVIDER_AUTH_FAILED'
  | 'PROVIDER_TIMEOUT'
  | 'PROVIDER_UNAVAILABLE';

export class ServiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends ServiceError {
  constructor(issues: FieldIssue[], message?: string) {
    super('VALIDATION_FAILED', message ?? issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '), issues);
  }

  static field(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class NotFoundError extends ServiceError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export class ConflictError extends ServiceError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super('CONFLICT', message, issues);
  }
}

export class PreconditionFailedError extends ServiceError {
  constructor(message: string) {
    super('PRECONDITION_FAILED', message);
  }
}

export class UnauthorizedError extends ServiceError {
  constructor(message = 'missing or invalid API key') {
    super('UNAUTHORIZED', message);
  }
}

export class ForbiddenError extends ServiceError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** Buying found no number matching the request in the stock (a client-side condition: ask for something else). */
export class NoNumberAvailableError extends ServiceError {
  constructor(message: string) {
    super('NO_NUMBER_AVAILABLE', message);
  }
}

/**
 * A carrier (Twilio, Telnyx) could not do what was asked: it rejected the configured credentials,
 * did not answer in time, or failed. The message names the carrier and the setting to check,
 * never a credential or the carrier's raw response.
 */
export class ProviderError extends ServiceError {
  constructor(code: 'PROVIDER_AUTH_FAILED' | 'PROVIDER_TIMEOUT' | 'PROVIDER_UNAVAILABLE', message: string) {
    super(code, message);
  }
}

/**
 * True when the store could not be reached or lost the connection mid-statement: nothing was
 * acknowledged, the client is to retry (transports answer 503 with Retry-After).
 */
export { isConnectionLost as isStoreUnavailable } from '../db/resilient-pool.ts';
