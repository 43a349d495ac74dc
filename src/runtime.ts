import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { openDatabase, type Database, type OpenOptions } from './db/database.ts';
import { isMigrated, migrateToLatest } from './db/migrate.ts';
import { describeNumber } from './domain/phone.ts';
import { resolveSecretKey, SecretBox } from './domain/secrets.ts';
import { buildApp, type AppOptions } from './http/app.ts';
import type { ServiceDeps } from './services/context.ts';
import { createServices, type Services } from './services/index.ts';

export interface Runtime {
  database: Database;
  /** The store, the secrets and the clock the services share; not for transports (they get `services`). */
  deps: ServiceDeps;
  services: Services;
  close(): Promise<void>;
}

/**
 * Opens the store named by the config, applies pending migrations and wires the services.
 * Shared by the server and the CLI so both see exactly the same installation.
 */
export async function openRuntime(config: Config, options: OpenOptions & { clock?: () => Date } = {}): Promise<Runtime> {
  const database = await openDatabase(config.DATABASE_URL, options);
  try {
    await migrateToLatest(database);
    const secrets = new SecretBox(resolveSecretKey(config.SWITCHBOARD_SECRET_KEY, database.dataDir));
    // Load the geocoding tables now rather than on the first request that needs them.
    describeNumber('+14155550100');
    const deps: ServiceDeps = { database, secrets, ...(options.clock ? { clock: options.clock } : {}) };
    const services = createServices(deps, {
      webhookTimeoutMs: config.ROUTING_WEBHOOK_TIMEOUT_MS,
      allowPrivateWebhookTargets: config.ROUTING_ALLOW_PRIVATE_WEBHOOK_TARGETS,
      callLeaseSeconds: config.ROUTING_CALL_LEASE_SECONDS,
    });
    return {
      database,
      deps,
      services,
      close: async () => {
        // Stops what buildServer started (a no-op when no server was built).
        await services.routing.stop();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

export async function buildServer(
  config: Config,
  runtime: Runtime,
  logger?: AppOptions['logger'],
): Promise<FastifyInstance> {
  // Routing's lifecycle lives here: started with the server (quick: the number index loads in
  // the background, decisions stay exact meanwhile), stopped by close() above. The CLI's other
  // commands open a runtime without a server and never load the index.
  await runtime.services.routing.start();
  return buildApp({
    config,
    services: runtime.services,
    logger,
    isReady: () => isMigrated(runtime.database),
  });
}
