import { loadConfig } from '../../src/config.ts';
import { openRuntime } from '../../src/runtime.ts';
import { dropSchema, createHarness, TEST_DATABASE_URL, TEST_SECRET_KEY, type Harness, type HarnessOptions } from './harness.ts';

/** Two in-process instances of one installation: the same PostgreSQL schema (dropped by `close`). */
export async function twoInstances(prefix: string, options: HarnessOptions = {}): Promise<{ first: Harness; second: Harness; close(): Promise<void> }> {
  const schema = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const first = await createHarness({ ...options, schema });
  const second = await createHarness({ ...options, schema });
  return {
    first,
    second,
    async close() {
      await first.close();
      await second.close();
      await dropSchema(options.databaseUrl ?? TEST_DATABASE_URL, schema);
    },
  };
}

/** Polls `check` until it passes and returns how long that took; rethrows its failure after `limitMs`. */
export async function within(limitMs: number, check: () => Promise<void>, pollMs = 20): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await check();
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > limitMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

/** Revokes a key as `switchboard keys revoke` does: from a runtime of its own on the instance's schema, that serves nothing and never listens. */
export async function revokeFromCli(instance: Harness, keyId: string): Promise<void> {
  const cli = await openRuntime(loadConfig({ DATABASE_URL: TEST_DATABASE_URL, SWITCHBOARD_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent' }), { schema: instance.schema!, poolSize: 1 });
  try {
    await cli.services.workspaces.revokeKey(keyId);
  } finally {
    await cli.close();
  }
}
