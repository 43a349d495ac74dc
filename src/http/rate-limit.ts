import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import type { Services } from '../services/index.ts';
import { ServiceError } from '../services/errors.ts';
import { withCredential } from './auth.ts';

export interface RateLimitSettings {
  perMinute: number;
  /** Counters in this Redis, shared by every instance; unset: in this process's memory. */
  redisUrl?: string | undefined;
  redisKeyPrefix: string;
}

const WINDOW_MS = 60_000;
/** A Redis away is reported this often at most (each request would otherwise log it). */
const WARNING_INTERVAL_MS = 60_000;
/** A Redis that does not answer in time is treated as away: the request is served, not held. */
const REDIS_COMMAND_TIMEOUT_MS = 250;

/** One request counted in its bucket's fixed window: the count so far and the ms left in the window. */
interface Count {
  current: number;
  ttlMs: number;
}

/**
 * Where the counters live: this process (answers at once) or Redis (answers later). `null`: the
 * request could not be counted (Redis away or too slow) and is served without RateLimit headers,
 * which would only be guesses.
 */
type Counter = (key: string, request: FastifyRequest, callback: (count: Count | null) => void) => void;

/**
 * Per-key rate limits with the IETF draft headers (`RateLimit-Limit`, `RateLimit-Remaining`,
 * `RateLimit-Reset`, and `Retry-After` on 429). The bucket is the API key id, so one noisy key
 * never slows another workspace; requests without a valid key share their client IP's bucket
 * (a made-up token does not buy a fresh bucket). Runs on `onRequest` before any dialect
 * authenticates, and fails the request with a ServiceError, so every dialect renders the 429 in
 * its own envelope.
 *
 * In memory the count is taken inline, in a callback-style hook, from the key the auth cache
 * already resolved: @fastify/rate-limit's async hook (an awaited key generator, a promise around
 * the store) was 7-10 µs of every request (BENCHMARKS.md). With Redis the counters are shared, so
 * N instances allow the configured rate in total (one fixed window per key, started by its first
 * request), counted by the library's Redis store. When Redis cannot be reached requests are served
 * (fail open: a rate limit must not take the service down with it) and a warning is logged once a
 * minute.
 */
export async function registerRateLimit(app: FastifyInstance, services: Services, settings: RateLimitSettings): Promise<void> {
  const max = settings.perMinute;
  const count = settings.redisUrl ? await redisCounter(app, settings) : memoryCounter();
  app.addHook('onRequest', (request, reply, done) => {
    withCredential(request, services, (credential) => {
      const key = credential instanceof Error ? `ip:${request.ip}` : `key:${credential.keyId}`;
      count(key, request, (counted) => done(counted ? announce(reply, max, counted.current, counted.ttlMs) : undefined));
    });
  });
}

/** Sets the headers of a counted request; the 429 error when it is over the limit. */
function announce(reply: FastifyReply, max: number, current: number, ttlMs: number): ServiceError | undefined {
  const resetSeconds = Math.ceil(ttlMs / 1000);
  reply.header('ratelimit-limit', max);
  reply.header('ratelimit-reset', resetSeconds);
  if (current <= max) {
    reply.header('ratelimit-remaining', max - current);
    return undefined;
  }
  reply.header('ratelimit-remaining', 0);
  reply.header('retry-after', resetSeconds);
  return new ServiceError('RATE_LIMITED', `rate limit of ${max} requests per minute exceeded; retry in ${inWords(resetSeconds)}`);
}

/** "59 seconds", "1 minute": as the 429 message has always said it. */
function inWords(seconds: number): string {
  if (seconds >= 60 && seconds % 60 === 0) return seconds === 60 ? '1 minute' : `${seconds / 60} minutes`;
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

/**
 * Fixed windows in this process, as @fastify/rate-limit's in-memory store counts them: a key's
 * window starts with its first request and the count starts over once it has passed. Windows
 * that have passed are dropped once per window, so the map holds the keys of the last minute.
 */
function memoryCounter(): Counter {
  const windows = new Map<string, { current: number; startedAt: number }>();
  let sweptAt = Date.now();
  return (key, _request, callback) => {
    const now = Date.now();
    if (now - sweptAt >= WINDOW_MS) {
      sweptAt = now;
      for (const [bucket, window] of windows) if (now - window.startedAt >= WINDOW_MS) windows.delete(bucket);
    }
    let window = windows.get(key);
    if (window === undefined || now - window.startedAt >= WINDOW_MS) {
      window = { current: 0, startedAt: now };
      windows.set(key, window);
    }
    window.current++;
    callback({ current: window.current, ttlMs: WINDOW_MS - (now - window.startedAt) });
  };
}

/**
 * Counters in Redis through @fastify/rate-limit's Redis store (one atomic script per request),
 * registered without its hook: the count is asked for here, so headers and errors are the same
 * as in memory. A failed count serves the request, uncounted and without RateLimit headers (the
 * store's own skipOnError would report it as a count of 0 with the whole limit remaining).
 */
async function redisCounter(app: FastifyInstance, settings: RateLimitSettings): Promise<Counter> {
  const redis = await sharedCounters(app, settings.redisUrl!);
  const keys = new WeakMap<FastifyRequest, string>();
  await app.register(rateLimit, {
    global: false,
    max: settings.perMinute,
    timeWindow: WINDOW_MS,
    redis,
    nameSpace: `${settings.redisKeyPrefix}rate-limit:`,
    skipOnError: false,
    keyGenerator: (request) => keys.get(request)!,
  });
  const check = app.createRateLimit();
  return (key, request, callback) => {
    keys.set(request, key);
    check(request).then(
      (result) => callback(result.isAllowed ? { current: 0, ttlMs: WINDOW_MS } : { current: result.max - result.remaining + (result.isExceeded ? 1 : 0), ttlMs: result.ttl }),
      () => callback(null),
    );
  };
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
