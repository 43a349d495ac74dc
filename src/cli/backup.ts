import path from 'node:path';
import type { Command } from 'commander';
import { withExamples, type CliContext } from './context.ts';

/** `switchboard backup <file>`: an online copy of the embedded SQLite database (`backUpStore`). */
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
    const { backUpStore } = await import('../runtime.ts');
    const backup = await backUpStore(config, path.resolve(cli.io.cwd, file), {
      replace: options.force === true,
      // Said only once the store is known to hold an installation, before the copy starts.
      announce: () => cli.announceStore(config, 'backing up'),
    });
    cli.out(`backed up ${backup.numbers} numbers in ${backup.workspaces} workspaces to ${backup.file} (${(backup.bytes / 1e6).toFixed(1)} MB)`);
    cli.io.stderr.write(`switchboard: the copy's passwords are sealed with the secret key (${backup.keySource}); keep that key too, apart from the copy\n`);
  });
}
