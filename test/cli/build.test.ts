import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const RUN_ENTRY =
  'const { runCli } = await import(process.argv[1]); ' +
  'process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });';
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

    // What bin/switchboard.mjs does with dist/switchboard.js.
    const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) => run(process.execPath, ['--input-type=module', '-e', RUN_ENTRY, entry, ...args], { cwd: dataDir, env });
    const help = await cli(['--help']);
    expect(help.stdout).toContain('keys');

    const env = { ...process.env, DATABASE_URL: `sqlite:${path.join(dataDir, 'sb.db')}` };
    const created = await cli(['keys', 'create', '--workspace', 'acme', '--json', '--create'], env);
    expect(JSON.parse(created.stdout)).toMatchObject({ key: expect.stringMatching(/^sk_/) });

    // 150 rows run on the bulk-import worker thread, its own entry point of the build.
    const csv = ['phone_number', ...Array.from({ length: 150 }, (_, i) => `+1415301${String(i).padStart(4, '0')}`)].join('\n');
    fs.writeFileSync(path.join(dataDir, 'numbers.csv'), `${csv}\n`);
    const imported = await cli(['numbers', 'import', 'numbers.csv', '--workspace', 'acme'], env);
    expect(imported.stdout).toContain('created 150, failed 0');
  });

});
