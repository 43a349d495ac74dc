import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { afterAll, expect, test } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { isMigrated } from '../../src/db/migrate.ts';
import { onPostgres } from '../helpers/harness.ts';
import { runAsProcess } from '../cli/run.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-migrate-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// Two processes started together on a new SQLite file both find it unmigrated (Kysely takes no
// migration lock on SQLite): the one that loses the race must wait and find the work done, not
// fail with "table already exists" (the bench's two `keys create` did). To make them race for
// certain, this test holds the file's write lock while both start, and lets go at once: both
// then want to migrate at the same moment.
test.skipIf(onPostgres)('two CLI processes creating keys on one new SQLite file at once both succeed on one migrated schema', async () => {
  const file = path.join(dir, 'switchboard.db');
  const holder = new SQLite(file);
  holder.pragma('journal_mode = WAL');
  holder.exec('begin immediate');
  const databaseUrl = `sqlite:${file}`;
  const runs = Promise.all(['first', 'second'].map((workspace) => runAsProcess(['--create', 'keys', 'create', '--workspace', workspace, '--json'], { databaseUrl, cwd: dir })));
  // Long enough for both to start and wait on the lock; well inside their 5 s busy timeout.
  await sleep(2000);
  holder.exec('commit');
  holder.close();
  for (const run of await runs) expect(run.code, run.stderr).toBe(0);
  const keys = (await runs).map((run) => JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { workspace_id: string });
  expect(new Set(keys.map((key) => key.workspace_id)).size).toBe(2);
  const database = await openDatabase(databaseUrl);
  try {
    expect(await isMigrated(database)).toBe(true);
  } finally {
    await database.close();
  }
}, 60_000);
