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

/** Told of committed number changes, and whether other instances were told already (by the write's own statement). */
export type NumberListener = (changes: NumberChange[], noticeSent: boolean) => void;

/**
 * Notification of committed changes. In process, listeners run synchronously after the commit
 * and before the service call returns, so an in-memory index (routing) is never behind the
 * response the client receives. Other instances on the same PostgreSQL hear of changes through
 * `remote` (LISTEN/NOTIFY), eventually (BENCHMARKS.md has the measured delay).
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

  /**
   * The notice to other instances of a write of these numbers, for the write to send in its own
   * statement (PgSync.noticeFor); null on SQLite, or when it must be published afterwards.
   */
  numbersNotice(ids: string[]): WriteNotice | null {
    return this.remote?.noticeFor({ numbers: ids }) ?? null;
  }

  /** `noticeSent`: the write sent the other instances' notice itself (`numbersNotice`). */
  publishNumbers(changes: NumberChange[], { noticeSent = false }: { noticeSent?: boolean } = {}): void {
    if (changes.length === 0) return;
    for (const listener of this.numberListeners) listener(changes, noticeSent);
  }
}
