import { expect, test } from 'vitest';
import { ConcurrentChange, isConcurrentChange, onUniqueViolation, retrying } from '../../src/services/transactions.ts';
import { decodeCursor, encodeCursor, pageOf } from '../../src/services/pages.ts';
import { ValidationError } from '../../src/services/errors.ts';

// Driver errors as the two engines raise them for a UNIQUE constraint.
const uniqueOnPostgres = Object.assign(new Error('duplicate key'), { code: '23505' });
const primaryKeyOnSqlite = Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });

test('retrying runs again only on the errors it is told to, at most `attempts` times', async () => {
  const seen: number[] = [];
  const result = await retrying({ attempts: 5, retryOn: isConcurrentChange }, async (attempt) => {
    seen.push(attempt);
    if (attempt < 3) throw new ConcurrentChange();
    return 'done';
  });
  expect(result).toBe('done');
  expect(seen).toEqual([1, 2, 3]);

  let runs = 0;
  const other = new Error('boom');
  await expect(retrying({ attempts: 5, retryOn: isConcurrentChange }, async () => { runs++; throw other; })).rejects.toBe(other);
  expect(runs).toBe(1);
});

test('retrying raises `exhausted` after the last lost attempt, or that attempt\'s own error', async () => {
  let runs = 0;
  const lost = retrying({ attempts: 3, retryOn: isConcurrentChange, exhausted: () => new Error('gave up') }, async () => {
    runs++;
    throw new ConcurrentChange();
  });
  await expect(lost).rejects.toThrow('gave up');
  expect(runs).toBe(3);
  await expect(retrying({ attempts: 1, retryOn: isConcurrentChange }, async () => { throw new ConcurrentChange(); })).rejects.toBeInstanceOf(ConcurrentChange);
});

test('onUniqueViolation answers instead on either engine\'s unique or primary-key violation, and only then', async () => {
  expect(await onUniqueViolation(async () => { throw uniqueOnPostgres; }, () => 'theirs')).toBe('theirs');
  expect(await onUniqueViolation(async () => { throw primaryKeyOnSqlite; }, () => 'theirs')).toBe('theirs');
  expect(await onUniqueViolation(async () => 'mine', () => 'theirs')).toBe('mine');
  const other = Object.assign(new Error('not null'), { code: '23502' });
  await expect(onUniqueViolation(async () => { throw other; }, () => 'theirs')).rejects.toBe(other);
});

test('cursor pages: the cursor names the last id of a full page and round-trips; anything else is a field error', () => {
  const rows = ['019a8f3e-7c1d-7b2a-9f00-5d3c2b1a0e01', '019a8f3e-7c1d-7b2a-9f00-5d3c2b1a0e02', '019a8f3e-7c1d-7b2a-9f00-5d3c2b1a0e03'].map((id) => ({ id }));
  const page = pageOf(rows, 2, (row) => row.id);
  expect(page).toMatchObject({ data: [rows[0]!.id, rows[1]!.id], has_more: true });
  expect(decodeCursor(page.next_cursor!)).toBe(rows[1]!.id);
  expect(pageOf(rows, 3, (row) => row.id)).toEqual({ data: rows.map((row) => row.id), has_more: false, next_cursor: null });
  expect(() => decodeCursor(encodeCursor('not-an-id'))).toThrow(ValidationError);
});
