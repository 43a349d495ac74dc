/**
 * One CSV row of a number import as the body POST /v1/phone-numbers would receive, with the
 * import's shape rules. Free of Node APIs: the CLI import and the web console's CSV import
 * (which runs in the browser) share it, so a file is read the same way by both.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import type { PhoneNumberImport } from '../services/phone-numbers/model.ts';
import { PhoneNumberImportSchema } from '../services/phone-numbers/schema.ts';
import { AGENT_COLUMNS, BOOLEAN_COLUMNS, CSV_COLUMNS, INTEGER_COLUMNS, LIST_COLUMNS } from './import-columns.ts';

export { AGENT_COLUMNS, CSV_COLUMNS } from './import-columns.ts';

/** The CSV's header row as column names; an unknown column or a missing phone_number stops the import. */
export function csvColumns(header: string[]): string[] {
  const names = header.map((name) => name.trim());
  const unknown = names.filter((name) => !CSV_COLUMNS.includes(name));
  if (unknown.length > 0) throw new Error(`unknown CSV column ${unknown.join(', ')}; known columns: ${CSV_COLUMNS.join(', ')}`);
  if (!names.includes('phone_number')) throw new Error('the CSV needs a phone_number column');
  return names;
}

export class CellError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function convertCell(column: string, cell: string): unknown {
  if (BOOLEAN_COLUMNS.has(column)) {
    const value = cell.toLowerCase();
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    throw new CellError(column, 'must be true or false');
  }
  if (INTEGER_COLUMNS.has(column)) {
    if (!/^-?\d+$/.test(cell)) throw new CellError(column, 'must be an integer');
    return Number(cell);
  }
  if (LIST_COLUMNS.has(column)) return cell.split(/[\s,;|]+/).filter(Boolean);
  if (AGENT_COLUMNS.has(column)) {
    // Either the JSON of the API (`[{"agent_id":"a","weight":1}]`) or one agent id taking every call.
    if (!cell.startsWith('[')) return [{ agent_id: cell, weight: 1 }];
    return parseJsonCell(column, cell, 'an agent id or a JSON array of {agent_id, weight, agent_version?}');
  }
  if (column === 'calling_hours') return parseJsonCell(column, cell, 'JSON such as {"days":[1,2,3,4,5],"start":"09:00","end":"17:00"}');
  return cell;
}

function parseJsonCell(column: string, cell: string, expected: string): unknown {
  try {
    return JSON.parse(cell);
  } catch {
    throw new CellError(column, `must be ${expected}`);
  }
}

/** One CSV record as the import body the API would receive; empty cells are absent fields. */
export function rowToImport(record: Record<string, string>): PhoneNumberImport {
  const body: Record<string, unknown> = {};
  for (const [column, raw] of Object.entries(record)) {
    const cell = raw.trim();
    if (cell === '') continue;
    const value = convertCell(column, cell);
    const [head, tail] = column.split('.') as [string, string | undefined];
    if (tail) body[head] = { ...(body[head] as object | undefined), [tail]: value };
    else body[head] = value;
  }
  // The import's shape (the service's schema, as POST /v1/phone-numbers uses it); the service adds the semantic rules.
  const shapeErrors = [...Value.Errors(PhoneNumberImportSchema, body)];
  if (shapeErrors.length > 0) {
    const first = describeShapeError(shapeErrors[0]!);
    const field = first.path.slice(1).replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.') || 'row';
    throw new CellError(field, first.message);
  }
  return body as unknown as PhoneNumberImport;
}

/** The values of a union of literals (nested unions and `null` included), or null for any other schema. */
function literalValues(schema: TSchema): unknown[] | null {
  if ('const' in schema) return [schema.const as unknown];
  if (schema.type === 'null') return [];
  if (!Array.isArray(schema.anyOf)) return null;
  const values: unknown[] = [];
  for (const option of schema.anyOf as TSchema[]) {
    const inner = literalValues(option);
    if (inner === null) return null;
    values.push(...inner);
  }
  return values;
}

/**
 * A nullable field's error is a union error; the branch that got furthest names the real
 * problem, and an enum (union of literals) is reported with its allowed values.
 */
function describeShapeError(error: ValueError): { path: string; message: string } {
  const allowed = literalValues(error.schema);
  if (allowed && allowed.length > 0) return { path: error.path, message: `must be one of ${allowed.join(', ')}` };
  const branches = error.errors.map((branch) => [...branch][0]).filter((e): e is ValueError => e !== undefined);
  if (branches.length === 0) return { path: error.path, message: error.message.replace(/^Expected/, 'expected') };
  const deepest = branches.reduce((best, candidate) => (candidate.path.length > best.path.length ? candidate : best));
  return deepest.path.length >= error.path.length ? describeShapeError(deepest) : { path: error.path, message: error.message };
}
