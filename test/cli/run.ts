import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { runCli } from '../../src/cli/main.ts';
import { dropSchema, onPostgres, TEST_DATABASE_URL, TEST_SECRET_KEY } from '../helpers/harness.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const BIN = path.resolve(import.meta.dirname, '../../bin/switchboard.mjs');

/** What an operator would set: the store, the secret key, quiet logs. */
export function cliEnv(databaseUrl: string): Record<string, string | undefined> {
  return { ...process.env, DATABASE_URL: databaseUrl, SWITCHBOARD_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent' };
}

/** One CLI run in this process: the same runCli the bin calls, with captured output. */
export async function runInProcess(
  args: string[],
  { databaseUrl, cwd, env = {} }: { databaseUrl: string; cwd: string; env?: Record<string, string> },
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => ((stdout += text), true) },
    stderr: { write: (text: string) => ((stderr += text), true) },
    env: { ...cliEnv(databaseUrl), ...env },
    cwd,
  });
  return { code, stdout, stderr };
}

/** One CLI run as its own process (Node, tsx and the bin): for the end-to-end tests only, seconds each. */
export async function runAsProcess(args: string[], { databaseUrl, cwd }: { databaseUrl: string; cwd: string }): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { env: cliEnv(databaseUrl), cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

export interface FreshStore {
  databaseUrl: string;
  /** The PostgreSQL schema behind the URL (null on SQLite). */
  schema: string | null;
  drop(): Promise<void>;
}

/**
 * A store nothing has been written to, named the way an operator would name it: on SQLite a file
 * path under `dir`, on PostgreSQL a URL whose `options` pin a new, empty schema.
 */
export async function freshStore(dir: string, name: string): Promise<FreshStore> {
  if (!onPostgres) return { databaseUrl: `sqlite:${path.join(dir, name, 'switchboard.db')}`, schema: null, drop: async () => {} };
  const schema = `cli_${crypto.randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { databaseUrl: url.toString(), schema, drop: () => dropSchema(TEST_DATABASE_URL, schema) };
}
