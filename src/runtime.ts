import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';

import { backupSqlite, type BackupSummary } from './db/backup.ts';
import { openDatabase, parseDatabaseUrl, type Database, type OpenOptions } from './db/database.ts';
import { hasInstallation, isMigrated, migrateToLatest } from './db/migrate.ts';
import { describeStore } from './db/url.ts';
import { resolveSecretKey, secretKeyFile, SecretBox } from './domain/secrets.ts';
import { checkSecretKey } from './services/secret-key-check.ts';
import type { AppOptions } from './http/app.ts';
import type { ServiceDeps } from './services/context.ts';
import { createServices, type CarrierOptions, type Services } from './services/index.ts';

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
export interface RuntimeOptions extends OpenOptions {
  clock?: () => Date;
  /**
   * Large SQLite imports on a worker thread, so that the event loop keeps routing calls meanwhile
   * (default). The CLI turns it off: its process routes nothing, and in its own thread an import
   * costs less (no records crossing between threads).
   */
  bulkImportWorker?: boolean;
}

export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const database = await openDatabase(config.DATABASE_URL, options);
  try {
    await migrateToLatest(database);
    const secretKey = resolveSecretKey(config.SWITCHBOARD_SECRET_KEY, database.dataDir);
    const secrets = new SecretBox(secretKey.key);
    await checkSecretKey(database, secrets, secretKey.source, options.clock);
    const deps: ServiceDeps = { database, secrets, ...(options.clock ? { clock: options.clock } : {}) };
    const services = createServices(deps, {
      webhookTimeoutMs: config.ROUTING_WEBHOOK_TIMEOUT_MS,
      allowPrivateWebhookTargets: config.ROUTING_ALLOW_PRIVATE_WEBHOOK_TARGETS,
      callLeaseSeconds: config.ROUTING_CALL_LEASE_SECONDS,
    }, carrierOptionsOf(config), { bulkImportWorker: options.bulkImportWorker ?? true });
    // Releases that failed earlier (or were interrupted by a restart) are retried in the background.
    services.releases.start();
    return {
      database,
      deps,
      services,
      close: async () => {
        await services.releases.stop();
        // Stops what buildServer started (a no-op when no server was built).
        await services.routing.stop();
        await services.phoneNumbers.close();
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
  // Loaded here, not at the top: CLI commands open a runtime without the HTTP stack.
  const { buildApp } = await import('./http/app.ts');
  return buildApp({
    config,
    services: runtime.services,
    logger,
    isReady: () => isMigrated(runtime.database),
  });
}

/** The carrier settings of the config (src/config.ts has already checked that they go together). */
export function carrierOptionsOf(config: Config): CarrierOptions {
  const timeoutMs = config.CARRIER_TIMEOUT_MS;
  return {
    twilio: config.TWILIO_ACCOUNT_SID
      ? {
          accountSid: config.TWILIO_ACCOUNT_SID,
          // An API key authenticates as itself; the account SID still names the account in every path.
          username: config.TWILIO_API_KEY_SID ?? config.TWILIO_ACCOUNT_SID,
          password: config.TWILIO_API_KEY_SECRET ?? config.TWILIO_AUTH_TOKEN!,
          trunkSid: config.TWILIO_TRUNK_SID,
          voiceUrl: config.TWILIO_VOICE_URL,
          baseUrl: config.TWILIO_API_BASE_URL,
          timeoutMs,
        }
      : undefined,
    telnyx: config.TELNYX_API_KEY
      ? { apiKey: config.TELNYX_API_KEY, connectionId: config.TELNYX_CONNECTION_ID, baseUrl: config.TELNYX_API_BASE_URL, timeoutMs }
      : undefined,
    defaultProvider: config.NUMBER_PROVIDER_DEFAULT,
    release: { retryMs: config.CARRIER_RELEASE_RETRY_MS, maxAttempts: config.CARRIER_RELEASE_MAX_ATTEMPTS },
  };
}

/**
 * Whether the configured store already holds an installation (a migration has run there). Creates
 * nothing: the CLI asks before it would make a new database that no server uses.
 */
export async function storeIsInstalled(config: Config): Promise<boolean> {
  const location = parseDatabaseUrl(config.DATABASE_URL);
  if (location.engine === 'sqlite') {
    if (location.file === ':memory:') return true;
    if (!fs.existsSync(location.file)) return false;
  }
  const database = await openDatabase(config.DATABASE_URL);
  try {
    return await hasInstallation(database);
  } finally {
    await database.close();
  }
}

/**
 * An online copy of the configured embedded SQLite database at `destination` (`backupSqlite`),
 * and where the key that seals its passwords comes from. PostgreSQL has its own tools; an
 * in-memory store or a file no installation is in has nothing to copy.
 */
export async function backUpStore(
  config: Config,
  destination: string,
  { replace = false, announce = () => {} }: { replace?: boolean; announce?: () => void } = {},
): Promise<BackupSummary & { keySource: string }> {
  const location = parseDatabaseUrl(config.DATABASE_URL);
  if (location.engine === 'postgres') {
    throw new Error('backup copies an embedded SQLite database; for PostgreSQL use its own tools, e.g. pg_dump -Fc "$DATABASE_URL" > switchboard.dump');
  }
  if (location.file === ':memory:') throw new Error('sqlite::memory: holds nothing to back up');
  if (!(await storeIsInstalled(config))) throw new Error(`no Switchboard database at ${describeStore(location)}; nothing to back up`);
  announce();
  let summary: BackupSummary;
  try {
    summary = backupSqlite(location.file, destination, { replace });
  } catch (error) {
    throw new Error(`backup failed: ${(error as Error).message}`);
  }
  return { ...summary, keySource: config.SWITCHBOARD_SECRET_KEY ? 'SWITCHBOARD_SECRET_KEY' : secretKeyFile(path.dirname(location.file)) };
}

/** How shutdown ended: everything finished, or requests still running at the deadline had their connections closed. */
export type ShutdownOutcome = 'drained' | 'connections closed at the deadline';

/**
 * Stops the server within `timeoutMs` (SHUTDOWN_TIMEOUT_MS): new connections are refused at once,
 * in-flight requests may finish until the deadline less a reserve for closing the store, then the
 * connections still open are closed (their clients see the connection end, as when a load balancer
 * gives up) and the store is closed. Rejects when the store does not close by the deadline.
 */
export async function shutdownWithin(app: FastifyInstance, runtime: Runtime, timeoutMs: number): Promise<ShutdownOutcome> {
  const deadline = Date.now() + timeoutMs;
  const reserveMs = Math.min(2000, Math.floor(timeoutMs / 5));
  let outcome: ShutdownOutcome = 'drained';
  const cutOff = setTimeout(() => {
    outcome = 'connections closed at the deadline';
    app.log.warn({ timeoutMs }, 'shutdown: requests still in flight at the deadline; closing their connections');
    app.server.closeAllConnections();
  }, timeoutMs - reserveMs);
  try {
    await withDeadline(app.close(), deadline, 'closing the HTTP server');
  } finally {
    clearTimeout(cutOff);
  }
  await withDeadline(runtime.close(), deadline, 'closing the store');
  return outcome;
}

function withDeadline<T>(work: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`shutdown: ${what} did not finish by the deadline`)), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
