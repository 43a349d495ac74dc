import fs from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Where `npm run console:build` (run by `npm ci` through `prepare`) writes the web console. */
export const CONSOLE_DIST = path.resolve(import.meta.dirname, '..', '..', 'console', 'dist');

/**
 * The console talks only to this origin's API, runs only its own bundled scripts and styles, and
 * may not be framed: a script injected through a stored field (a nickname) would have nowhere to
 * load from or send to.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite names every asset after its content hash, so a cached copy can never be stale. */
const HASHED_ASSET = /^\/console\/assets\//;

/**
 * The web console, registered under the prefix `/console`: the built single-page app, hashed assets cached for a year,
 * index.html revalidated on every load, and any other /console path (a deep link such as
 * /console/numbers/…) answered with the app, which routes it in the browser.
 */
export const consoleApp: FastifyPluginAsync<{ root?: string }> = async (app, { root = CONSOLE_DIST }) => {
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    done(null, payload);
  });

  const index = path.join(root, 'index.html');
  if (!fs.existsSync(index)) {
    app.log.warn({ root }, 'web console not built: run npm run console:build');
    const notBuilt = (_request: unknown, reply: FastifyReply) =>
      reply.code(503).type('text/plain; charset=utf-8').header('retry-after', '60').send('The web console is not built. Run `npm run console:build` (npm ci does it) and restart.\n');
    app.get('/', { schema: { hide: true } }, notBuilt);
    app.get('/*', { schema: { hide: true } }, notBuilt);
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    wildcard: true,
    redirect: false,
    schemaHide: true,
    cacheControl: false,
    setHeaders: (res, filePath) => {
      const immutable = filePath.startsWith(path.join(root, 'assets') + path.sep);
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  const sendApp = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html');
  // `/console` and `/console/` (the prefix makes both of `/`).
  app.get('/', { schema: { hide: true } }, (_request, reply) => sendApp(reply));
  // @fastify/static hands a missing file to the not-found handler of this context.
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0]!;
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply.code(405).header('allow', 'GET, HEAD').send();
    if (HASHED_ASSET.test(url) || path.extname(url) !== '') return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
    return sendApp(reply);
  });
};
