import { isUtf8 } from 'node:buffer';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import secureJsonParse from 'secure-json-parse';
import { ValidationError, type FieldIssue } from '../services/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * True when the body needs no walk over its parsed values by the app's preValidation hook
     * (`unstorableText`): the parser saw no `\u` escape in it (such a body holds no NUL and no
     * lone surrogate), or it was left as bytes for a later decode by these same rules
     * (`deferredBodies`). A field, not a WeakSet entry per request: it is read on every request.
     */
    bodyWithoutEscapes: boolean;
  }
}

/** Requests whose body is still the bytes sent: see `registerJsonBodies`'s `deferFromBytes`. */
export const deferredBodies = new WeakSet<object>();

/**
 * Unstorable text the app's preValidation hook found in the URL (params, query) of a request whose
 * body is deferred: handed on with the body to where it is decoded and walked, so that both are
 * reported together (the URL's issues first, 20 at most), as for a body parsed here.
 */
export const deferredUrlIssues = new WeakMap<object, FieldIssue[]>();

/** A JSON body decoded by the rules below: the value, and whether its text held any `\u` escape. */
export interface DecodedJson {
  value: unknown;
  escaped: boolean;
}

/**
 * Decodes a JSON body's bytes, or throws the error the request fails with. The bytes must be valid
 * UTF-8: decoded as a string first, invalid bytes would become U+FFFD and be stored as text the
 * client never sent. No field of any dialect carries a NUL character and PostgreSQL text cannot
 * store one: it is refused here instead of failing a query with a 500. `__proto__` and
 * `constructor.prototype` keys are refused (prototype poisoning), as by Fastify's own parser.
 *
 * The one decoder of JSON bodies: the app's content-type parser below, and the bulk-import worker
 * thread for the large bodies it is handed as bytes (src/http/native/bulk-body.ts).
 */
export function decodeJson(bytes: Buffer): DecodedJson {
  if (!isUtf8(bytes)) throw new ValidationError([{ field: 'body', message: 'must be valid UTF-8 (the request body holds bytes that are not)' }]);
  const text = bytes.toString('utf8');
  // NUL and lone surrogates can only be written as `\u` escapes in valid UTF-8 JSON (a raw
  // control character is a JSON syntax error, a surrogate cannot be encoded in UTF-8): a body
  // without any escape needs no walk over its parsed values.
  const escaped = text.includes('\\u');
  if (escaped && text.includes('\\u0000')) throw new ValidationError([{ field: 'body', message: 'must not contain NUL (\\u0000) characters' }]);
  if (text.length === 0) throw new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY();
  try {
    return { value: secureJsonParse.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }), escaped };
  } catch {
    throw new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
  }
}

/**
 * Parses `application/json` bodies for `app` (and the routes it encapsulates) with `decodeJson`.
 *
 * An empty body is `emptyBody(request)`: by default nothing on a route without a body schema (many
 * clients send `Content-Type: application/json` on every request, DELETEs included) and a 400 on
 * one that takes a body; a dialect whose SDK sends no body for "all defaults" passes `() => ({})`.
 *
 * With `deferFromBytes`, a body of at least that many bytes is left as the Buffer (the request in
 * `deferredBodies`, its `bodyWithoutEscapes` set) for the route to have it decoded elsewhere by `decodeJson`
 * (the bulk import, on its worker thread). The body limit applies as to any other body.
 */
export function registerJsonBodies(
  app: FastifyInstance,
  emptyBody: (request: FastifyRequest) => object | undefined | null = noBodyUnlessTaken,
  { deferFromBytes }: { deferFromBytes?: number } = {},
): void {
  // Once, on the outermost app that parses bodies: every request object is built with the field.
  if (!app.hasRequestDecorator('bodyWithoutEscapes')) app.decorateRequest('bodyWithoutEscapes', false);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length === 0) {
      const empty = emptyBody(request);
      if (empty !== null) {
        done(null, empty);
        return;
      }
    }
    if (deferFromBytes !== undefined && bytes.length >= deferFromBytes) {
      deferredBodies.add(request);
      request.bodyWithoutEscapes = true;
      done(null, bytes);
      return;
    }
    let decoded: DecodedJson;
    try {
      decoded = decodeJson(bytes);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    if (!decoded.escaped) request.bodyWithoutEscapes = true;
    done(null, decoded.value);
  });
}

/** No body on a route that takes none; null (parse it, and fail as malformed JSON) on one that does. */
function noBodyUnlessTaken(request: FastifyRequest): undefined | null {
  return request.routeOptions.schema?.body === undefined ? undefined : null;
}

/**
 * Adds to `issues` the strings (values and keys) anywhere in a parsed request part that contain
 * NUL or a lone surrogate: text the store cannot keep exactly (a lone UTF-16 surrogate would be
 * stored as U+FFFD, silently changed data; NUL fails PostgreSQL). At most 20 issues.
 */
export function unstorableText(root: unknown, prefix: string, issues: FieldIssue[]): void {
  // Most requests: no params or query at all.
  if (root === undefined || root === null || (typeof root === 'object' && isEmpty(root))) return;
  const stack: Array<[unknown, string]> = [[root, prefix]];
  while (stack.length > 0 && issues.length < 20) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      const rule = brokenRule(value);
      if (rule) issues.push({ field: path || 'body', message: `must not contain ${rule}` });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push([item, `${path}[${index}]`]));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const field = path ? `${path}.${key}` : key;
        const rule = brokenRule(key);
        if (rule) issues.push({ field: path || 'body', message: `field names must not contain ${rule}` });
        stack.push([item, field]);
      }
    }
  }
}

function isEmpty(value: object): boolean {
  for (const _key in value) return false;
  return true;
}

/** A `%` escape, NUL or a surrogate anywhere in the URL: only then can params or query hold NUL or a lone surrogate. */
export const URL_MAY_HOLD_UNSTORABLE = /[%\u0000\uD800-\uDFFF]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The rule the text breaks, in the words of the error message; null when it is storable. */
function brokenRule(text: string): string | null {
  if (text.includes('\u0000')) return 'NUL characters';
  // A `\uD83D` escape without its pair is no character at all: UTF-8 cannot encode it.
  if (LONE_SURROGATE.test(text)) return 'unpaired UTF-16 surrogate escapes (a \\uD800-\\uDFFF escape must be half of a pair)';
  return null;
}
