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
