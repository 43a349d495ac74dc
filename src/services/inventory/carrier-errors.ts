import { ProviderError } from '../errors.ts';

/**
 * What went wrong in one carrier request, stripped of everything but the facts a client may see.
 * The SDKs' own errors carry the request (axios keeps the Authorization header in `config`), so
 * they are never rethrown, logged or attached as a cause: only this summary leaves the adapter.
 */
export interface CarrierFailure {
  /** HTTP status the carrier answered with; undefined when it did not answer. */
  status?: number | undefined;
  /** The carrier's own error code (Twilio 21422, Telnyx "10009"), when it sent one. */
  code?: string | undefined;
  timedOut?: boolean;
}

export interface CarrierLabel {
  /** `Twilio`, `Telnyx`. */
  title: string;
  /** The settings to check when the credentials are rejected. */
  credentialSettings: string;
  timeoutMs: number;
}

/** The ServiceError a client gets for a carrier failure: 502 `PROVIDER_AUTH_FAILED` / `PROVIDER_UNAVAILABLE`, 504 `PROVIDER_TIMEOUT`. */
export function providerErrorFor(label: CarrierLabel, failure: CarrierFailure): ProviderError {
  if (failure.timedOut) return new ProviderError('PROVIDER_TIMEOUT', `${label.title} did not answer within ${label.timeoutMs} ms; try again later`);
  if (failure.status === 401 || failure.status === 403) {
    return new ProviderError('PROVIDER_AUTH_FAILED', `${label.title} rejected the configured credentials (check ${label.credentialSettings})`);
  }
  return new ProviderError(
    'PROVIDER_UNAVAILABLE',
    failure.status === undefined ? `${label.title} could not be reached; try again later` : `${label.title} failed (HTTP ${failure.status}${failure.code ? `, code ${failure.code}` : ''}); try again later`,
  );
}
