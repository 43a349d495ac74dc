import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { canonicalE164 } from '../domain/phone.ts';
import { ValidationError } from '../services/errors.ts';
import type { StockEntry } from '../services/inventory/local-inventory.ts';

/** The largest range one argument may expand to (a 100k DID block is already unusual). */
export const MAX_RANGE_SIZE = 100_000;

/**
 * Turns `inventory add` arguments into stock entries: a number (`+14155550100`), an inclusive
 * range (`+14155550100-+14155550199`), or a CSV file with a `phone_number` column (and optional
 * `provider` / `provider_sid` columns, which win over `--provider`).
 */
export function parseStockSpecs(
  specs: string[],
  provider: string | null,
  readFile = (file: string) => fs.readFileSync(file, 'utf8'),
  cwd = process.cwd(),
): StockEntry[] {
  const entries: StockEntry[] = [];
  for (const spec of specs) {
    const range = /^\s*(\+?\d{6,15})\s*-\s*(\+?\d{6,15})\s*$/.exec(spec);
    if (spec.toLowerCase().endsWith('.csv') || (!range && !canonicalE164(spec) && fs.existsSync(path.resolve(cwd, spec)))) {
      entries.push(...csvEntries(spec, readFile(spec), provider));
    } else if (range && canonicalE164(range[1]!) && canonicalE164(range[2]!)) {
      entries.push(...expandRange(spec, canonicalE164(range[1]!)!, canonicalE164(range[2]!)!).map((e164) => ({ e164, provider })));
    } else {
      entries.push({ e164: canonicalE164(spec) ?? spec, provider });
    }
  }
  return entries;
}

export function expandRange(spec: string, first: string, last: string): string[] {
  if (first.length !== last.length) throw ValidationError.field(spec, 'both ends of a range must have the same number of digits');
  const start = BigInt(first.slice(1));
  const end = BigInt(last.slice(1));
  if (end < start) throw ValidationError.field(spec, 'the range ends before it starts');
  if (end - start + 1n > BigInt(MAX_RANGE_SIZE)) throw ValidationError.field(spec, `a range may hold at most ${MAX_RANGE_SIZE} numbers`);
  const numbers: string[] = [];
  for (let value = start; value <= end; value++) numbers.push(`+${value.toString()}`);
  return numbers;
}

function csvEntries(file: string, text: string, provider: string | null): StockEntry[] {
  const rows = parseCsv<Record<string, string | undefined>>(text, {
    columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()),
    skip_empty_lines: true,
    trim: true,
    bom: true,
  });
  if (rows.length > 0 && !('phone_number' in rows[0]!)) throw ValidationError.field(file, 'the CSV needs a phone_number column');
  return rows.map((row) => ({
    e164: canonicalE164(row.phone_number ?? '') ?? row.phone_number ?? '',
    provider: row.provider || provider,
    provider_sid: row.provider_sid || null,
  }));
}
