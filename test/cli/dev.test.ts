import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { freePort } from '../hardening/server-process.ts';

const root = path.resolve(import.meta.dirname, '../..');
const onPostgres = process.env.DATABASE_URL?.startsWith('postgres') ?? false;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-dev-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

// `npm run dev` is the README's development server: the sources under `tsx watch`, logs through
// pino-pretty. Run for real (npm, tsx, the pipe), because what broke it once was the script
// pointing at a module that only exports runCli: it started, served nothing and printed nothing.
// The store does not matter to it, so it runs in the SQLite suite only.
test.skipIf(onPostgres)('npm run dev serves the sources and pretty-prints the start line', async () => {
  const port = await freePort();
  const child = spawn('npm', ['run', '--silent', 'dev'], {
    cwd: root,
    detached: true,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: `sqlite:${path.join(dataDir, 'dev.db')}`, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await expect.poll(() => output, { timeout: 60_000, interval: 200 }).toContain(`Switchboard listening at http://127.0.0.1:${port}`);
    // pino-pretty's form (`[time] INFO (pid): message`), not a JSON line.
    expect(output).toMatch(/INFO.*Switchboard listening at/);
    expect(output).not.toMatch(/^\{"level"/m);
    const response = await fetch(`http://127.0.0.1:${port}/livez`);
    expect(response.status).toBe(200);
  } finally {
    // tsx watch, the server it runs and pino-pretty share the process group npm was started in.
    process.kill(-child.pid!, 'SIGTERM');
  }
});
