import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../services/context.ts';
import { UnauthorizedError } from '../services/errors.ts';
import type { Services } from '../services/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    /** What the request's key resolved to, once looked up (`withCredential`); undefined before. */
    credential: Credential | Promise<Credential> | undefined;
  }
}

/** The bearer secret of `Authorization: Bearer <key>`, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** What a request's key resolved to: its actor, or the error `requireApiKey` reports. */
type Credential = Actor | Error;

/**
 * Declares the request fields auth sets, on the root app: fields every request object is built
 * with keep requests of one shape (a field added later changes it per request), and need no
 * side table (a WeakMap entry per request was garbage the collector had to trace).
 */
export function decorateRequestsForAuth(app: FastifyInstance): void {
  // Undefined until `requireApiKey` (or a handler) sets it: public routes never have one.
  app.decorateRequest('actor', undefined as unknown as Actor);
  app.decorateRequest('credential', undefined);
}

/**
 * The actor of the request's bearer key, looked up once per request: the rate limiter (which
 * keys on it) and `requireApiKey` share the answer. Calls back at once, without a promise or a
 * microtask turn, when the service knows the key without the store (cached, or no key at all);
 * the store is asked otherwise.
 */
export function withCredential(request: FastifyRequest, services: Services, callback: (credential: Credential) => void): void {
  const known = request.credential;
  if (known instanceof Promise) {
    void known.then(callback);
    return;
  }
  if (known !== undefined) {
    callback(known);
    return;
  }
  const token = bearerToken(request);
  const actor = services.workspaces.knownActor(token);
  if (actor !== undefined) {
    const credential = actor ?? new UnauthorizedError();
    request.credential = credential;
    callback(credential);
    return;
  }
  const pending = services.workspaces.authenticate(token).then(
    (found): Credential => found,
    (error: unknown): Credential => (error instanceof Error ? error : new Error(String(error))),
  );
  request.credential = pending;
  void pending.then((credential) => {
    request.credential = credential;
    callback(credential);
  });
}

/** The promise form of `withCredential`, for handlers; rejects with UnauthorizedError. */
export function actorOf(request: FastifyRequest, services: Services): Promise<Actor> {
  return new Promise((resolve, reject) => withCredential(request, services, (credential) => (credential instanceof Error ? reject(credential) : resolve(credential))));
}

/**
 * Requires a valid API key on every route of the plugin it is called in. Runs on `onRequest`,
 * before the body is read, so an unauthenticated caller cannot make us parse anything.
 * Callback-style: an async hook costs a promise and a microtask turn on every request.
 */
export function requireApiKey(app: FastifyInstance, services: Services): void {
  app.addHook('onRequest', (request, _reply, done) => {
    withCredential(request, services, (credential) => {
      if (credential instanceof Error) {
        done(credential);
        return;
      }
      request.actor = credential;
      done();
    });
  });
}
