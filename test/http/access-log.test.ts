/**
 * The access line: one per request, the fields operators rely on (never the key), LOG_LEVEL
 * honoured, and nothing lost when the buffered stdout destination is cut short: after the SIGTERM
 * shutdown and on a fatal error, every line of an answered request is on stdout.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { createHarness, TEST_SECRET_KEY, type Harness } from '../helpers/harness.ts';
import { baseEnv, startServer } from '../hardening/server-process.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
});
afterAll(async () => h.close());

async function appLogging(level: 'info' | 'warn') {
  const lines: string[] = [];
  const app = await buildApp({ config: { ...h.config, LOG_LEVEL: level }, services: h.runtime.services, logStream: { write: (line: string) => void lines.push(line) } });
  await app.ready();
  return { app, lines };
}

describe('the access line', () => {
  test('one JSON line per request with the request id, method, url, status, time, workspace and key ids', async () => {
    const { app, lines } = await appLogging('info');
    try {
      const workspace = await h.workspace();
      const key = await workspace.key();
      const keyId = (await h.runtime.services.workspaces.authenticate(key)).keyId;
      const response = await app.inject({ method: 'GET', url: '/v1/phone-numbers?limit=1', headers: { authorization: `Bearer ${key}` } });
      const anonymous = await app.inject({ method: 'GET', url: '/v1/phone-numbers/nope?q=%22' });
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'request');
      expect(entries).toHaveLength(2);
      expect(entries[0]).toEqual({
        level: 30,
        time: expect.any(Number),
        pid: process.pid,
        hostname: os.hostname(),
        reqId: response.headers['x-request-id'],
        method: 'GET',
        url: '/v1/phone-numbers?limit=1',
        status: 200,
        ms: expect.any(Number),
        workspaceId: workspace.id,
        keyId,
        msg: 'request',
      });
      // A caller without a valid key has no workspace; the path is logged as sent.
      expect(entries[1]).toMatchObject({ url: '/v1/phone-numbers/nope?q=%22', status: anonymous.statusCode });
      expect(entries[1]).not.toHaveProperty('workspaceId');
      expect(lines.join('')).not.toContain(key);
    } finally {
      await app.close();
    }
  });

  test('a line logged through request.log is bound to the request id and redacted like every other', async () => {
    const lines: string[] = [];
    const app = await buildApp({ config: { ...h.config, LOG_LEVEL: 'info' }, services: h.runtime.services, logStream: { write: (line: string) => void lines.push(line) } });
    app.get('/logs-through-request-log', async (request) => {
      request.log.warn({ trunk: { password: 'sk_secret' } }, 'something to say');
      request.log.child({ step: 'inner' }).info('and more');
      return { level: request.log.level };
    });
    await app.ready();
    try {
      const response = await app.inject({ method: 'GET', url: '/logs-through-request-log' });
      expect(response.json()).toEqual({ level: 'info' });
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const reqId = response.headers['x-request-id'];
      expect(entries.find((entry) => entry.msg === 'something to say')).toMatchObject({ level: 40, reqId, trunk: { password: '[redacted]' } });
      expect(entries.find((entry) => entry.msg === 'and more')).toMatchObject({ level: 30, reqId, step: 'inner' });
      expect(lines.join('')).not.toContain('sk_secret');
    } finally {
      await app.close();
    }
  });

  test('LOG_LEVEL=warn writes no access lines; a level changed at run time applies at once', async () => {
    const { app, lines } = await appLogging('warn');
    try {
      await app.inject({ method: 'GET', url: '/healthz' });
      expect(lines.filter((line) => line.includes('"msg":"request"'))).toHaveLength(0);
      app.log.level = 'info';
      await app.inject({ method: 'GET', url: '/healthz' });
      expect(lines.filter((line) => line.includes('"msg":"request"'))).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});

describe('buffered stdout is flushed when the process ends', () => {
  const requestIds = (output: string) =>
    output
      .split('\n')
      .filter((line) => line.includes('"msg":"request"'))
      .map((line) => (JSON.parse(line) as { reqId: string }).reqId);

  test('SIGTERM: the lines of every answered request are written before the process exits', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-access-'));
    try {
      const server = await startServer(baseEnv(`sqlite:${path.join(dir, 'switchboard.db')}`));
      const sent = Array.from({ length: 5 }, (_, index) => `term-${index}`);
      for (const id of sent) expect((await fetch(`${server.base}/healthz`, { headers: { 'x-request-id': id } })).status).toBe(200);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(requestIds(server.output())).toEqual(expect.arrayContaining(sent));
      expect(server.output()).toContain('"shut down"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a fatal error: the lines written before it are not lost', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-fatal-'));
    const script = path.join(dir, 'fatal.mts');
    const src = path.resolve(import.meta.dirname, '../../src');
    fs.writeFileSync(
      script,
      `import { loadConfig } from ${JSON.stringify(`${src}/config.ts`)};
import { buildServer, openRuntime } from ${JSON.stringify(`${src}/runtime.ts`)};
const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', SWITCHBOARD_SECRET_KEY: ${JSON.stringify(TEST_SECRET_KEY)}, LOG_LEVEL: 'info' });
const app = await buildServer(config, await openRuntime(config));
for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'fatal-' + i } });
setImmediate(() => { throw new Error('a bug nobody caught'); });
`,
    );
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: path.resolve(src, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code, stderr).toBe(1);
      expect(stderr).toContain('a bug nobody caught');
      expect(requestIds(stdout)).toEqual(['fatal-0', 'fatal-1', 'fatal-2']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
