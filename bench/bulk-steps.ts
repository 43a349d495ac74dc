/**
 * A bulk import's CPU per number in process, without the worker thread, with the three insert
 * statements' share timed apart, for before/after comparisons of the import's own work:
 *
 *   node --import tsx bench/bulk-steps.ts [--rounds 4] [checkout-root]
 *
 * `PhoneNumberService.importMany` (bulkImportWorker off) of 10,000 numbers per round on a fresh
 * SQLite file; one JSON line per round: CPU µs per number in all (process.cpuUsage) and in each
 * insert (the service's `insertNumbers`, `insertAgents`, `insertEvents`, wrapped). The first
 * 400-number import warms up and is not printed. `--cpu-prof` on node profiles exactly this.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchNumber } from './lib/numbers.ts';
import { seedItem } from './scenarios.ts';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '4' } } });
const root = path.resolve(positionals[0] ?? path.join(import.meta.dirname, '..'));
const load = async <T>(file: string) => (await import(path.join(root, file))) as T;
const { openDatabase } = await load<typeof import('../src/db/database.ts')>('src/db/database.ts');
const { migrateToLatest } = await load<typeof import('../src/db/migrate.ts')>('src/db/migrate.ts');
const { SecretBox } = await load<typeof import('../src/domain/secrets.ts')>('src/domain/secrets.ts');
const { ChangeFeed } = await load<typeof import('../src/services/change-feed.ts')>('src/services/change-feed.ts');
const { PhoneNumberService } = await load<typeof import('../src/services/phone-numbers/service.ts')>('src/services/phone-numbers/service.ts');

const PER_ROUND = 10_000;
const cpuUs = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};
const items = (start: number, count: number) => Array.from({ length: count }, (_, i) => seedItem(benchNumber(start + i)));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bulk-steps-'));
const database = await openDatabase(`sqlite:${path.join(dir, 'bulk.db')}`);
await migrateToLatest(database);
const workspaceId = crypto.randomUUID();
await database.db.insertInto('workspaces').values({ id: workspaceId, name: 'bulk', parent_id: null, created_at: new Date().toISOString(), default_carrier_id: null }).execute();
const service = new PhoneNumberService({ database, secrets: new SecretBox(Buffer.alloc(32, 7)), clock: () => new Date() }, new ChangeFeed(), { bulkImportWorker: false });
const actor = { workspaceId, keyId: null, scopes: new Set(['numbers:read', 'numbers:write'] as const) };

// The inserts are private fields of the service (src/db/bulk-insert.ts): wrapped here, by name, to time them.
const spent: Record<string, number> = {};
const inserts = service as unknown as Record<string, (...args: unknown[]) => Promise<void>>;
for (const name of ['insertNumbers', 'insertAgents', 'insertEvents']) {
  const insert = inserts[name]!;
  inserts[name] = async (...insertArgs: unknown[]) => {
    const before = cpuUs();
    await insert(...insertArgs);
    spent[name] = (spent[name] ?? 0) + cpuUs() - before;
  };
}

await service.importMany(actor, items(900_000, 400) as never);
for (let round = 0; round < Number(args.rounds); round++) {
  for (const name of Object.keys(spent)) spent[name] = 0;
  const before = cpuUs();
  const results = await service.importMany(actor, items(round * PER_ROUND, PER_ROUND) as never);
  const total = cpuUs() - before;
  if (results.some((result) => result.status !== 'created')) throw new Error('an item failed');
  const perNumber = (us: number) => Number((us / PER_ROUND).toFixed(1));
  process.stdout.write(`${JSON.stringify({ root, round, cpuUsPerNumber: perNumber(total), ...Object.fromEntries(Object.entries(spent).map(([name, us]) => [name, perNumber(us)])) })}\n`);
}
await database.close();
fs.rmSync(dir, { recursive: true, force: true });
