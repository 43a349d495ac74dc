import type { Command } from 'commander';
import type { Services } from '../services/index.ts';

type WithServices = <T>(work: (services: Services) => Promise<T>) => Promise<T>;

// The command definitions alone; each action loads ./inventory.ts (and libphonenumber with it)
// when it runs, so the CLI's other commands start without them.

/** `switchboard inventory add|list`: the operator's number stock that Retell's create-phone-number buys from. */
export function registerInventoryCommands(program: Command, withServices: WithServices): void {
  const inventory = program.command('inventory').description("the operator's number stock (what create-phone-number buys from)");
  inventory
    .command('add <numbers...>')
    .description('add numbers: +14155550100, a range +14155550100-+14155550199, or a CSV file with a phone_number column')
    .option('--provider <name>', 'the carrier the numbers come from (twilio, telnyx, ...); Retell reports them as retell-<provider>')
    .action((specs: string[], options: { provider?: string }) =>
      withServices(async (services) => {
        const { parseStockSpecs, PROVIDER_NAME } = await import('./inventory.ts');
        const { ValidationError } = await import('../services/errors.ts');
        const provider = options.provider?.toLowerCase() ?? null;
        if (provider !== null && !PROVIDER_NAME.test(provider)) {
          throw ValidationError.field('--provider', 'must be a lower-case name such as twilio or telnyx');
        }
        const entries = parseStockSpecs(specs, provider);
        const { added, skipped } = await services.stock.add(entries);
        process.stdout.write(`added ${added} number${added === 1 ? '' : 's'}${skipped > 0 ? ` (${skipped} already in stock)` : ''}\n`);
      }),
    );
  inventory
    .command('list')
    .description('numbers in stock per country and area code: total and still available')
    .option('--json', 'print the rows as JSON')
    .action((options: { json?: boolean }) =>
      withServices(async (services) => {
        const { formatSummary } = await import('./inventory.ts');
        const rows = await services.stock.summary();
        process.stdout.write(options.json ? `${JSON.stringify(rows)}\n` : `${formatSummary(rows)}\n`);
      }),
    );
}
