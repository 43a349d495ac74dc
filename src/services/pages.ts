import { isId } from '../domain/ids.ts';
import { ValidationError } from './errors.ts';

/** Cursor pages of records keyed by id, shared by every list a service returns. */
export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isId(id)) throw ValidationError.field('cursor', 'is not a cursor returned by this API');
  return id;
}

/** One page of a keyset query by id that fetched `limit + 1` rows (the extra row says there is more). */
export function pageOf<R extends { id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  return { data: page.map(map), has_more: hasMore, next_cursor: hasMore ? encodeCursor(page.at(-1)!.id) : null };
}
