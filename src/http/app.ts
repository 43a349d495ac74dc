import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { Config } from '../config.ts';
import type { Services } from '../services/index.ts';
import { newId } from '../domain/ids.ts';
import { ProblemSchema, sendProblem, toProblem } from './problem.ts';
import { healthRoutes } from './health.ts';
import { registerIdempotency } from './idempotency.ts';
import { nativeApi } from './native/index.ts';
import { retellApi } from './retell/index.ts';
import { synthflowApi } from './synthflow/index.ts';
import { topcallsApi } from './topcalls/index.ts';
import { routingApi } from './routing/index.ts';

export interface AppOptions {
  config: Pick<Config, 'BODY_LIMIT_BYTES' | 'LOG_LEVEL'>;
  services: Services;
  /** A pino instance or options; tests pass a capturing stream. */
  logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance'];
  /** Readiness probe for /healthz. */
  isReady?: () => Promise<boolean>;
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

function ajvFor(part: 'body' | 'other', externalSchemas: Record<string, unknown>) {
  // Bodies are checked exactly as sent: no type coercion (a "true" string is not a boolean) and
  // unknown fields are errors, not silently dropped. Query strings and params arrive as text and
  // are coerced to the declared types.
  const ajv = new Ajv({
    coerceTypes: part === 'body' ? false : 'array',
    useDefaults: true,
    removeAdditional: false,
    allErrors: true,
    allowUnionTypes: true,
    strict: false,
  }).addKeyword('example');
  addFormats.default(ajv);
  for (const schema of Object.values(externalSchemas)) ajv.addSchema(schema as object);
  return ajv;
}

/**
 * Installed as the compilers factory (not setValidatorCompiler) so that every encapsulated
 * plugin, including ones that add shared schemas, validates with these rules.
 */
function buildValidator(externalSchemas: Record<string, unknown>) {
  const bodyAjv = ajvFor('body', externalSchemas);
  const otherAjv = ajvFor('other', externalSchemas);
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? bodyAjv : otherAjv).compile(schema);
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const logger =
    options.logger && typeof (options.logger as { info?: unknown }).info === 'function'
      ? { loggerInstance: options.logger as FastifyServerOptions['loggerInstance'] }
      : { logger: options.logger ?? { level: options.config.LOG_LEVEL, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } } };
  const app = Fastify({
    ...logger,
    bodyLimit: options.config.BODY_LIMIT_BYTES,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : `req_${newId()}`;
    },
    // Fastify's types describe Ajv's own compile signature; ours takes Fastify's route context.
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
    // Paths are matched as sent: a literal `+` in /get-phone-number/+1415… stays a `+`.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
  });


  // JSON only: a text/plain body is 415, not a string handed to a handler.
  app.removeContentTypeParser(['text/plain']);

  // Before swagger and the API plugins: its onRoute hook documents the header on opted-in routes.
  registerIdempotency(app, options.services);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.addSchema(ProblemSchema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchboard',
        version: '0.1.0',
        description:
          'Phone numbers for voice-AI agents: the native API (`/v1`), routing decisions, and the Retell (`/retell`), Synthflow (`/synthflow`) and TopCalls (`/topcalls`) dialects.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => (json.$id as string) ?? `def-${index}` },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, { status: 404, code: 'NOT_FOUND', title: 'Not Found', detail: `no route for ${request.method} ${request.url.split('?')[0]}`, errors: [] }),
  );

  await app.register(healthRoutes, { services: options.services, isReady: options.isReady });
  await app.register(nativeApi, { prefix: '/v1', services: options.services });
  await app.register(routingApi, { prefix: '/v1', services: options.services });
  await app.register(retellApi, { prefix: '/retell', services: options.services });
  await app.register(synthflowApi, { prefix: '/synthflow', services: options.services });
  await app.register(topcallsApi, { prefix: '/topcalls', services: options.services });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
