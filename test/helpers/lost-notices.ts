import pg from 'pg';

type Query = (this: pg.Client, ...args: unknown[]) => unknown;

/**
 * Models a process that dies (or whose pool fails) right after a write commits: every NOTIFY sent
 * as a statement of its own outside a transaction (`select pg_notify(…)` after the commit, the
 * fire-and-forget way) is dropped, for every client of this test process. What still reaches
 * the other instances is only what a write sends inside its own statement or transaction, which
 * PostgreSQL delivers at that commit. Returns the function that restores the driver.
 */
export function loseNoticesSentAfterCommit(): () => void {
  const original = pg.Client.prototype.query as unknown as Query;
  const inTransaction = new WeakMap<pg.Client, boolean>();
  const patched: Query = function (this: pg.Client, ...args: unknown[]) {
    const [config] = args;
    const text = (typeof config === 'string' ? config : ((config as { text?: string } | null)?.text ?? '')).trim().toLowerCase();
    if (/^(begin|start transaction)\b/.test(text)) inTransaction.set(this, true);
    else if (/^(commit|rollback|end)\b/.test(text)) inTransaction.set(this, false);
    else if (/^select\s+pg_notify\s*\(/.test(text) && !inTransaction.get(this)) {
      const dropped = { command: 'SELECT', rowCount: 0, rows: [], fields: [], oid: 0 };
      const callback = args.find((arg) => typeof arg === 'function') as ((error: Error | null, result: unknown) => void) | undefined;
      if (callback) {
        process.nextTick(() => callback(null, dropped));
        return undefined;
      }
      return Promise.resolve(dropped);
    }
    return original.apply(this, args);
  };
  pg.Client.prototype.query = patched as unknown as typeof pg.Client.prototype.query;
  return () => {
    pg.Client.prototype.query = original as unknown as typeof pg.Client.prototype.query;
  };
}
