import crypto from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.ts';
import { engineOf } from '../../src/db/database.ts';
import { buildServer, openRuntime, type Runtime } from '../../src/runtime.ts';
import type { Scope } from '../../src/services/context.ts';
import { SCOPES } from '../../src/services/context.ts';

/** The store the suite runs on: PostgreSQL when DATABASE_URL says so, otherwise in-memory SQLite. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL && engineOf(process.env.DATABASE_URL) === 'postgres' ? process.env.DATABASE_URL : 'sqlite::memory:';
export const onPostgres = engineOf(TEST_DATABASE_URL) === 'postgres';

export const TEST_SECRET_KEY = crypto.randomBytes(32).toString('base64');

export interface TestWorkspace {
  id: string;
  name: string;
  /** Creates a key in this workspace with the given scopes (all by default). */
  key(scopes?: Scope[]): Promise<string>;
}

export interface Harness {
  app: FastifyInstance;
  runtime: Runtime;
  config: Config;
  /** PostgreSQL schema of this harness (null on SQLite). */
  schema: string | null;
  workspace(name?: string, parent?: string): Promise<TestWorkspace>;
  request(method: InjectOptions['method'], url: string, options?: { key?: string; json?: unknown; headers?: Record<string, string> }): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = any>(): T;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  clock?: () => Date;
  logger?: unknown;
  /** Reuse a schema (a second instance on the same PostgreSQL database). */
  schema?: string;
  databaseUrl?: string;
}

/** A fresh, migrated store and an in-process app; each call is isolated from every other. */
export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const databaseUrl = options.databaseUrl ?? TEST_DATABASE_URL;
  const postgres = engineOf(databaseUrl) === 'postgres';
  const schema = postgres ? (options.schema ?? `t_${crypto.randomBytes(6).toString('hex')}`) : null;
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    SWITCHBOARD_SECRET_KEY: TEST_SECRET_KEY,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const runtime = await openRuntime(config, { ...(schema ? { schema, poolSize: 4 } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  const app = await buildServer(config, runtime, options.logger as never);
  await app.ready();
  let counter = 0;
  return {
    app,
    runtime,
    config,
    schema,
    async workspace(name = `ws-${++counter}-${crypto.randomBytes(3).toString('hex')}`, parent?: string) {
      const workspace = await runtime.services.workspaces.ensureWorkspace(name, parent);
      return {
        id: workspace.id,
        name,
        key: async (scopes: Scope[] = [...SCOPES]) => (await runtime.services.workspaces.createKey(workspace.id, scopes)).key,
      };
    },
    async request(method, url, { key, json, headers = {} } = {}) {
      const response = await app.inject({
        method,
        url,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
        ...(json !== undefined ? { payload: json as InjectOptions['payload'] } : {}),
      });
      return {
        status: response.statusCode,
        headers: response.headers as Record<string, string | string[] | undefined>,
        body: response.body,
        json: () => JSON.parse(response.body),
      };
    },
    async close() {
      await app.close();
      await runtime.close();
      if (schema && !options.schema) await dropSchema(databaseUrl, schema);
    },
  };
}

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
