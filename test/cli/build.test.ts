import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

// The compiled CLI (what `npm ci` builds and `npm start` / `npx switchboard` run), built into a
// folder of its own so the checkout's dist/ is left alone while other test files use it.
describe('compiled build', () => {
  const outdir = path.join(root, `dist.tmp-test-${process.pid}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-build-'));
  afterAll(() => {
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('bundles src/ into an entry that runs the CLI and opens the store without tsx', async () => {
    await run(process.execPath, ['scripts/build.mjs', '--outdir', outdir], { cwd: root });
    const entry = path.join(outdir, 'switchboard.js');
    const stamp = JSON.parse(fs.readFileSync(path.join(outdir, 'build.json'), 'utf8')) as { outputs: number };
    expect(stamp.outputs).toBeGreaterThan(1);
    // Nothing in the output still points at TypeScript sources.
    expect(fs.readFileSync(entry, 'utf8')).not.toMatch(/from ["'][^"']*\.ts["']/);

    const help = await run(process.execPath, [entry, '--help'], { cwd: dataDir });
    expect(help.stdout).toContain('keys');

    const env = { ...process.env, DATABASE_URL: `sqlite:${path.join(dataDir, 'sb.db')}` };
    const created = await run(process.execPath, [entry, 'keys', 'create', '--workspace', 'acme', '--json'], { cwd: dataDir, env });
    expect(JSON.parse(created.stdout)).toMatchObject({ key: expect.stringMatching(/^sk_/) });
  });

  it('loads only the command definitions up front: the store and the server are imported by the actions', () => {
    const packages = staticPackageImports(path.join(outdir, 'switchboard.js'));
    expect(packages).toContain('commander');
    for (const heavy of ['fastify', 'kysely', 'better-sqlite3', 'pg', 'libphonenumber-js/max', '@sinclair/typebox/value']) expect(packages).not.toContain(heavy);
  });
});

/** Packages a compiled module loads before its code runs: its static imports and its chunks', transitively. */
function staticPackageImports(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(file)) return packages;
  seen.add(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const [, specifier] of text.matchAll(/^import\s(?:[^'"]*?\sfrom\s)?["']([^"']+)["']/gms)) {
    if (specifier!.startsWith('.')) for (const name of staticPackageImports(path.resolve(path.dirname(file), specifier!), seen)) packages.add(name);
    else if (!specifier!.startsWith('node:')) packages.add(specifier!);
  }
  return packages;
}
