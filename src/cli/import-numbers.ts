import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import type { Actor } from '../services/context.ts';
import type { FieldIssue } from '../services/errors.ts';
import type { PhoneNumberImport } from '../services/phone-numbers/model.ts';
import type { PhoneNumberService } from '../services/phone-numbers/service.ts';
import { CellError, csvColumns, rowToImport } from './csv-rows.ts';

export { AGENT_COLUMNS, CSV_COLUMNS, rowToImport } from './csv-rows.ts';

import { MAX_BATCH_ROWS } from './import-columns.ts';

export { MAX_BATCH_ROWS };

export interface RowFailure {
  /** Line of the CSV file the row starts on. */
  line: number;
  phone_number: string;
  code: string;
  errors: FieldIssue[];
}

export interface ImportSummary {
  created: number;
  failed: number;
  failures: RowFailure[];
}

export interface ImportProgress {
  /** Bytes of the file parsed so far. */
  readBytes: number;
  /** Bytes of the file whose rows have been through the store (created or failed). */
  storedBytes: number;
  created: number;
  failed: number;
}

/** How often, in parsed rows, progress is reported while a batch is being read. */
const PROGRESS_EVERY_ROWS = 200;

/**
 * Reads a CSV of numbers and imports them through PhoneNumberService.importMany in batches of
 * up to 10,000 rows (one transaction each). A bad row fails on its own; the rest go in.
 */
export async function importCsv(
  numbers: PhoneNumberService,
  actor: Actor,
  input: Readable,
  options: { batchSize?: number; onProgress?: (progress: ImportProgress) => void } = {},
): Promise<ImportSummary> {
  const batchSize = Math.min(Math.max(1, options.batchSize ?? MAX_BATCH_ROWS), MAX_BATCH_ROWS);
  const summary: ImportSummary = { created: 0, failed: 0, failures: [] };
  let batch: Array<{ line: number; input: PhoneNumberImport }> = [];
  let readBytes = 0;
  let storedBytes = 0;
  let rowsSinceReport = 0;
  const report = () => options.onProgress?.({ readBytes, storedBytes, created: summary.created, failed: summary.failed });

  const fail = (failure: RowFailure) => {
    summary.failed++;
    summary.failures.push(failure);
  };
  // The batch being stored; the next one is read meanwhile (on a SQLite file the store's work runs
  // on the bulk-import worker thread, so reading and storing overlap). One batch at a time is
  // stored, in file order, so rows of different batches meet the store exactly as before.
  let storing: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    const bytes = readBytes;
    batch = [];
    await storing;
    const stored = (async () => {
      const results = await numbers.importMany(actor, rows.map((row) => row.input));
      results.forEach((result, i) => {
        if (result.status === 'created') summary.created++;
        else fail({ line: rows[i]!.line, phone_number: rows[i]!.input.phone_number, code: result.code, errors: result.errors.length > 0 ? result.errors : [{ field: 'phone_number', message: result.message }] });
      });
      storedBytes = bytes;
      report();
    })();
    // Awaited by the next flush (or the end); marked handled now so that a failure meanwhile is not an unhandled rejection.
    stored.catch(() => undefined);
    storing = stored;
  };

  const parser = input.pipe(
    parse({
      columns: csvColumns,
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; bytes: number } }>) {
      readBytes = info.bytes;
      try {
        batch.push({ line: info.lines, input: rowToImport(record) });
      } catch (error) {
        if (!(error instanceof CellError)) throw error;
        fail({ line: info.lines, phone_number: record.phone_number ?? '', code: 'VALIDATION_FAILED', errors: [{ field: error.field, message: error.message }] });
      }
      if (batch.length >= batchSize) {
        await flush();
        rowsSinceReport = 0;
      } else if (++rowsSinceReport >= PROGRESS_EVERY_ROWS) {
        // A batch is up to 10,000 rows: show the reading of it, not only its commit.
        report();
        rowsSinceReport = 0;
      }
    }
  } catch (error) {
    // A file that cannot be read on: the batch being stored still ends (stored or not) before the error is reported.
    await storing.catch(() => undefined);
    throw error;
  }
  await flush();
  await storing;
  if (storedBytes < readBytes) {
    storedBytes = readBytes;
    report();
  }
  summary.failures.sort((a, b) => a.line - b.line);
  return summary;
}
