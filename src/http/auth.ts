import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../services/context.ts';
import { UnauthorizedError } from '../services/errors.ts';
import type { Services } from '../services/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
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
const resolved = new WeakMap<FastifyRequest, Credential | Promise<Credential>>();

/**
 * The actor of the request's bearer key, looked up once per request: the rate limiter (which
 * keys on it) and `requireApiKey` share the answer. Calls back at once, without a promise or a
 * microtask turn, when the service knows the key without the store (cached, or no key at all);
 * the store is asked otherwise.
 */
export function withCredential(request: FastifyRequest, services: Services, callback: (credential: Credential) => void): void {
  const known = resolved.get(request);
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
    resolved.set(request, credential);
    callback(credential);
    return;
  }
  const pending = services.workspaces.authenticate(token).then(
    (found): Credential => found,
    (error: unknown): Credential => (error instanceof Error ? error : new Error(String(error))),
  );
  resolved.set(request, pending);
  void pending.then((credential) => {
    resolved.set(request, credential);
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
