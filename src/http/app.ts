import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { Config } from '../config.ts';
import type { Services } from '../services/index.ts';
import { newId } from '../domain/ids.ts';
import { ValidationError, type FieldIssue } from '../services/errors.ts';
import { useDialect } from './dialect.ts';
import { healthRoutes } from './health.ts';
import { deferredBodies, deferredUrlIssues, registerJsonBodies, unstorableText, URL_MAY_HOLD_UNSTORABLE } from './json-body.ts';
import { validatorFactory } from './validators.ts';
import { registerIdempotency } from './idempotency.ts';
import { registerRateLimit } from './rate-limit.ts';
import { decorateRequestsForAuth } from './auth.ts';
import { flushPeriodically, registerAccessLog, stdoutDestination, type LogStream } from './access-log.ts';
import { nativeApi } from './native/index.ts';
import { nativeDialect } from './native/dialect.ts';
import { retellApi } from './retell/index.ts';
import { synthflowApi } from './synthflow/index.ts';
import { topcallsApi } from './topcalls/index.ts';
import { routingApi } from './routing/index.ts';
import { consoleApp } from './console.ts';
import { registerMetrics } from './metrics.ts';
import { polishDocument } from './openapi.ts';
import { registerTracing, type TracingOptions } from './tracing.ts';
import { deferredChildLogger } from './request-logger.ts';

/** Settings of the HTTP edge, as `loadConfig` parsed them (its defaults applied, none kept here). */
export type EdgeConfig = Pick<
  Config,
  | 'BODY_LIMIT_BYTES'
  | 'LOG_LEVEL'
  | 'RATE_LIMIT_PER_MINUTE'
  | 'REQUEST_TIMEOUT_MS'
  | 'HEADERS_TIMEOUT_MS'
  | 'CONNECTION_TIMEOUT_MS'
  | 'KEEP_ALIVE_TIMEOUT_MS'
  | 'MAX_HEADER_SIZE_BYTES'
  | 'REDIS_URL'
  | 'REDIS_KEY_PREFIX'
> &
  // Observability and the document's `servers`; absent in tests that build a bare app.
  Partial<Pick<Config, 'METRICS_TOKEN' | 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME' | 'PUBLIC_URL' | 'PORT'>>;

export interface AppOptions {
  config: EdgeConfig;
  services: Services;
  /** A pino instance or options; tests pass a capturing stream. */
  logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance'];
  /** Where the production logger (level and redaction from the config) writes; stdout by default. */
  logStream?: LogStream;
  /** Readiness probe for /healthz and /readyz. */
  isReady?: () => Promise<boolean>;
  /** Tests: trace every request into this exporter (production: OTEL_EXPORTER_OTLP_ENDPOINT). */
  traceExporter?: TracingOptions['exporter'];
}

/** Paths pino must never print: credentials and every write-only secret a body can carry. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.password',
  '*.auth_password',
  '*.sip_trunk_auth_password',
  '*.trunk_pwd',
  '*.key',
];

export interface RegisteredRoute {
  method: string;
  /** The path as registered, with its prefix and `:params` (e.g. `/v1/phone-numbers/:id`). */
  url: string;
  /** True for routes that need no API key (health, API docs). */
  public: boolean;
  /** True for routes that honour `Idempotency-Key`. */
  idempotent: boolean;
}

