import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { StockSummaryRow } from '../services/inventory/local-inventory.ts';
import { ValidationError } from '../services/errors.ts';
import { withExamples, type CliContext } from './context.ts';
import { formatTable } from './table.ts';

const PROVIDER_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export function formatSummary(rows: StockSummaryRow[]): string {
  const header = ['country', 'area_code', 'toll_free', 'provider', 'total', 'available'];
  const lines = rows.map((row) => [row.country ?? '-', row.area_code ?? '-', row.toll_free ? 'yes' : 'no', row.provider ?? '-', String(row.total), String(row.available)]);
  const total = rows.reduce((sum, row) => sum + row.total, 0);
  const available = rows.reduce((sum, row) => sum + row.available, 0);
  lines.push(['all', '', '', '', String(total), String(available)]);
  return formatTable(header, lines);
}

/** `switchboard inventory add|list`: the operator's number stock that Retell's create-phone-number buys from. */
export function registerInventoryCommands(program: Command, cli: CliContext): void {
  const inventory = withExamples(
    program.command('inventory').description("the operator's number stock (what create-phone-number buys from)"),
    'switchboard inventory add +14155550100-+14155550199 --provider twilio',
  );
  withExamples(
    inventory
      .command('add <numbers...>')
      .description('add numbers: +14155550100, a range +14155550100-+14155550199, or a CSV file with a phone_number column')
      .option('--provider <name>', 'the carrier the numbers come from (twilio, telnyx, ...); Retell reports them as retell-<provider>'),
    'switchboard inventory add +14155550100-+14155550199 --provider twilio',
    'switchboard inventory add dids.csv',
  ).action((specs: string[], options: { provider?: string }) =>
    cli.withServices(async (services) => {
      const provider = options.provider?.toLowerCase() ?? null;
      if (provider !== null && !PROVIDER_NAME.test(provider)) {
        throw ValidationError.field('--provider', 'must be a lower-case name such as twilio or telnyx');
      }
      // Relative CSV paths are the operator's, not the process's working directory.
      const { parseStockSpecs } = await import('./inventory-specs.ts');
      const entries = parseStockSpecs(specs, provider, (file) => fs.readFileSync(path.resolve(cli.io.cwd, file), 'utf8'), cli.io.cwd);
      const { added, skipped } = await services.stock.add(entries);
      cli.out(`added ${added} number${added === 1 ? '' : 's'}${skipped > 0 ? ` (${skipped} already in stock)` : ''}`);
    }),
  );
  withExamples(
    inventory.command('list').description('numbers in stock per country and area code: total and still available').option('--json', 'print the rows as JSON'),
    'switchboard inventory list --json',
  ).action((options: { json?: boolean }) =>
    cli.withServices(async (services) => {
      const rows = await services.stock.summary();
      cli.out(options.json ? JSON.stringify(rows) : formatSummary(rows));
    }),
  );
}
