import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { operatorActor } from '../services/context.ts';
import { NUMBER_STATUSES, type PhoneNumber } from '../services/phone-numbers/model.ts';
import { registerNumbersSyncCommand } from './numbers-sync.ts';
import { withExamples, type CliContext } from './context.ts';
import type { NumberFilters } from './export-numbers.ts';
import { CSV_COLUMNS, MAX_BATCH_ROWS } from './import-columns.ts';
import type { ImportProgress, ImportSummary } from './import-numbers.ts';
import { formatTable } from './table.ts';

/** The most numbers `numbers list` prints; `numbers export` is for all of them. */
export const MAX_LIST_LIMIT = 10_000;

interface FilterOptions {
  status?: string;
  country?: string;
  capability?: 'voice' | 'sms';
  agent?: string;
  available?: boolean;
  assigned?: boolean;
  search?: string;
}

function integerFrom(min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return parsed;
  };
}

/** The filters of GET /v1/phone-numbers, as flags. */
function withFilterOptions(command: Command): Command {
  return command
    .addOption(new Option('--status <status>', 'only numbers with this status').choices(NUMBER_STATUSES))
    .option('--country <code>', 'only numbers of this ISO country (e.g. US)')
    .addOption(new Option('--capability <kind>', 'only numbers with this capability').choices(['voice', 'sms']))
    .option('--agent <agent_id>', 'only numbers bound to this agent (any direction)')
    .addOption(new Option('--available', 'only numbers with no inbound agent').conflicts('assigned'))
    .option('--assigned', 'only numbers with an inbound agent')
    .option('--search <text>', 'part of the number or of the nickname');
}

function filtersOf(options: FilterOptions): NumberFilters {
  return {
    ...(options.status ? { status: options.status } : {}),
    ...(options.country ? { country: options.country } : {}),
    ...(options.capability ? { capability: options.capability } : {}),
    ...(options.agent ? { agent_id: options.agent } : {}),
    ...(options.available ? { available: true } : options.assigned ? { available: false } : {}),
    ...(options.search ? { q: options.search } : {}),
  };
}

function numberRows(records: PhoneNumber[]): string[][] {
  return records.map((record) => [
    record.phone_number,
    record.status,
    record.nickname ?? '-',
    record.country ?? '-',
    record.inbound_agents.map((agent) => agent.agent_id).join(',') || '-',
    record.id,
  ]);
}

function summaryLines(summary: ImportSummary): string {
  const lines = [`created ${summary.created}, failed ${summary.failed}`];
  for (const failure of summary.failures) {
    const reasons = failure.errors.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
    lines.push(`  line ${failure.line} ${failure.phone_number}: ${failure.code} ${reasons}`);
  }
  return lines.join('\n');
}

/**
 * The bar counts each byte twice, once read and once stored, so that it moves while a batch of up to
 * 10,000 rows is parsed and again as each batch commits (with one batch it no longer jumps 0 → 100 %).
 */
export function progressBarValue(progress: ImportProgress): number {
  return progress.readBytes + progress.storedBytes;
}

