import { afterAll, beforeAll, expect, test } from 'vitest';
import { operatorActor } from '../../src/services/context.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber } from '../helpers/numbers.ts';

// Cursor pages use a row-value keyset on (workspace_id, id) (see PhoneNumberService.list); these
// pin down that it yields exactly one workspace's live numbers, in order, both ways.
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

test('cursor pages walk exactly the live numbers of one workspace, ascending and descending, with others interleaved', async () => {
  const { phoneNumbers } = h.runtime.services;
  // Created in turn, so that (time-ordered ids) the workspace under test sorts between the others.
  const first = await h.workspace();
  const second = await h.workspace();
  const third = await h.workspace();
  expect(first.id < second.id && second.id < third.id).toBe(true);
  const mine = operatorActor(second.id);
  const ids: string[] = [];
  // Interleaved imports: the ids of the other workspaces fall between and after this one's.
  for (let i = 0; i < 7; i++) {
    await phoneNumbers.importNumber(operatorActor(first.id), { phone_number: freshNumber() });
    ids.push((await phoneNumbers.importNumber(mine, { phone_number: freshNumber() })).id);
    await phoneNumbers.importNumber(operatorActor(third.id), { phone_number: freshNumber() });
  }
  await phoneNumbers.remove(mine, ids[3]!);
  const live = ids.filter((_, index) => index !== 3);

  for (const order of ['asc', 'desc'] as const) {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await phoneNumbers.list(mine, { limit: 2, order, ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((record) => record.id));
      if (!page.has_more) break;
      cursor = page.next_cursor!;
    }
    expect(seen).toEqual(order === 'asc' ? live : [...live].reverse());
  }
});

// A page's statement is compiled once per shape of query and bound to each query's values
// (listing.ts): queries of one shape with other values must each get their own rows.
test('pages of the same shape with other filter values, workspaces and limits each get their own numbers', async () => {
  const { phoneNumbers } = h.runtime.services;
  const a = operatorActor((await h.workspace()).id);
  const b = operatorActor((await h.workspace()).id);
  const inA = [];
  for (const nickname of ['alpha one', 'alpha two', 'beta one']) inA.push(await phoneNumbers.importNumber(a, { phone_number: freshNumber(), nickname }));
  const inB = await phoneNumbers.importNumber(b, { phone_number: freshNumber(), nickname: 'alpha three' });
  const ids = async (actor: typeof a, query: { q?: string; limit?: number; cursor?: string }) => (await phoneNumbers.list(actor, { limit: 50, ...query })).data.map((record) => record.id);

  expect(await ids(a, { q: 'alpha' })).toEqual([inA[0]!.id, inA[1]!.id]);
  expect(await ids(a, { q: 'beta' })).toEqual([inA[2]!.id]);
  expect(await ids(b, { q: 'alpha' })).toEqual([inB.id]);
  expect(await ids(a, { q: 'gamma' })).toEqual([]);
  expect(await ids(a, { limit: 1 })).toEqual([inA[0]!.id]);
  const firstPage = await phoneNumbers.list(a, { limit: 2 });
  expect(firstPage.has_more).toBe(true);
  expect(await ids(a, { limit: 2, cursor: firstPage.next_cursor! })).toEqual([inA[2]!.id]);
  // The cursor is an id: in the other workspace it names a place, and b's number was imported after it.
  expect(await ids(b, { limit: 2, cursor: firstPage.next_cursor! })).toEqual([inB.id]);
});
