import { expect, test } from 'vitest';
import { CoalescedReads } from '../../src/db/coalesced-reads.ts';

interface Row {
  key: string;
  value: number;
}

/**
 * A store of rows by key whose statements the test answers one by one (`answer`), recording what
 * each asked. A statement reads the rows as they are when it is sent: the worst case for
 * freshness, a write committed after that is not in its answer.
 */
function store(maxInFlight = 1, maxKeys = 100) {
  const rows = new Map<string, number>();
  const sent: Array<{ keys: string[]; answer: () => void; fail: (error: Error) => void }> = [];
  const reads = new CoalescedReads<Row>({
    run: (keys) =>
      new Promise((resolve, reject) => {
        const read = keys.filter((key) => rows.has(key)).map((key) => ({ key, value: rows.get(key)! }));
        sent.push({ keys, answer: () => resolve(read), fail: reject });
      }),
    keyOf: (row) => row.key,
    maxInFlight,
    maxKeys,
  });
  return { rows, sent, reads };
}

/** Until statements due now are sent (one turn of the event loop after the last answer's callbacks). */
const turn = async () => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
};

test('reads asked in the same turn go out as one statement, each answered with the rows of its own keys', async () => {
  const { rows, sent, reads } = store();
  rows.set('a', 1).set('b', 2).set('c', 3);
  const asked = [reads.read(['a']), reads.read(['b', 'c']), reads.read(['a']), reads.read(['missing'])];
  await turn();
  expect(sent.map((s) => s.keys)).toEqual([['a', 'b', 'c', 'missing']]);
  sent[0]!.answer();
  expect(await Promise.all(asked)).toEqual([[{ key: 'a', value: 1 }], [{ key: 'b', value: 2 }, { key: 'c', value: 3 }], [{ key: 'a', value: 1 }], []]);
});

test('a read asked while a statement is out is answered by a later statement, which sees what was written before it asked', async () => {
  const { rows, sent, reads } = store();
  rows.set('a', 1);
  const early = reads.read(['a']);
  await turn();
  expect(sent).toHaveLength(1);
  // Committed after the first statement was sent, before the second read is asked.
  rows.set('a', 2);
  const late = reads.read(['a']);
  await turn();
  // Not sent while the first is out (maxInFlight 1), and not answered by it.
  expect(sent).toHaveLength(1);
  sent[0]!.answer();
  expect(await early).toEqual([{ key: 'a', value: 1 }]);
  await turn();
  expect(sent).toHaveLength(2);
  sent[1]!.answer();
  expect(await late).toEqual([{ key: 'a', value: 2 }]);
});

test('up to maxInFlight statements are out at once, each of at most maxKeys keys', async () => {
  const { sent, reads } = store(2, 3);
  const asked = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((key) => reads.read([key]));
  await turn();
  expect(sent.map((s) => s.keys)).toEqual([['a', 'b', 'c'], ['d', 'e', 'f']]);
  sent[1]!.answer();
  await turn();
  expect(sent.map((s) => s.keys)).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
  sent[0]!.answer();
  sent[2]!.answer();
  expect(await Promise.all(asked)).toEqual(asked.map(() => []));
});

test('a failed statement fails the reads it carried, and only those', async () => {
  const { rows, sent, reads } = store();
  rows.set('a', 1);
  const failing = reads.read(['a']);
  await turn();
  const next = reads.read(['a']);
  sent[0]!.fail(new Error('connection lost'));
  await expect(failing).rejects.toThrow('connection lost');
  await turn();
  sent[1]!.answer();
  expect(await next).toEqual([{ key: 'a', value: 1 }]);
});
