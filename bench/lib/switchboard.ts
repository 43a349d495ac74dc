import path from 'node:path';
import { freePort, run, startProcess, ROOT, type Child } from './processes.ts';
import type { StoreHandle } from './store.ts';

const CLI = path.join(ROOT, 'bin', 'switchboard.mjs');

export function serverEnv(handle: StoreHandle, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: handle.databaseUrl,
    SWITCHBOARD_SECRET_KEY: handle.secretKey,
    LOG_LEVEL: 'info',
    // Rate limiting stays on (its cost is part of every figure) with a limit no run reaches.
    RATE_LIMIT_PER_MINUTE: '1000000000',
    ...extra,
  };
}

/**
 * `node bin/switchboard.mjs serve` in its own process, exactly as a user starts it; `checkout`
 * (default: this one) runs another checkout's server on the same store, for before/after figures.
 */
export async function startSwitchboard(
  handle: StoreHandle,
  name: string,
  extraEnv: Record<string, string> = {},
  nodeArgs: string[] = [],
  checkout = ROOT,
): Promise<Child> {
  const port = await freePort();
  return startProcess({
    name,
    args: [...nodeArgs, path.join(checkout, 'bin', 'switchboard.mjs'), 'serve'],
    env: serverEnv(handle, { PORT: String(port), HOST: '127.0.0.1', ...extraEnv }),
    port,
    readyPath: '/healthz',
    logDir: path.join(handle.dir, 'logs'),
    timeoutMs: 300_000,
  });
}

export async function switchboardCli(handle: StoreHandle, args: string[]): Promise<{ stdout: string; ms: number }> {
  return run([CLI, ...args], serverEnv(handle, { LOG_LEVEL: 'warn' }));
}

export async function createKey(handle: StoreHandle, workspace: string): Promise<{ workspace_id: string; key_id: string; key: string }> {
  const { stdout } = await switchboardCli(handle, ['--create', 'keys', 'create', '--workspace', workspace, '--json']);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { workspace_id: string; key_id: string; key: string };
}

/** Routes the running server serves, from its OpenAPI document ("GET /v1/phone-numbers/{id}"). */
export async function registeredRoutes(url: string): Promise<Set<string>> {
  const response = await fetch(`${url}/openapi.json`);
  if (!response.ok) throw new Error(`GET /openapi.json: ${response.status}`);
  const doc = (await response.json()) as { paths?: Record<string, Record<string, unknown>> };
  const routes = new Set<string>();
  for (const [route, methods] of Object.entries(doc.paths ?? {})) {
    for (const method of Object.keys(methods)) routes.add(`${method.toUpperCase()} ${route}`);
  }
  return routes;
}
