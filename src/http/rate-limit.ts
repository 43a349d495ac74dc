import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import type { Services } from '../services/index.ts';
import { ServiceError } from '../services/errors.ts';
import { actorOf } from './auth.ts';

export interface RateLimitSettings {
  perMinute: number;
  /** Counters in this Redis, shared by every instance; unset: in this process's memory. */
  redisUrl?: string | undefined;
  redisKeyPrefix: string;
}

/** A Redis away is reported this often at most (each request would otherwise log it). */
const WARNING_INTERVAL_MS = 60_000;
/** A Redis that does not answer in time is treated as away: the request is served, not held. */
const REDIS_COMMAND_TIMEOUT_MS = 250;

/**
 * Per-key rate limits with the IETF draft headers (`RateLimit-Limit`, `RateLimit-Remaining`,
 * `RateLimit-Reset`, and `Retry-After` on 429). The bucket is the API key id, so one noisy key
 * never slows another workspace; requests without a valid key share their client IP's bucket
 * (a made-up token does not buy a fresh bucket). Runs on `onRequest` before any dialect
 * authenticates, and throws a ServiceError, so every dialect renders the 429 in its own envelope.
 *
 * With Redis the counters are shared, so N instances allow the configured rate in total (one
 * fixed window per key, started by its first request). When Redis cannot be reached requests are
 * served (fail open: a rate limit must not take the service down with it) and a warning is
 * logged once a minute.
 */
export async function registerRateLimit(app: FastifyInstance, services: Services, settings: RateLimitSettings): Promise<void> {
  const redis = settings.redisUrl ? await sharedCounters(app, settings.redisUrl) : null;
  await app.register(rateLimit, {
    global: false,
    enableDraftSpec: true,
    max: settings.perMinute,
    timeWindow: 60_000,
    ...(redis ? { redis, nameSpace: `${settings.redisKeyPrefix}rate-limit:`, skipOnError: true } : {}),
    keyGenerator: async (request) => {
      try {
        return `key:${(await actorOf(request, services)).keyId}`;
      } catch {
        return `ip:${request.ip}`;
      }
    },
    errorResponseBuilder: (_request, context) =>
      new ServiceError('RATE_LIMITED', `rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}`),
  });
  app.addHook('onRequest', app.rateLimit());
}

/**
 * The Redis connection of the counters, connected before the server serves (a request counted
 * nowhere would let the total run over). The rate-limit store sees a view of it whose counting
 * command reports its failures: the store itself skips them silently.
 */
async function sharedCounters(app: FastifyInstance, url: string): Promise<Redis> {
  const warn = onceAMinute(app.log);
  const redis = new Redis(url, {
    lazyConnect: true,
    // Fail at once while disconnected instead of queueing requests behind a Redis that is away.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  redis.on('error', warn);
  app.addHook('onClose', async () => {
    redis.disconnect();
  });
  await redis.connect().catch(warn);
  return new Proxy(redis, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== 'rateLimit' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const callback = args.pop() as (error: Error | null, result?: unknown) => void;
        return (value as (...all: unknown[]) => unknown).call(target, ...args, (error: Error | null, result?: unknown) => {
          if (error) warn(error);
          callback(error, result);
        });
      };
    },
  });
}

function onceAMinute(log: FastifyBaseLogger): (error: unknown) => void {
  let last = -Infinity;
  return (error) => {
    const now = Date.now();
    if (now - last < WARNING_INTERVAL_MS) return;
    last = now;
    log.warn({ err: error }, 'Redis unreachable: rate limits are not enforced until it answers again (requests are served)');
  };
}
