// The baseline: a bare Fastify server (no auth, no store, no validation, no logging) that answers
// each benchmarked route with the exact bytes the real server sent, so the ratio between the two
// is the cost of Switchboard itself. `node bench/bare-server.mjs <routes.json> <port>`
// routes: [{ method, url (Fastify pattern), status, contentType, body }]
import fs from 'node:fs';
import Fastify from 'fastify';

const routes = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
for (const route of routes) {
  app.route({
    method: route.method,
    url: route.url,
    handler: async (_request, reply) => reply.code(route.status).type(route.contentType).send(route.body),
  });
}
await app.listen({ port: Number(process.argv[3]), host: '127.0.0.1' });
