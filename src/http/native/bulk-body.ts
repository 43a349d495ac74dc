import { Type, type Static } from '@sinclair/typebox';
import { ValidationError, type FieldIssue } from '../../services/errors.ts';
import { requestFingerprint } from '../../services/idempotency.ts';
import { PhoneNumberImportSchema } from '../schemas/phone-number.ts';
import { decodeJson, unstorableText } from '../json-body.ts';
import { bodyValidator } from '../validators.ts';

export const MAX_BULK_ITEMS = 10_000;

/** The body of `POST /v1/phone-numbers/bulk`. */
export const BulkImportBody = Type.Object({ items: Type.Array(PhoneNumberImportSchema, { minItems: 1, maxItems: MAX_BULK_ITEMS }) }, { additionalProperties: false });

/**
 * Bodies of at least this many bytes (≈ 300 numbers) are decoded on the bulk-import worker thread
 * where there is one: parsing and validating 10,000 numbers (2 MB) took 50-150 ms of the event
 * loop; a body this size takes ≈ 2 ms, less than the trip to the worker and back.
 */
export const DEFER_BULK_BODY_BYTES = 64 * 1024;

/** What the route asks of the decoder besides the items: the Idempotency-Key fingerprint, when the request names a key. */
export interface BulkBodyRequest {
  fingerprint?: { method: string; url: string };
  /** Unstorable text already found in the URL (json-body.ts `deferredUrlIssues`): reported with the body's. */
  urlIssues?: FieldIssue[];
}

let validate: ReturnType<typeof bodyValidator> | undefined;

/**
 * A bulk body's bytes to the items, by exactly the steps of the main thread's path: the JSON body
 * rules (json-body.ts: UTF-8, NUL, prototype poisoning), the walk for unstorable text of the app's
 * preValidation hook (with what it found in the URL), then the route's schema with the app's Ajv options. Runs on the bulk-import
 * worker thread (src/bulk-import-worker.ts); throws what the request fails with, in the shape the
 * dialect's error handler formats (a ServiceError, Fastify's JSON error, or a validation error with
 * `validation` and `validationContext: 'body'`, as Fastify's own validation throws it).
 */
export function decodeBulkBody(bytes: Uint8Array, request: BulkBodyRequest): { items: unknown[]; fingerprint?: string } {
  const { value, escaped } = decodeJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  // The URL's issues first, then the body's (the walk stops at 20 in all), as the app's hook reports them.
  const issues: FieldIssue[] = [...(request.urlIssues ?? [])];
  if (escaped) unstorableText(value, '', issues);
  if (issues.length > 0) throw new ValidationError(issues);
  validate ??= bodyValidator(BulkImportBody);
  const errors = validate(value);
  if (errors) {
    throw Object.assign(new Error(errors.map((e) => `body${e.instancePath} ${e.message}`).slice(0, 20).join(', ')), {
      statusCode: 400,
      code: 'FST_ERR_VALIDATION',
      validation: errors,
      validationContext: 'body',
    });
  }
  const body = value as Static<typeof BulkImportBody>;
  const { fingerprint } = request;
  return { items: body.items, ...(fingerprint ? { fingerprint: requestFingerprint(fingerprint.method, fingerprint.url, body) } : {}) };
}
