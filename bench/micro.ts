/**
 * In-process CPU cost of the service calls behind the HTTP figures, for before/after comparisons
 * of a fix: `node --import tsx bench/micro.ts [checkout-root]` (default: this checkout). CPU time
 * (process.cpuUsage) rather than wall time, so other work on a shared machine distorts it less.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchNumber } from './lib/numbers.ts';
import { seedItem } from './scenarios.ts';

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..'));
const { loadConfig } = (await import(path.join(root, 'src/config.ts'))) as typeof import('../src/config.ts');
const { openRuntime, buildServer } = (await import(path.join(root, 'src/runtime.ts'))) as typeof import('../src/runtime.ts');

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-micro-'));
const url = `sqlite:${path.join(dir, 'micro.db')}`;
const config = loadConfig({ DATABASE_URL: url, SWITCHBOARD_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_LEVEL: 'silent' });
const runtime = await openRuntime(config);
const services = runtime.services;
const workspace = await services.workspaces.ensureWorkspace('micro');
const actor = { workspaceId: workspace.id, keyId: 'micro', scopes: new Set(['numbers:read', 'numbers:write', 'routing', 'admin']) } as never;

const figures: Record<string, string> = {};
let imported: Array<{ id: string; phone: string }> = [];
for (let round = 0; round < 3; round++) {
  const items = Array.from({ length: 10_000 }, (_, i) => seedItem(benchNumber(round * 10_000 + i)) as never);
  const before = cpuMs();
  const results = await services.phoneNumbers.importMany(actor, items);
  const spent = cpuMs() - before;
  if (round === 2) figures['importMany, CPU µs per number (10,000 per call)'] = ((spent * 1000) / 10_000).toFixed(1);
  imported = imported.concat(results.flatMap((r) => (r.status === 'created' ? [{ id: r.phone_number.id, phone: r.phone_number.phone_number }] : [])));
}
for (const [label, call] of [
  ['get by id, CPU µs per call', (i: number) => services.phoneNumbers.getByIdOrNumber(actor, imported[i % imported.length]!.id)],
  ['get by number, CPU µs per call', (i: number) => services.phoneNumbers.getByIdOrNumber(actor, imported[i % imported.length]!.phone)],
] as const) {
  for (let i = 0; i < 5_000; i++) await call(i);
  const before = cpuMs();
  for (let i = 0; i < 20_000; i++) await call(i);
  figures[label] = (((cpuMs() - before) * 1000) / 20_000).toFixed(1);
}
// A list page of 50 from the first pages of the workspace (held after the first pass).
const cursors: Array<string | undefined> = [undefined];
for (let page = 0; page < 19; page++) cursors.push((await services.phoneNumbers.list(actor, { limit: 50, cursor: cursors.at(-1) })).next_cursor ?? undefined);
const listPage = (i: number) => services.phoneNumbers.list(actor, { limit: 50, cursor: cursors[i % cursors.length] });
for (let i = 0; i < 200; i++) await listPage(i);
const listBefore = cpuMs();
for (let i = 0; i < 2_000; i++) await listPage(i);
figures['list page of 50, CPU µs per call'] = (((cpuMs() - listBefore) * 1000) / 2_000).toFixed(1);
const startBefore = cpuMs();
const app = await buildServer(config, runtime);
await app.ready();
figures['buildServer + ready, CPU ms'] = (cpuMs() - startBefore).toFixed(0);
await app.close();
await runtime.close();
fs.rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ root, ...figures })}\n`);
