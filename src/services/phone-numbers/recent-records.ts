import type { PhoneNumber } from './model.ts';

/**
 * The records of the numbers read most recently, each as built from one version of its row.
 * A single-number read still asks the store which version is live (so a write by another
 * instance or by the CLI is seen at once), but when that version is the one held here it skips
 * reading and decoding the whole row: the wide row was the largest cost of a GET (BENCHMARKS.md).
 * Records are frozen because every reader shares them.
 */
export class RecentRecords {
  private readonly byId = new Map<string, PhoneNumber>();
  private readonly idByNumber = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  /** Whether a record of this id is held, whatever its version. */
  holds(id: string): boolean {
    return this.byId.has(id);
  }

  /** The id last seen for this E.164 (its record may have been evicted since: see `holds`). */
  idOf(e164: string): string | undefined {
    return this.idByNumber.get(e164);
  }

  /** The held record of this id, only if it was built from exactly this version. */
  at(id: string, version: number): PhoneNumber | undefined {
    const record = this.byId.get(id);
    return record?.version === version ? record : undefined;
  }

  remember(record: PhoneNumber): PhoneNumber {
    const frozen = deepFreeze(record);
    this.byId.delete(frozen.id);
    if (this.byId.size >= this.capacity) this.evictOldest();
    this.byId.set(frozen.id, frozen);
    this.idByNumber.set(frozen.phone_number, frozen.id);
    return frozen;
  }

  private evictOldest(): void {
    const oldest = this.byId.keys().next();
    if (oldest.done) return;
    const record = this.byId.get(oldest.value)!;
    this.byId.delete(oldest.value);
    if (this.idByNumber.get(record.phone_number) === record.id) this.idByNumber.delete(record.phone_number);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
