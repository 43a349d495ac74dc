import type { PhoneNumberRow } from '../../db/tables.ts';
import type { PhoneNumber } from './model.ts';
import { rowToPhoneNumber } from './rows.ts';

/** A held version of a number: its row as stored, and the record built from it. Both frozen. */
export interface Held {
  row: Readonly<PhoneNumberRow>;
  record: PhoneNumber;
}

/**
 * The records of the numbers read most recently, each as built from one version of its row.
 * A single-number read still asks the store which version is live (so a write by another
 * instance or by the CLI is seen at once), but when that version is the one held here it skips
 * reading and decoding the whole row: the wide row was the largest cost of a GET (BENCHMARKS.md).
 * The row is kept beside its record so that an update of a held number starts from it (its
 * UPDATE is conditional on that version, so a stale one only costs a read). Records and rows are
 * frozen because every reader shares them.
 */
export class RecentRecords {
  private readonly byId = new Map<string, Held>();
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
    const held = this.byId.get(id);
    return held?.record.version === version ? held.record : undefined;
  }

  /** The version of this id held last, whichever it is (the store may have a newer one). */
  latest(id: string): Held | undefined {
    return this.byId.get(id);
  }

  /** Holds `row` (as stored, at its version) and its record, built here unless given; returns the frozen record. */
  remember(row: PhoneNumberRow, record: PhoneNumber = rowToPhoneNumber(row)): PhoneNumber {
    const held: Held = { row: Object.freeze({ ...row }), record: deepFreeze(record) };
    this.byId.delete(row.id);
    if (this.byId.size >= this.capacity) this.evictOldest();
    this.byId.set(row.id, held);
    this.idByNumber.set(held.record.phone_number, row.id);
    return held.record;
  }

  private evictOldest(): void {
    const oldest = this.byId.keys().next();
    if (oldest.done) return;
    const { record } = this.byId.get(oldest.value)!;
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
