import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_ENTRY } from '../../scripts/run-entry.mjs';
import { killHard, startServer } from '../hardening/server-process.ts';

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

  // Builds, then starts the CLI and a server as processes and imports 2,500 numbers: about 10 s idle,
  // over 30 s (the suite's default limit) on a loaded two-core machine.
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

    // `--help`, `--version` and usage errors load only the command definitions: every module the
    // entry reaches through static imports is free of the HTTP stack, the store and the services.
    const reached = staticPackages(entry);
    for (const heavy of ['fastify', 'kysely', 'pg', 'better-sqlite3', '@sinclair/typebox', 'libphonenumber-js', 'pino', 'twilio', 'telnyx']) {
      expect([...reached].filter((name) => name === heavy || name.startsWith(`${heavy}/`)), heavy).toEqual([]);
    }
    expect(reached).toContain('commander');

    const env = { ...process.env, DATABASE_URL: `sqlite:${path.join(dataDir, 'sb.db')}` };
    const created = await cli(['keys', 'create', '--workspace', 'acme', '--json', '--create'], env);
    expect(JSON.parse(created.stdout)).toMatchObject({ key: expect.stringMatching(/^sk_/) });

    // The compiled server runs a bulk import on the worker thread, an entry point of the build of
    // its own (the CLI imports in its own thread), whose body (≈ 75 KB) the worker also decodes;
    // started with a per-process Node flag, which a worker thread refuses to inherit.
    const server = await startServer({ ...env, LOG_LEVEL: 'warn' }, ['--max-old-space-size=1024', '--input-type=module', '-e', RUN_ENTRY, entry]);
    try {
      const items = Array.from({ length: 2_500 }, (_, i) => ({ phone_number: `+1415301${String(i).padStart(4, '0')}` }));
      const response = await fetch(`${server.base}/v1/phone-numbers/bulk`, {
        method: 'POST',
        headers: { authorization: `Bearer ${(JSON.parse(created.stdout) as { key: string }).key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ items }),
      });
      const body = (await response.json()) as { data: { status: string }[] };
      expect(response.status).toBe(200);
      expect(body.data.filter((item) => item.status === 'created')).toHaveLength(2_500);
    } finally {
      await killHard(server);
    }
  }, 120_000);

});

/** The packages a built module and the chunks it statically imports (transitively) import. */
function staticPackages(entry: string, seen = new Set<string>(), packages = new Set<string>()): Set<string> {
  if (seen.has(entry)) return packages;
  seen.add(entry);
  // esbuild writes static imports as `import … from "x"` or `import "x"` statements at line starts.
  for (const [, specifier] of fs.readFileSync(entry, 'utf8').matchAll(/^import\s(?:[^;]*?\sfrom\s)?"([^"]+)";?$/gms)) {
    if (specifier!.startsWith('.')) staticPackages(path.resolve(path.dirname(entry), specifier!), seen, packages);
    else if (!specifier!.startsWith('node:')) packages.add(specifier!);
  }
  return packages;
}
