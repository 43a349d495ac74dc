import type { FastifyInstance, FastifyReply, onSendAsyncHookHandler, preHandlerAsyncHookHandler } from 'fastify';
import type { Services } from '../services/index.ts';
import { requestFingerprint } from '../services/idempotency.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Opt a route into `Idempotency-Key` handling: `config: { idempotent: true }`. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotency: IdempotencyState | null;
  }
}

type IdempotencyState = { replayed: true } | { replayed: false; workspaceId: string; key: string; token: string };

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * Fingerprints (`requestFingerprint`) of requests whose body was decoded off the main thread, and
 * fingerprinted there from the same decoded body (a large bulk import, src/http/native/bulk-body.ts).
 */
export const bodyFingerprints = new WeakMap<object, string>();
export const REPLAYED_HEADER = 'idempotent-replayed';
/** The response headers a replay repeats; the rest (request id, date) describe the new exchange. */
const REPLAYED_HEADERS = ['content-type', 'location', 'etag', 'cache-control'];

const headerDoc = {
  type: 'string',
  description:
    'Optional. 8-255 characters of `A-Za-z0-9_-`. A retry with the same key and the same request gets the first response again (header `Idempotent-Replayed: true`) for 24 h; the same key with a different request is 422, and while the first request is still running 409. Keys are per workspace.',
};

/**
 * Registered once on the root app, before the API plugins. Routes opt in with
 * `config: { idempotent: true }`; the route must be authenticated (keys are per workspace).
 *
 * The key is claimed in preHandler, i.e. after authentication and schema validation: like
 * Stripe, a request rejected by its schema never ran, so nothing is stored for it. Every
 * response of a request that ran is stored (2xx and 4xx), except 5xx: the claim is released
 * and a retry runs again.
 */
export function registerIdempotency(app: FastifyInstance, services: Services): void {
  app.decorateRequest('idempotency', null);

  // Opted-in routes get the header documented in the OpenAPI document and the two hooks below as
  // route-level hooks: every other route (reads, routing decisions) pays nothing for them.
  app.addHook('onRoute', (route) => {
    if (!route.config?.idempotent) return;
    const schema = (route.schema ??= {}) as { headers?: { type?: string; properties?: Record<string, unknown> } };
    schema.headers = { ...schema.headers, type: 'object', properties: { ...schema.headers?.properties, [IDEMPOTENCY_HEADER]: headerDoc } };
    route.preHandler = [route.preHandler ?? []].flat().concat(claimKey);
    route.onSend = [route.onSend ?? []].flat().concat(storeResponse);
  });

  const claimKey: preHandlerAsyncHookHandler = async function (request, reply) {
    const key = request.headers[IDEMPOTENCY_HEADER];
    if (key === undefined || !request.actor) return;
    const workspaceId = request.actor.workspaceId;
    const claim = await services.idempotency.claim(
      workspaceId,
      String(key),
      bodyFingerprints.get(request) ?? requestFingerprint(request.method, request.url, request.body),
    );
    if (claim.kind === 'replay') {
      request.idempotency = { replayed: true };
      return replay(reply, claim.response);
    }
    request.idempotency = { replayed: false, workspaceId, key: String(key), token: claim.token };
  };

  const storeResponse: onSendAsyncHookHandler = async function (request, reply, payload) {
    const state = request.idempotency;
    if (!state || state.replayed) return payload;
    request.idempotency = null;
    const { workspaceId, key, token } = state;
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
    try {
      if (reply.statusCode >= 500 || body === null) {
        await services.idempotency.release(workspaceId, key, token);
      } else {
        await services.idempotency.complete(workspaceId, key, token, { status: reply.statusCode, headers: keptHeaders(reply), body });
      }
    } catch (error) {
      // The response itself is fine; only its replay is lost. The claim goes stale and a retry can take it over.
      request.log.error({ err: error }, 'could not store the idempotent response');
    }
    return payload;
  };
}

function keptHeaders(reply: FastifyReply): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) kept[name] = String(value);
  }
  return kept;
}

function replay(reply: FastifyReply, response: { status: number; headers: Record<string, string>; body: string }) {
  // A string body with a JSON content type is sent as is, without the route's serializer: byte for byte.
  return reply.code(response.status).headers(response.headers).header(REPLAYED_HEADER, 'true').send(response.body);
}

