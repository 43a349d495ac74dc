/**
 * Lookups by key that concurrent callers share: the keys asked for while a lookup is being sent
 * go out together as one statement (`… where key = any($1)`), so a hundred concurrent GETs on
 * PostgreSQL cost one round trip, one pool checkout and one parse of the reply instead of a
 * hundred: the round trip was most of a PostgreSQL GET's CPU (BENCHMARKS.md).
 *
 * Freshness is that of one statement per caller: every caller is answered by a statement sent
 * after it asked, never by one already in flight when it arrived, so a write committed before a
 * read was asked for is always seen by it. With no statement out, the first callers go at once
 * (one microtask later, with whoever asked in the same synchronous run); while one is out, the
 * callers of the same turn of the event loop go together at its end (`setImmediate`), and while
 * `maxInFlight` are out, callers wait for the first to come back, then go out together.
 */
export interface CoalescedReadOptions<Row> {
  /** The rows whose key is one of `keys` (each at most once), committed when it runs. */
  run(keys: string[]): Promise<Row[]>;
  /** The key a row was found by. */
  keyOf(row: Row): string;
  /** Statements out at a time; more callers wait and are sent together. */
  maxInFlight: number;
  /** Keys per statement at most. */
  maxKeys: number;
}

interface Waiter<Row> {
  keys: readonly string[];
  resolve(rows: Row[]): void;
  reject(error: unknown): void;
}

export class CoalescedReads<Row> {
  private waiting: Array<Waiter<Row>> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly options: CoalescedReadOptions<Row>) {}

  /** The rows found by any of `keys`, read by a statement that starts after this call. */
  read(keys: readonly string[]): Promise<Row[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ keys, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    // With nothing out, at once (after the caller's synchronous work): a lone read waits for no
    // turn of the event loop. Otherwise at the end of this turn, with every read asked in it.
    if (this.inFlight === 0) queueMicrotask(this.flush);
    else setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    while (this.waiting.length > 0 && this.inFlight < this.options.maxInFlight) this.send(this.takeBatch());
  };

  /** The first waiters whose keys fit in one statement (always at least one). */
  private takeBatch(): { waiters: Array<Waiter<Row>>; keys: string[] } {
    const keys = new Set<string>();
    let count = 0;
    for (const waiter of this.waiting) {
      if (count > 0 && keys.size + waiter.keys.length > this.options.maxKeys) break;
      for (const key of waiter.keys) keys.add(key);
      count++;
    }
    return { waiters: this.waiting.splice(0, count), keys: [...keys] };
  }

  private send({ waiters, keys }: { waiters: Array<Waiter<Row>>; keys: string[] }): void {
    this.inFlight++;
    this.options.run(keys).then(
      (rows) => {
        this.done();
        const byKey = new Map<string, Row[]>();
        for (const row of rows) {
          const key = this.options.keyOf(row);
          const found = byKey.get(key);
          if (found) found.push(row);
          else byKey.set(key, [row]);
        }
        for (const waiter of waiters) waiter.resolve(waiter.keys.flatMap((key) => byKey.get(key) ?? []));
      },
      (error: unknown) => {
        this.done();
        for (const waiter of waiters) waiter.reject(error);
      },
    );
  }

  private done(): void {
    this.inFlight--;
    this.schedule();
  }
}
