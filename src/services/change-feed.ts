import type pg from 'pg';
import type { PhoneNumber } from './phone-numbers/model.ts';
import type { WriteNotice } from '../db/single-writes.ts';
import { PgSync } from './routing/sync.ts';

export interface NumberChange {
  /** The record before the change (null on create). */
  before: PhoneNumber | null;
  /** The record after the change (null on delete). */
  after: PhoneNumber | null;
}

/**
 * Whether other instances' changes reach this one: `local` on SQLite (one process, the in-process
 * feed only), `live` while listening on PostgreSQL, `down` while (re)connecting (everything cached
 * is reloaded before it is `live` again).
 */
export type FeedState = 'local' | 'live' | 'down';

export interface FeedHealth {
  state: FeedState;
  /** Seconds since the feed was last live (0 while it is, and always on SQLite). */
  secondsSinceLive: number;
}

/** Told of committed number changes (the other instances were told by the writes themselves). */
export type NumberListener = (changes: NumberChange[]) => void;

/**
 * Notification of committed changes. In process, listeners run synchronously after the commit
 * and before the service call returns, so an in-memory index (routing) is never behind the
 * response the client receives. Other instances on the same PostgreSQL hear of changes through
 * `remote` (LISTEN/NOTIFY), sent by each write's own statement or transaction at its commit, and
 * reload what changed a few milliseconds later (BENCHMARKS.md has the measured delay).
 */
export class ChangeFeed {
  private readonly numberListeners: Array<NumberListener> = [];
  /** The other instances on the same PostgreSQL; null on SQLite, where one process is the installation. */
  readonly remote: PgSync | null;

  constructor(pool: pg.Pool | null = null) {
    this.remote = pool ? new PgSync(pool) : null;
  }

  /** The one answer to "are other instances' changes heard": probes, metrics and caches all read it. */
  get state(): FeedState {
    return this.remote?.state ?? 'local';
  }

  health(): FeedHealth {
    return { state: this.state, secondsSinceLive: this.remote?.secondsSinceLive() ?? 0 };
  }

  onNumbers(listener: NumberListener): () => void {
    this.numberListeners.push(listener);
    return () => {
      const index = this.numberListeners.indexOf(listener);
      if (index >= 0) this.numberListeners.splice(index, 1);
    };
  }

  /** Resolves once `numberNotice` can build notices (awaited before a write, see PgSync.ready). */
  ready(): Promise<void> | undefined {
    return this.remote?.ready();
  }

  /**
   * The notice to other instances of a write of this number, for the write to send in its own
   * statement (PgSync.noticesFor, after `ready`); null on SQLite.
   */
  numberNotice(id: string): WriteNotice | null {
    return this.remote?.noticesFor({ numbers: [id] })[0] ?? null;
  }

  /** This process's listeners (the routing index): told after the commit, before the write returns. */
  publishNumbers(changes: NumberChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.numberListeners) listener(changes);
  }
}
