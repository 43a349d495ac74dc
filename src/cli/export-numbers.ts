import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Actor } from '../services/context.ts';
import type { PhoneNumber } from '../services/phone-numbers/model.ts';
import type { ListQuery } from '../services/phone-numbers/listing.ts';
import type { PhoneNumberService } from '../services/phone-numbers/service.ts';
import { AGENT_COLUMNS, CSV_COLUMNS } from './import-numbers.ts';

/** Rows read from the store per page while exporting: the export never holds more than this. */
export const EXPORT_PAGE_SIZE = 1000;

export type NumberFilters = Omit<ListQuery, 'limit' | 'cursor' | 'offset' | 'order'>;

/**
 * A record as a CSV row in the import's columns, so that `numbers import` of the file recreates it:
 * empty for null (the import's default), lists joined by `;`, agents and calling hours as JSON.
 * The trunk password is write-only and stays empty (the record only says `has_password`).
 */
export function recordToRow(record: PhoneNumber): string[] {
  return CSV_COLUMNS.map((column) => {
    const value = column.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], record);
    if (value === null || value === undefined) return '';
    if (AGENT_COLUMNS.has(column)) return (value as unknown[]).length === 0 ? '' : JSON.stringify(value);
    if (Array.isArray(value)) return value.join(';');
    if (typeof value === 'object') return JSON.stringify(value);
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/** Every live number of the actor's workspace matching `filters`, page by page in id order. */
export async function* liveNumbers(numbers: PhoneNumberService, actor: Actor, filters: NumberFilters = {}, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<PhoneNumber> {
  let cursor: string | undefined;
  do {
    const page = await numbers.list(actor, { ...filters, limit: pageSize, ...(cursor ? { cursor } : {}) });
    yield* page.data;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}

/**
 * Streams the numbers to `file` as CSV with a header row; returns how many were written. The rows
 * go to a `.partial` file renamed at the end, so a failed export never leaves a file that looks whole.
 */
export async function exportCsv(numbers: PhoneNumberService, actor: Actor, file: string, filters: NumberFilters = {}): Promise<number> {
  let count = 0;
  const rows = Readable.from(
    (async function* () {
      for await (const record of liveNumbers(numbers, actor, filters)) {
        count++;
        yield recordToRow(record);
      }
    })(),
  );
  const partial = `${file}.partial`;
  const out = fs.createWriteStream(partial);
  try {
    await pipeline(rows, stringify({ header: true, columns: CSV_COLUMNS }), out);
    fs.renameSync(partial, file);
  } finally {
    // The stream opens its file asynchronously: when the first read fails at once, the file can
    // appear after the pipeline has already rejected. Removed only once the stream has closed.
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    fs.rmSync(partial, { force: true });
  }
  return count;
}
