import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../services/context.ts';
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

const resolved = new WeakMap<FastifyRequest, Promise<Actor>>();

/**
 * The actor of the request's bearer key, looked up once per request: the rate limiter (which
 * keys on it) and `requireApiKey` share the answer. Rejects with UnauthorizedError.
 */
export function actorOf(request: FastifyRequest, services: Services): Promise<Actor> {
  let actor = resolved.get(request);
  if (!actor) {
    actor = services.workspaces.authenticate(bearerToken(request));
    // The rate limiter may look first and ignore a failure; the auth hook reports it.
    actor.catch(() => undefined);
    resolved.set(request, actor);
  }
  return actor;
}

/**
 * Requires a valid API key on every route of the plugin it is called in. Runs on `onRequest`,
 * before the body is read, so an unauthenticated caller cannot make us parse anything.
 */
export function requireApiKey(app: FastifyInstance, services: Services): void {
  app.addHook('onRequest', async (request) => {
    request.actor = await actorOf(request, services);
  });
}
