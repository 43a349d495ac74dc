import path from 'node:path';
import type { Command } from 'commander';
import { describeStore, parseDatabaseUrl } from '../db/url.ts';
import { CliError, withExamples, type CliContext } from './context.ts';

/** `switchboard backup <file>`: an online copy of the embedded SQLite database. */
export function registerBackupCommand(program: Command, cli: CliContext): void {
  withExamples(
    program
      .command('backup <file>')
      .description(
        'copy the embedded SQLite database to <file> while the server keeps running (a consistent, compacted copy); ' +
          'PostgreSQL installations use pg_dump',
      )
      .option('--force', 'replace <file> if it exists'),
    'switchboard backup backups/switchboard-$(date +%F).db',
  ).action(async (file: string, options: { force?: boolean }) => {
    const config = await cli.config();
    const location = parseDatabaseUrl(config.DATABASE_URL, cli.io.cwd);
    if (location.engine === 'postgres') {
      throw new CliError('backup copies an embedded SQLite database; for PostgreSQL use its own tools, e.g. pg_dump -Fc "$DATABASE_URL" > switchboard.dump');
    }
    if (location.file === ':memory:') throw new CliError('sqlite::memory: holds nothing to back up');
    const { storeIsInstalled } = await import('../runtime.ts');
    if (!(await storeIsInstalled(config))) throw new CliError(`no Switchboard database at ${describeStore(location)}; nothing to back up`);
    cli.announceStore(config, 'backing up');
    const { backupSqlite } = await import('../db/backup.ts');
    let summary;
    try {
      summary = backupSqlite(location.file, path.resolve(cli.io.cwd, file), { replace: options.force === true });
    } catch (error) {
      throw new CliError(`backup failed: ${(error as Error).message}`);
    }
    const key = config.SWITCHBOARD_SECRET_KEY ? 'SWITCHBOARD_SECRET_KEY' : path.join(path.dirname(location.file), 'secret.key');
    cli.out(`backed up ${summary.numbers} numbers in ${summary.workspaces} workspaces to ${summary.file} (${(summary.bytes / 1e6).toFixed(1)} MB)`);
    cli.io.stderr.write(`switchboard: the copy's passwords are sealed with the secret key (${key}); keep that key too, apart from the copy\n`);
  });
}