function registerImport(numbers: Command, cli: CliContext): void {
  withExamples(
    numbers
      .command('import <file>')
      .description(
        `import numbers from a CSV file with a header row; columns are the native import fields: ${CSV_COLUMNS.join(', ')}. ` +
          'Exits 1 when any row failed (the others are imported).',
      )
      .requiredOption('--workspace <name>', 'workspace that receives the numbers (must exist)')
      .option('--batch-size <rows>', `rows per transaction, at most ${MAX_BATCH_ROWS}`, integerFrom(1, MAX_BATCH_ROWS), MAX_BATCH_ROWS),
    'switchboard numbers import numbers.csv --workspace acme',
  ).action((file: string, options: { workspace: string; batchSize: number }) =>
    cli.withServices(async (services) => {
      const workspace = await services.workspaces.getWorkspaceByName(options.workspace);
      const source = path.resolve(cli.io.cwd, file);
      const size = fs.statSync(source).size;
      // The bar is for people watching; piped or captured stderr gets only the summary.
      const bar = cli.io.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: 'importing [{bar}] {percentage}% | created {created}, failed {failed}', stream: cli.io.stderr as NodeJS.WritableStream },
            cliProgress.Presets.shades_classic,
          )
        : null;
      bar?.start(2 * size, 0, { created: 0, failed: 0 });
      try {
        const { importCsv } = await import('./import-numbers.ts');
        const summary = await importCsv(services.phoneNumbers, operatorActor(workspace.id), fs.createReadStream(source), {
          batchSize: options.batchSize,
          onProgress: (progress) => bar?.update(progressBarValue(progress), { created: progress.created, failed: progress.failed }),
        });
        bar?.update(2 * size, { created: summary.created, failed: summary.failed });
        bar?.stop();
        cli.out(summaryLines(summary));
        if (summary.failed > 0) cli.exitCode = 1;
      } finally {
        bar?.stop();
      }
    }),
  );
}

/** `switchboard numbers import|list|export`. */
export function registerNumberCommands(program: Command, cli: CliContext): void {
  const numbers = withExamples(
    program.command('numbers').description('manage phone numbers'),
    'switchboard numbers import numbers.csv --workspace acme',
    'switchboard numbers list --workspace acme',
  );
  registerImport(numbers, cli);
  registerNumbersSyncCommand(numbers, cli);

  withExamples(
    withFilterOptions(
      numbers
        .command('list')
        .description("list a workspace's live numbers in id (creation) order")
        .requiredOption('--workspace <name>', 'the workspace whose numbers are listed'),
    )
      .option('--limit <n>', `print at most this many, up to ${MAX_LIST_LIMIT}`, integerFrom(1, MAX_LIST_LIMIT), 100)
      .option('--json', 'print the records as a JSON array (the API representation)'),
    'switchboard numbers list --workspace acme --country US --available',
    'switchboard numbers list --workspace acme --search "front desk" --json',
  ).action((options: FilterOptions & { workspace: string; limit: number; json?: boolean }) =>
    cli.withServices(async (services) => {
      const workspace = await services.workspaces.getWorkspaceByName(options.workspace);
      const { liveNumbers } = await import('./export-numbers.ts');
      const records: PhoneNumber[] = [];
      let more = false;
      for await (const record of liveNumbers(services.phoneNumbers, operatorActor(workspace.id), filtersOf(options), Math.min(options.limit + 1, 1000))) {
        if (records.length === options.limit) {
          more = true;
          break;
        }
        records.push(record);
      }
      // --json prints what GET /v1/phone-numbers/:id returns; the version travels there as the ETag.
      const representation = records.map(({ version: _version, ...record }) => record);
      cli.out(options.json ? JSON.stringify(representation) : formatTable(['phone_number', 'status', 'nickname', 'country', 'inbound_agents', 'id'], numberRows(records)));
      if (more) cli.io.stderr.write(`switchboard: more numbers match; raise --limit or use \`switchboard numbers export\`\n`);
    }),
  );

  withExamples(
    withFilterOptions(
      numbers
        .command('export <file>')
        .description(
          'write every live number of a workspace to a CSV file in the columns `numbers import` reads (trunk passwords stay empty: they are write-only)',
        )
        .requiredOption('--workspace <name>', 'the workspace whose numbers are exported'),
    ),
    'switchboard numbers export numbers.csv --workspace acme',
    'switchboard numbers import numbers.csv --workspace acme-copy',
  ).action((file: string, options: FilterOptions & { workspace: string }) =>
    cli.withServices(async (services) => {
      const workspace = await services.workspaces.getWorkspaceByName(options.workspace);
      const target = path.resolve(cli.io.cwd, file);
      const { exportCsv } = await import('./export-numbers.ts');
      const count = await exportCsv(services.phoneNumbers, operatorActor(workspace.id), target, filtersOf(options));
      cli.out(`exported ${count} number${count === 1 ? '' : 's'} to ${target}`);
    }),
  );
}
