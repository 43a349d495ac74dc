import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError } from '../services/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * True when the JSON body was parsed without any `\u` escape: such a body holds no NUL and no
     * lone surrogate, so the app's walk over parsed values (app.ts) can skip it.
     */
    bodyWithoutEscapes: boolean;
  }
}

/**
 * Parses `application/json` bodies for `app` (and the routes it encapsulates). The body is read as
 * bytes and must be valid UTF-8: decoded as a string first, invalid bytes would become U+FFFD and
 * be stored as text the client never sent. No field of any dialect carries a NUL character and
 * PostgreSQL text cannot store one: it is refused here instead of failing a query with a 500.
 *
 * An empty body is `emptyBody(request)`: by default nothing on a route without a body schema (many
 * clients send `Content-Type: application/json` on every request, DELETEs included) and a 400 on
 * one that takes a body; a dialect whose SDK sends no body for "all defaults" passes `() => ({})`.
 */
export function registerJsonBodies(app: FastifyInstance, emptyBody: (request: FastifyRequest) => object | undefined | null = noBodyUnlessTaken): void {
  // Once, on the outermost app that parses bodies: every request object is built with the field.
  if (!app.hasRequestDecorator('bodyWithoutEscapes')) app.decorateRequest('bodyWithoutEscapes', false);
  const parseJson = app.getDefaultJsonParser('error', 'error');
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
    if (!isUtf8(bytes)) {
      done(new ValidationError([{ field: 'body', message: 'must be valid UTF-8 (the request body holds bytes that are not)' }]), undefined);
      return;
    }
    const text = bytes.toString('utf8');
    // NUL and lone surrogates can only be written as `\u` escapes in valid UTF-8 JSON (a raw
    // control character is a JSON syntax error, a surrogate cannot be encoded in UTF-8): a body
    // without any escape needs no walk over its parsed values.
    if (!text.includes('\\u')) request.bodyWithoutEscapes = true;
    else if (text.includes('\\u0000')) {
      done(new ValidationError([{ field: 'body', message: 'must not contain NUL (\\u0000) characters' }]), undefined);
      return;
    }
    void parseJson(request, text, done);
  });
}

/** No body on a route that takes none; null (parse it, and fail as malformed JSON) on one that does. */
function noBodyUnlessTaken(request: FastifyRequest): undefined | null {
  return request.routeOptions.schema?.body === undefined ? undefined : null;
}