const routeTables = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/**
 * Every route the app serves (HEAD twins of GET routes left out), collected as they are
 * registered. The isolation test walks this list, so a new route cannot ship untested.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  return routeTables.get(app) ?? [];
}

const PUBLIC_PATHS = [/^\/(healthz|livez|readyz)$/, /^\/openapi\.json$/, /^\/docs(\/|$)/, /^\/console(\/|$)/];

function serializerFactory() {
  const fastJsonStringify = SerializerSelector();
  return (externalSchemas: Record<string, unknown>, options: unknown) => {
    const compilerFor = fastJsonStringify(externalSchemas, options as never);
    return (route: Parameters<typeof compilerFor>[0]) => {
      let serialize: ((data: unknown) => string) | undefined;
      return (data: unknown) => (serialize ??= compilerFor(route))(data);
    };
  };
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  // The production logger (no logger passed in) writes to a stream known here, which the access
  // line is written to directly (access-log.ts).
  const stdout = options.logger || options.logStream ? null : stdoutDestination();
  const ownStream = options.logger ? null : (options.logStream ?? stdout);
  const logger =
    options.logger && typeof (options.logger as { info?: unknown }).info === 'function'
      ? { loggerInstance: options.logger as FastifyServerOptions['loggerInstance'] }
      : {
          logger: options.logger ?? {
            level: options.config.LOG_LEVEL,
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            stream: ownStream!,
          },
        };
  const edge = options.config;
  const app = Fastify({
    ...logger,
    bodyLimit: edge.BODY_LIMIT_BYTES,
    // One access-log line per request (onResponse below) instead of Fastify's two: at the default
    // `info` level the pair cost about a third of the CPU of a GET (BENCHMARKS.md).
    logController: new LogController({ disableRequestLogging: true }),
    // `request.log` is built only by a request that logs through it (request-logger.ts).
    childLoggerFactory: deferredChildLogger,
    // Slow or stalled clients are cut off rather than holding a socket forever (slow loris).
    requestTimeout: edge.REQUEST_TIMEOUT_MS,
    connectionTimeout: edge.CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: edge.KEEP_ALIVE_TIMEOUT_MS,
    http: {
      maxHeaderSize: edge.MAX_HEADER_SIZE_BYTES,
      headersTimeout: edge.REQUEST_TIMEOUT_MS > 0 ? Math.min(edge.HEADERS_TIMEOUT_MS, edge.REQUEST_TIMEOUT_MS) : edge.HEADERS_TIMEOUT_MS,
      // Node checks both timeouts on this period (30 s by default), which would let a
      // short timeout run up to 30 s late.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(edge.HEADERS_TIMEOUT_MS / 4))),
    },
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : `req_${newId()}`;
    },
    // Fastify's types describe Ajv's own compile signature; ours takes Fastify's route context.
    schemaController: { compilersFactory: { buildValidator: validatorFactory() as never, buildSerializer: serializerFactory() as never } },
    // Paths are matched as sent: a literal `+` in /get-phone-number/+1415… stays a `+`.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
  });
  // First: the instrumentation wraps the hooks and routes registered after it.
  await registerTracing(app, {
    endpoint: options.config.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: options.config.OTEL_SERVICE_NAME ?? 'switchboard',
    ...(options.traceExporter ? { exporter: options.traceExporter } : {}),
  });


  const routes: RegisteredRoute[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({
        method,
        url: route.url,
        public: PUBLIC_PATHS.some((pattern) => pattern.test(route.url)),
        idempotent: Boolean(route.config?.idempotent),
      });
    }
  });

  // JSON only: a text/plain body is 415, not a string handed to a handler.
  app.removeContentTypeParser(['text/plain']);

  decorateRequestsForAuth(app);
  // JSON bodies: valid UTF-8, no NUL, and no body on a route that takes none (json-body.ts).
  registerJsonBodies(app);
  // Callback-style (not async) hooks on the path of every request: an async hook costs a promise
  // and a microtask turn per request, which showed in the per-request profile (BENCHMARKS.md).
  app.addHook('onRequest', (request, reply, done) => {
    // Set first, so that every response, errors included, carries the id its log line has.
    reply.header('x-request-id', request.id);
    if (/%00/i.test(request.url)) {
      done(new ValidationError([{ field: 'path', message: 'must not contain NUL (%00) characters' }]));
      return;
    }
    done();
  });

  // Before swagger and the API plugins: its onRoute hook documents the header on opted-in routes.
  registerIdempotency(app, options.services);

  if (stdout) flushPeriodically(app, stdout);
  registerAccessLog(app, ownStream);

  // Text the store cannot keep exactly, after parsing (the NUL guards above see raw text): lone
  // UTF-16 surrogates would be stored as U+FFFD (silently changed data), NUL fails PostgreSQL.
  // Checked in params, query and body (values and field names) on every route.
  // Params and query come from the URL, which spells neither without a `%` escape or the
  // character itself (over HTTP a raw NUL byte is refused by the parser, and other raw bytes are
  // read as Latin-1, never surrogates): most requests skip that walk.
  app.addHook('preValidation', (request, _reply, done) => {
    const issues: FieldIssue[] = [];
    if (URL_MAY_HOLD_UNSTORABLE.test(request.url)) {
      unstorableText(request.params, 'params', issues);
      unstorableText(request.query, 'query', issues);
    }
    if (issues.length > 0 && deferredBodies.has(request)) {
      deferredUrlIssues.set(request, issues);
      done();
      return;
    }
    if (!request.bodyWithoutEscapes) unstorableText(request.body, '', issues);
    done(issues.length > 0 ? new ValidationError(issues) : undefined);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchboard',
        version: '0.1.0',
        description:
          'Phone numbers for voice-AI agents: the native API (`/v1`), routing decisions, and the Retell (`/retell`), Synthflow (`/synthflow`) and TopCalls (`/topcalls`) dialects.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        contact: { name: 'Switchboard maintainers (issues and security reports: see SECURITY.md)' },
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    transformObject: (documents) =>
      polishDocument(('openapiObject' in documents ? documents.openapiObject : documents.swaggerObject) as Record<string, unknown>, {
        serverUrl: options.config.PUBLIC_URL ?? `http://localhost:${options.config.PORT ?? 3000}`,
      }) as never,
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => (json.$id as string) ?? `def-${index}` },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  if (edge.RATE_LIMIT_PER_MINUTE > 0) {
    await registerRateLimit(app, options.services, {
      perMinute: edge.RATE_LIMIT_PER_MINUTE,
      redisUrl: edge.REDIS_URL,
      redisKeyPrefix: edge.REDIS_KEY_PREFIX,
    });
  }
  registerMetrics(app, options.services, { token: options.config.METRICS_TOKEN });

  useDialect(app, nativeDialect);
  await app.register(healthRoutes, { services: options.services, isReady: options.isReady });
  await app.register(nativeApi, { prefix: '/v1', services: options.services });
  await app.register(routingApi, { prefix: '/v1', services: options.services });
  await app.register(retellApi, { prefix: '/retell', services: options.services });
  await app.register(synthflowApi, { prefix: '/synthflow', services: options.services });
  await app.register(topcallsApi, { prefix: '/topcalls', services: options.services });
  await app.register(consoleApp, { prefix: '/console' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
