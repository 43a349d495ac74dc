/**
 * README.md's shell examples, run in order against a started server, each block in a shell of
 * its own (so each sets up what it uses: its key, `$ID`, its own numbers). A block fails the test
 * when a command fails, when a request is answered 4xx/5xx that the README does not show, or when
 * the output shown on a `# → …` line no longer matches (`<…>` and `...` stand for anything).
 * A block preceded by `<!-- example: not run (why) -->` is skipped (installing, PostgreSQL set-up).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { buildServer, openRuntime, type Runtime } from '../../src/runtime.ts';
import { TEST_SECRET_KEY } from '../helpers/harness.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const README = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

interface Example {
  line: number;
  heading: string;
  code: string;
}

/** The README's `sh`/`bash` blocks, in order, with the heading they sit under. */
export function shellExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  const lines = markdown.split('\n');
  let heading = '';
  let previous = '';
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (/^#{2,4} /.test(line)) heading = line.replace(/^#+ /, '');
    const fence = /^```(sh|bash)\s*$/.exec(line);
    if (!fence) {
      if (line.trim() !== '') previous = line.trim();
      continue;
    }
    const start = index + 1;
    while (index + 1 < lines.length && !lines[index + 1]!.startsWith('```')) index++;
    const code = lines.slice(start, index + 1).join('\n');
    index++;
    if (!/^<!-- example: not run/.test(previous)) examples.push({ line: start, heading, code });
    previous = '';
  }
  return examples;
}

interface Shown {
  status: number | null;
  body: string;
}

const PRELUDE = String.raw`set -euo pipefail
cd "$SB_WORKDIR"
npx() { if [ "$1" = switchboard ]; then shift; node "$SB_BIN" "$@"; else command npx "$@"; fi; }
# The body passes through untouched (pipes into jq work); the status goes to a file of its own.
curl() {
  # A command that picks its own output (-o, -w, -D, -i) is left alone and its status not checked.
  case " $* " in *" -o "* | *" -w "* | *" -D "* | *" -i "*) command curl "$@"; return ;; esac
  local status
  status=$(command curl -w '%{http_code}' -o "$SB_BODY" "$@") || { cat "$SB_BODY" 2>/dev/null; return 1; }
  cat "$SB_BODY"; echo
  echo "$status" >> "$SB_STATUS"
}
__shown() { echo "@@SHOWN $1@@"; echo "@@SHOWN $1@@" >> "$SB_STATUS"; }
`;

/** The block as a script: the test server's port, and a marker where each `# → …` line was. */
function scriptOf(example: Example, port: number): { script: string; shown: Shown[] } {
  const shown: Shown[] = [];
  const lines = example.code.split('\n').map((line) => {
    const match = /^\s*# → (.*)$/.exec(line);
    if (!match) return line.replace(/localhost:3000/g, `localhost:${port}`);
    const [, status, body] = /^(?:(\d{3})\b)?\s*(.*)$/.exec(match[1]!)!;
    shown.push({ status: status ? Number(status) : null, body: body! });
    return `__shown ${shown.length - 1}`;
  });
  return { script: `${PRELUDE}\n${lines.join('\n')}\n`, shown };
}

function pattern(body: string): RegExp {
  const text = body.replace(/\s+/g, '');
  const parts = text.split(/(<[^>]*>|\.\.\.)/).map((part, index) => (index % 2 === 1 ? '[\\s\\S]*?' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(parts.join(''));
}

/** Problems with one block's run: unexpected error statuses, shown output that does not match. */
function check(stdout: string, statusLog: string, shown: Shown[]): string[] {
  const problems: string[] = [];
  const outputs = stdout.split(/@@SHOWN \d+@@\n?/);
  const statuses = statusLog.split(/@@SHOWN \d+@@\n?/).map((segment) => segment.split('\n').filter(Boolean).map(Number));
  statuses.forEach((segment, index) => {
    const expected = shown[index];
    for (const status of segment) {
      if (status >= 400 && status !== expected?.status) problems.push(`answered ${status}${expected ? ` where the README shows "${expected.status ?? ''} ${expected.body}"` : ''}: ${outputs[index]?.trim().slice(-400)}`);
    }
    if (!expected) return;
    if (expected.status !== null && segment.at(-1) !== expected.status) problems.push(`shown ${expected.status}, answered ${segment.at(-1) ?? 'nothing'}: ${outputs[index]?.trim().slice(-400)}`);
    if (expected.body && !pattern(expected.body).test((outputs[index] ?? '').replace(/\s+/g, ''))) {
      problems.push(`shown "${expected.body}", printed: ${outputs[index]?.trim().slice(-600)}`);
    }
  });
  return problems;
}

describe('README examples', () => {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-readme-'));
  const env = {
    DATABASE_URL: `sqlite:${path.join(workdir, 'data', 'switchboard.db')}`,
    SWITCHBOARD_SECRET_KEY: TEST_SECRET_KEY,
    LOG_LEVEL: 'silent',
    ROUTING_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
  };
  let runtime: Runtime;
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    const config = loadConfig(env);
    runtime = await openRuntime(config);
    app = await buildServer(config, runtime);
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    fs.rmSync(workdir, { recursive: true, force: true });
  });

  const examples = shellExamples(README);
  test('the README has runnable examples', () => expect(examples.length).toBeGreaterThan(5));

  test.each(examples.map((example) => [`line ${example.line} (${example.heading})`, example] as const))('%s', async (_name, example) => {
    const { script, shown } = scriptOf(example, port);
    const statusFile = path.join(workdir, `status-${example.line}`);
    fs.writeFileSync(statusFile, '');
    const shell = run('bash', ['-c', script], {
      env: { ...process.env, ...env, SB_WORKDIR: workdir, SB_BIN: path.join(root, 'bin', 'switchboard.mjs'), SB_BODY: path.join(workdir, 'body'), SB_STATUS: statusFile },
      // The CLI blocks start a process per command: minutes on a loaded machine.
      timeout: 170_000,
    });
    const result = await shell.catch((error: { code?: number; stdout?: string; stderr?: string }) => {
      throw new Error(`README line ${example.line}: a command failed (exit ${error.code}):\n${error.stderr}\n${error.stdout?.slice(-1000)}`);
    });
    expect(check(result.stdout, fs.readFileSync(statusFile, 'utf8'), shown), `README line ${example.line}`).toEqual([]);
  }, 180_000);
});
