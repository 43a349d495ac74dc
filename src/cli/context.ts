import type { Command } from 'commander';
import type { Config } from '../config.ts';
import { describeStore, parseDatabaseUrl } from '../db/url.ts';
import type { Runtime } from '../runtime.ts';
import type { Services } from '../services/index.ts';

/** A stream the CLI writes to; `isTTY` decides whether a progress bar is drawn. */
export interface OutputStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
}

/** Everything a CLI run reads from its process, so that tests can run it in process. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** A failure the operator caused and can fix (exit 1, message only). */
export class CliError extends Error {}

/** One run of the CLI: its streams, its exit code and the way to reach the store. */
export class CliContext {
  exitCode = 0;
  private loaded: Config | undefined;

  constructor(
    readonly io: CliIo,
    private readonly program: Command,
  ) {}

  /**
   * The configuration, parsed once per run. Loaded on first use, like the store and the
   * services below: `--help`, `--version` and usage errors load neither (they stay fast).
   */
  async config(): Promise<Config> {
    const { loadConfig } = await import('../config.ts');
    return (this.loaded ??= loadConfig(this.io.env, this.io.cwd));
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Says which store a command opened, on stderr so that `KEY=$(switchboard keys create …)` keeps working. */
  announceStore(config: Config, verb = 'using'): void {
    this.io.stderr.write(`switchboard: ${verb} ${describeStore(parseDatabaseUrl(config.DATABASE_URL))}\n`);
  }

  /**
   * Opens the store for a command that needs an existing installation. A store nobody has migrated
   * is usually a mistake (the CLI run from another folder than the server, a typo in the path): the
   * command stops instead of creating a database the server will never read, unless `--create`.
   */
  async withRuntime<T>(work: (runtime: Runtime, config: Config) => Promise<T>, { creates = false } = {}): Promise<T> {
    const config = await this.config();
    const { openRuntime, storeIsInstalled } = await import('../runtime.ts');
    const create = creates || this.program.opts<{ create?: boolean }>().create === true;
    if (!create && !(await storeIsInstalled(config))) {
      throw new CliError(
        `no Switchboard database at ${describeStore(parseDatabaseUrl(config.DATABASE_URL))}; nothing was created.\n` +
          '  Point DATABASE_URL at the database the server uses (`switchboard serve` creates it on its first start),\n' +
          '  or run `switchboard migrate` or pass --create to create a new one there.',
      );
    }
    // No worker thread for imports: nothing in a CLI process waits on its event loop.
    const runtime = await openRuntime(config, { bulkImportWorker: false });
    this.announceStore(config);
    try {
      return await work(runtime, config);
    } finally {
      await runtime.close();
    }
  }

  withServices<T>(work: (services: Services) => Promise<T>): Promise<T> {
    return this.withRuntime(({ services }) => work(services));
  }
}

/** `--help` ends with runnable examples. */
export function withExamples(command: Command, ...examples: string[]): Command {
  return command.addHelpText('after', `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`);
}
