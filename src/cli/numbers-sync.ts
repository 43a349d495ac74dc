import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { operatorActor } from '../services/context.ts';
import type { Services } from '../services/index.ts';
import type { SyncSummary } from '../services/inventory/sync.ts';
import { withExamples, type CliContext, type OutputStream } from './context.ts';

export interface NumbersSyncOptions {
  provider: 'twilio' | 'telnyx';
  workspace: string;
  dryRun?: boolean;
}

/** `added 12, already here 3, owned elsewhere 1` (and what failed, one line each). */
export function formatSyncSummary(summary: SyncSummary): string {
  const lines = [
    `${summary.dry_run ? 'would add' : 'added'} ${summary.added}, already here ${summary.already_here}, owned elsewhere ${summary.owned_elsewhere}` +
      (summary.failed > 0 ? `, failed ${summary.failed}` : ''),
  ];
  for (const error of summary.errors) lines.push(`  ${error.phone_number}: ${error.message}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Imports the numbers a carrier account owns into a workspace, with a progress bar on a
 * terminal (piped or captured stderr gets only the summary). Repeating it changes nothing.
 */
export async function numbersSync(services: Services, options: NumbersSyncOptions, stderr: OutputStream = process.stderr): Promise<SyncSummary> {
  const workspace = await services.workspaces.getWorkspaceByName(options.workspace);
  const bar = stderr.isTTY
    ? new cliProgress.SingleBar({ format: `${options.provider} [{bar}] {value}/{total} numbers`, stream: stderr as NodeJS.WritableStream }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(0, 0);
  try {
    return await services.carrierSync.sync(operatorActor(workspace.id), options.provider, {
      dryRun: options.dryRun ?? false,
      // Twilio does not say how many numbers an account has: the total grows with each page.
      onProgress: ({ seen, total }) => {
        bar?.setTotal(total ?? seen);
        bar?.update(seen);
      },
    });
  } finally {
    bar?.stop();
  }
}

/** `switchboard numbers sync`, registered under the `numbers` command. */
export function registerNumbersSyncCommand(numbers: Command, cli: CliContext): void {
  withExamples(
    numbers
      .command('sync')
      .description('import the numbers a carrier account (TWILIO_* / TELNYX_* settings) owns and this installation does not have yet; repeating it changes nothing')
      .addOption(new Option('--provider <carrier>', 'the carrier account to read').choices(['twilio', 'telnyx']).makeOptionMandatory())
      .requiredOption('--workspace <name>', 'workspace that receives the numbers (must exist)')
      .option('--dry-run', 'count only; import nothing'),
    'switchboard numbers sync --provider twilio --workspace acme --dry-run',
  ).action((options: NumbersSyncOptions) =>
    cli.withServices(async (services) => {
      const summary = await numbersSync(services, options, cli.io.stderr);
      cli.out(formatSyncSummary(summary));
      if (summary.failed > 0) cli.exitCode = 1;
    }),
  );
}
