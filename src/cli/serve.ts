import { describeStore, parseDatabaseUrl } from '../db/url.ts';
import { describeNumber } from '../domain/phone.ts';
import { buildServer, openRuntime, shutdownWithin } from '../runtime.ts';
import type { CliContext } from './context.ts';

/**
 * `switchboard serve`: opens the store, starts the HTTP server and shuts down within
 * SHUTDOWN_TIMEOUT_MS on SIGTERM/SIGINT. A module of its own so that the other commands never
 * load the HTTP stack.
 */
export async function serve(cli: CliContext): Promise<void> {
  const config = await cli.config();
  const runtime = await openRuntime(config);
  cli.announceStore(config, 'serving');
  const app = await buildServer(config, runtime);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    try {
      const started = Date.now();
      const outcome = await shutdownWithin(app, runtime, config.SHUTDOWN_TIMEOUT_MS);
      app.log.info({ outcome, ms: Date.now() - started }, 'shut down');
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  // One start line that says what a newcomer needs: where to send requests, the store, the docs.
  const publicUrl = (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
  const hasConsole = app.hasRoute({ method: 'GET', url: '/console' }) || app.hasRoute({ method: 'GET', url: '/console/' });
  await app.listen({
    port: config.PORT,
    host: config.HOST,
    listenTextResolver: (address) =>
      `Switchboard listening at ${address} (store ${describeStore(parseDatabaseUrl(config.DATABASE_URL))}); API docs ${publicUrl}/docs` +
      (hasConsole ? `, console ${publicUrl}/console` : ''),
  });
  // The geocoding tables (≈ 120 ms) load right after listening rather than on the first request
  // that describes a number, and not before: /healthz answers that much sooner.
  setImmediate(() => describeNumber('+14155550100'));
}
