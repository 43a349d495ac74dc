import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerBackupCommand } from './backup.ts';
import { CliContext, withExamples, type CliIo } from './context.ts';
import { registerInventoryCommands } from './inventory.ts';
import { registerKeyCommands } from './keys.ts';
import { registerNumberCommands } from './numbers.ts';

export type { CliIo } from './context.ts';

/** Exit status of a command line the CLI could not understand (a bad flag, a missing argument). */
export const USAGE_EXIT_CODE = 2;

const VERSION = (JSON.parse(fs.readFileSync(nearestPackageJson(new URL('.', import.meta.url)), 'utf8')) as { version: string }).version;

/** The checkout's package.json, found upwards from this module: src/cli/ or the compiled dist/. */
function nearestPackageJson(dir: URL): URL {
  for (let at = dir; ; at = new URL('..', at)) {
    const candidate = new URL('package.json', at);
    if (fs.existsSync(candidate) || at.pathname === '/') return candidate;
  }
}

function commandPath(command: Command): string {
  return command.parent ? `${commandPath(command.parent)} ${command.name()}` : command.name();
}

/** After a usage error each command prints its own usage line, not the whole help. */
function usageAfterErrors(command: Command): void {
  const name = commandPath(command);
  command.showHelpAfterError(`Usage: ${name} ${command.usage()}\nRun \`${name} --help\` for the options and an example.`);
  command.commands.forEach(usageAfterErrors);
}

function buildProgram(io: CliIo): { program: Command; cli: CliContext } {
  const program = new Command()
    .name('switchboard')
    .description(
      'Switchboard phone-number service. Uses DATABASE_URL like the server (default sqlite:./data/switchboard.db, relative to the working directory).',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .option('--create', 'create the database when DATABASE_URL names none yet (otherwise only serve and migrate do)')
    // Errors come back to runCli as exceptions instead of ending the process; output goes to `io`.
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  const cli = new CliContext(io, program);
  withExamples(program, 'switchboard keys create --workspace acme', 'switchboard numbers import numbers.csv --workspace acme', 'switchboard serve');

  withExamples(program.command('serve').description('start the HTTP server (creates the database and applies migrations first)'), 'PORT=8080 switchboard serve').action(
    async () => (await import('./serve.ts')).serve(cli),
  );
  withExamples(
    program.command('migrate').description('create the database if needed, apply pending migrations and exit'),
    'DATABASE_URL=postgres://switchboard@db.internal:5432/switchboard switchboard migrate',
  ).action(() =>
    cli.withRuntime(async (runtime) => cli.out(`migrated (${runtime.database.engine})`), { creates: true }),
  );
  registerKeyCommands(program, cli);
  registerNumberCommands(program, cli);
  registerInventoryCommands(program, cli);
  registerBackupCommand(program, cli);
  usageAfterErrors(program);
  return { program, cli };
}

/**
 * Runs one command line (`argv` without the node and script names) and returns its exit status:
 * 0 done, 1 the command failed (message on stderr), 2 the command line was not understood. The
 * bin is a thin wrapper around this; tests call it in process.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { program, cli } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    // Commander has already printed its message (and, for --help and --version, exits 0).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    io.stderr.write(`switchboard: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
