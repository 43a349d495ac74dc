import { Command, Option } from 'commander';
import type { Config } from '../config.ts';
import type { Runtime } from '../runtime.ts';
import fs from 'node:fs';
import { operatorActor, SCOPES } from '../services/context.ts';
import { CSV_COLUMNS, MAX_BATCH_ROWS } from './import-columns.ts';
import { registerInventoryCommands } from './inventory-commands.ts';

// Only what defines the commands is imported up front; an action loads the configuration, the
// store and the services it needs, so `--version` and `--help` start in a fraction of the time
// (BENCHMARKS.md).
async function withRuntime<T>(work: (runtime: Runtime, config: Config) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { openRuntime }] = await Promise.all([import('../config.ts'), import('../runtime.ts')]);
  const config = loadConfig();
  const runtime = await openRuntime(config);
  try {
    return await work(runtime, config);
  } finally {
    await runtime.close();
  }
}

async function serve(): Promise<void> {
  const [{ loadConfig }, { openRuntime, buildServer, storeLabel }] = await Promise.all([import('../config.ts'), import('../runtime.ts')]);
  const config = loadConfig();
  const runtime = await openRuntime(config);
  const app = await buildServer(config, runtime);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    try {
      await app.close();
      await runtime.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  // One start line that says what a newcomer needs: the store, where to send requests, the docs.
  const publicUrl = (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
  const hasConsole = app.hasRoute({ method: 'GET', url: '/console' }) || app.hasRoute({ method: 'GET', url: '/console/' });
  await app.listen({
    port: config.PORT,
    host: config.HOST,
    listenTextResolver: (address) =>
      `Switchboard listening at ${address} (store ${storeLabel(config.DATABASE_URL)}); API docs ${publicUrl}/docs` +
      (hasConsole ? `, console ${publicUrl}/console` : ''),
  });
}

const program = new Command()
  .name('switchboard')
  .description('Switchboard phone-number service. Uses DATABASE_URL like the server (default sqlite:./data/switchboard.db).')
  .showHelpAfterError();

program.command('serve').description('start the HTTP server (applies migrations first)').action(serve);

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(() =>
    withRuntime(async (runtime) => {
      // openRuntime already migrated; report where we stand.
      process.stdout.write(`migrated (${runtime.database.engine})\n`);
    }),
  );

const keys = program.command('keys').description('manage API keys');
keys
  .command('create')
  .description('create an API key (and the workspace, if it does not exist); prints the key once')
  .requiredOption('--workspace <name>', 'workspace name')
  .option('--parent <name>', 'agency workspace that manages this one (created if missing)')
  .addOption(new Option('--scopes <list>', `comma-separated: ${SCOPES.join(',')}`).default(SCOPES.join(',')))
  .option('--name <label>', 'a label for the key')
  .option('--json', 'print {workspace_id, key_id, key} as JSON')
  .action((options: { workspace: string; parent?: string; scopes: string; name?: string; json?: boolean }) =>
    withRuntime(async ({ services }) => {
      const { parseScopes } = await import('../services/workspaces.ts');
      const scopes = parseScopes(options.scopes);
      const workspace = await services.workspaces.ensureWorkspace(options.workspace, options.parent);
      const created = await services.workspaces.createKey(workspace.id, scopes, options.name ?? null);
      process.stdout.write(
        options.json ? `${JSON.stringify({ workspace_id: workspace.id, key_id: created.id, key: created.key })}\n` : `${created.key}\n`,
      );
    }),
  );
keys
  .command('revoke <key_id>')
  .description('revoke an API key; it stops working at once on this instance and within seconds on others')
  .action((keyId: string) =>
    withRuntime(async ({ services }) => {
      const revoked = await services.workspaces.revokeKey(keyId);
      process.stdout.write(`revoked ${revoked.id}\n`);
    }),
  );

const numbers = program.command('numbers').description('manage phone numbers');
numbers
  .command('import <file>')
  .description(
    `import numbers from a CSV file with a header row; columns are the native import fields: ${CSV_COLUMNS.join(', ')}. ` +
      'Exits 1 when any row failed (the others are imported).',
  )
  .requiredOption('--workspace <name>', 'workspace that receives the numbers (must exist)')
  .option('--batch-size <rows>', `rows per transaction, at most ${MAX_BATCH_ROWS}`, String(MAX_BATCH_ROWS))
  .action((file: string, options: { workspace: string; batchSize: string }) =>
    withRuntime(async ({ services }) => {
      const batchSize = Number(options.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_ROWS) {
        throw new Error(`--batch-size must be an integer from 1 to ${MAX_BATCH_ROWS}`);
      }
      const [{ importCsv }, { default: cliProgress }] = await Promise.all([import('./import-numbers.ts'), import('cli-progress')]);
      const workspace = await services.workspaces.getWorkspaceByName(options.workspace);
      const size = fs.statSync(file).size;
      // The bar is for people watching; piped or captured stderr gets only the summary.
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: 'importing [{bar}] {percentage}% | created {created}, failed {failed}', stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : null;
      bar?.start(size, 0, { created: 0, failed: 0 });
      try {
        const summary = await importCsv(services.phoneNumbers, operatorActor(workspace.id), fs.createReadStream(file), {
          batchSize,
          onProgress: ({ bytes, created, failed }) => bar?.update(bytes, { created, failed }),
        });
        bar?.update(size, { created: summary.created, failed: summary.failed });
        bar?.stop();
        const lines = [`created ${summary.created}, failed ${summary.failed}`];
        for (const failure of summary.failures) {
          const reasons = failure.errors.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
          lines.push(`  line ${failure.line} ${failure.phone_number}: ${failure.code} ${reasons}`);
        }
        process.stdout.write(`${lines.join('\n')}\n`);
        if (summary.failed > 0) process.exitCode = 1;
      } finally {
        bar?.stop();
      }
    }),
  );

registerInventoryCommands(program, (work) => withRuntime(({ services }) => work(services)));

export const cli = program;

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`switchboard: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
