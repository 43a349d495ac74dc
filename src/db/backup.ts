import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';

export interface BackupSummary {
  file: string;
  bytes: number;
  /** Live (not deleted) numbers in the copy. */
  numbers: number;
  workspaces: number;
}

/**
 * Copies an embedded SQLite database to `destination` while the server may be running: one
 * `VACUUM INTO` is one read transaction, so the copy is exactly what was committed when it began
 * (WAL lets the server write meanwhile), compacted, and a file of its own without a `-wal`
 * beside it. SQLite's backup API would restart from the first page whenever another connection
 * wrote, which under steady traffic may never end. The copy is written under a temporary name
 * and renamed once checked (`quick_check`), so a failed or interrupted backup never leaves a file
 * that looks like one. Refuses to replace an existing file unless `replace`.
 */
export function backupSqlite(source: string, destination: string, { replace = false } = {}): BackupSummary {
  const target = path.resolve(destination);
  if (path.resolve(source) === target) throw new Error('the backup must be another file than the database itself');
  if (!replace && fs.existsSync(target)) throw new Error(`${target} already exists; pass --force to replace it`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  fs.rmSync(partial, { force: true });
  const database = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    database.pragma('busy_timeout = 5000');
    database.prepare('VACUUM INTO ?').run(partial);
  } finally {
    database.close();
  }
  try {
    const copy = new SQLite(partial, { readonly: true, fileMustExist: true });
    let summary: Omit<BackupSummary, 'file' | 'bytes'>;
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed its integrity check (${String(check)})`);
      summary = {
        numbers: copy.prepare('select count(*) from phone_numbers where deleted_at is null').pluck().get() as number,
        workspaces: copy.prepare('select count(*) from workspaces').pluck().get() as number,
      };
    } finally {
      copy.close();
    }
    fs.renameSync(partial, target);
    return { file: target, bytes: fs.statSync(target).size, ...summary };
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
}
