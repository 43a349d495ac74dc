/**
 * A Fastify server with some of what the real one does per request, for `bench/request-floor.ts`:
 * `node --import tsx bench/floor-server.ts <port> <features> <response.json>`, features a comma
 * list of `schema` (params validation + the route's response schema, the real PhoneNumber
 * schema), `log` (pino at info, one access line per request, like the server), `auth` (an async
 * onRequest hook looking the bearer key up in a Map), `ratelimit` (@fastify/rate-limit keyed on
 * the key, as configured by the server).
 */
import fs from 'node:fs';
import Fastify from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Type } from '@sinclair/typebox';
import { PhoneNumberSchema } from '../src/http/schemas/phone-number.ts';

const [port, featureList = '', responseFile] = process.argv.slice(2);
const features = new Set(featureList.split(',').filter(Boolean));
const record = JSON.parse(fs.readFileSync(responseFile!, 'utf8')) as Record<string, unknown>;
const app = Fastify({ logger: features.has('log') ? { level: 'info' } : false, disableRequestLogging: true });
app.get('/healthz', async () => ({ status: 'ok' }));
if (features.has('ratelimit')) {
  await app.register(rateLimit, { global: false, max: 1_000_000_000, timeWindow: 60_000, enableDraftSpec: true, keyGenerator: async (request) => `key:${request.headers.authorization}` });
  app.addHook('onRequest', app.rateLimit());
}
if (features.has('auth')) {
  const actors = new Map<string, { workspaceId: string }>();
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? '';
    let actor = actors.get(header);
    if (!actor) actors.set(header, (actor = { workspaceId: 'bench' }));
    (request as unknown as { actor: unknown }).actor = actor;
  });
}
if (features.has('log')) {
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    done();
  });
}
app.addSchema(PhoneNumberSchema);
const schema = { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 200: Type.Ref(PhoneNumberSchema) } };
const body = JSON.stringify(record);
app.get('/v1/phone-numbers/:id', features.has('schema') ? { schema } : {}, async (_request, reply) =>
  features.has('schema') ? record : reply.type('application/json; charset=utf-8').send(body),
);
await app.listen({ port: Number(port), host: '127.0.0.1' });
