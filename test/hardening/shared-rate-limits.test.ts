/**
 * Shared rate limits: with REDIS_URL the per-key counters live in Redis, so two instances allow
 * RATE_LIMIT_PER_MINUTE in total, not each. Redis unreachable: requests are served (fail open)
 * and a warning is logged once a minute. Real Redis at 127.0.0.1:6379; every test writes under a
 * prefix of its own, so parallel runs never share a counter.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHarness, dropSchema, onPostgres, TEST_DATABASE_URL, type Harness } from '../helpers/harness.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMIT = 300;
const prefix = `test:${crypto.randomBytes(6).toString('hex')}:`;
// Two instances of one installation: one PostgreSQL schema, or one SQLite file.
const schema = `t_rl_${process.pid}_${Date.now().toString(36)}`;
let dir: string | undefined;
let first: Harness;
let second: Harness;

beforeAll(async () => {
  const env = { RATE_LIMIT_PER_MINUTE: String(LIMIT), REDIS_URL, REDIS_KEY_PREFIX: prefix };
  if (onPostgres) {
    first = await createHarness({ env, schema });
    second = await createHarness({ env, schema });
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-rl-'));
    const databaseUrl = `sqlite:${path.join(dir, 'switchboard.db')}`;
    first = await createHarness({ env, databaseUrl });
    second = await createHarness({ env, databaseUrl });
  }
}, 60_000);

afterAll(async () => {
  await first?.close();
  await second?.close();
  if (onPostgres) await dropSchema(TEST_DATABASE_URL, schema);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('one key alternating over two instances gets the configured rate in total, not per instance', { timeout: 60_000 }, async () => {
  const key = await (await first.workspace()).key();
  const statuses: number[] = [];
  let uncounted = 0;
  // 504 requests, eight at a time, alternating between the instances: well inside one window.
  for (let start = 0; start < 504; start += 8) {
    const batch = await Promise.all(
      Array.from({ length: 8 }, (_, offset) => ((start + offset) % 2 === 0 ? first : second).request('GET', '/v1/phone-numbers', { key })),
    );
    statuses.push(...batch.map((response) => response.status));
    // Served uncounted (fail open): Redis did not answer within its 250 ms, as on a loaded machine.
    uncounted += batch.filter((response) => response.headers['ratelimit-limit'] === undefined).length;
    const limited = batch.find((response) => response.status === 429);
    if (limited) expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  }
  const allowed = statuses.filter((status) => status === 200).length;
  // Exactly the limit: every request is counted by one atomic INCR in Redis, no per-instance share.
  // The only slack is the requests Redis was too slow to count, each of them served without
  // RateLimit headers (at most 5 %: more would say nothing about sharing).
  expect(uncounted).toBeLessThanOrEqual(25);
  expect(allowed).toBeGreaterThanOrEqual(LIMIT);
  expect(allowed).toBeLessThanOrEqual(LIMIT + uncounted);
  expect(statuses.filter((status) => status === 429)).toHaveLength(statuses.length - allowed);
  // Both instances refused some: the shared counter, not one instance's, ran out.
  const refusedBy = new Set(statuses.map((status, index) => (status === 429 ? index % 2 : -1)).filter((who) => who >= 0));
  expect(refusedBy).toEqual(new Set([0, 1]));
});

test('Redis unreachable: requests are served (fail open) and the warning is logged once, not per request', { timeout: 60_000 }, async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  // Nothing listens on port 1: the connection is refused at once.
  const h = await createHarness({
    env: { RATE_LIMIT_PER_MINUTE: '5', REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: prefix },
    logger: pino({ level: 'warn' }, sink),
  });
  try {
    const key = await (await h.workspace()).key();
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await h.request('GET', '/v1/phone-numbers', { key })).status);
    expect(statuses.every((status) => status === 200)).toBe(true);
    // Not counted, so no RateLimit headers: they would only be guesses.
    const served = await h.request('GET', '/v1/phone-numbers', { key });
    expect(served.headers['ratelimit-remaining']).toBeUndefined();
    const warnings = lines.filter((line) => line.includes('Redis unreachable'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!).level).toBe(40);
  } finally {
    await h.close();
  }
});
