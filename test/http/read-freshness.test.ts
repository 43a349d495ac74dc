import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, onPostgres, type Harness } from '../helpers/harness.ts';
import { twoInstances } from '../helpers/instances.ts';
import { freshNumber } from '../helpers/numbers.ts';

// GETs and list pages serve held records and their held bytes, but every one still asks the store
// which version is live: a write by another instance is in the very next response, and a write
// not yet committed is in none (on SQLite the check reads synchronously only when no transaction
// holds the connection).

describe('reads see another instance\'s writes at once', () => {
  let first: Harness;
  let second: Harness;
  let close: () => Promise<void>;
  beforeAll(async () => {
    if (onPostgres) {
      const pair = await twoInstances('fresh');
      ({ first, second } = pair);
      close = pair.close;
    } else {
      // Two processes' worth of runtimes on one SQLite file (WAL), as two servers or a server and the CLI.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-fresh-'));
      const databaseUrl = `sqlite:${path.join(dir, 'store.db')}`;
      first = await createHarness({ databaseUrl });
      second = await createHarness({ databaseUrl });
      close = async () => {
        await first.close();
        await second.close();
        fs.rmSync(dir, { recursive: true, force: true });
      };
    }
  });
  afterAll(async () => close());

  test('an update and a delete through the other instance are in the next GET and list page, native and Retell', async () => {
    const workspace = await first.workspace();
    const key = await workspace.key();
    const number = freshNumber();
    const created = (await first.request('POST', '/v1/phone-numbers', { key, json: { phone_number: number, nickname: 'before' } })).json<{ id: string }>();
    const reads = async (via: Harness) => ({
      get: await via.request('GET', `/v1/phone-numbers/${created.id}`, { key }),
      retell: await via.request('GET', `/retell/get-phone-number/${number}`, { key }),
      list: await via.request('GET', '/v1/phone-numbers?limit=50', { key }),
      retellList: await via.request('GET', '/retell/v2/list-phone-numbers?limit=50', { key }),
    });
    const nicknames = async (via: Harness) => {
      const r = await reads(via);
      return [r.get.json().nickname, r.retell.json().nickname, r.list.json().data[0]?.nickname, r.retellList.json().items[0]?.nickname];
    };
    // Twice: the second round is served from what the first one held.
    expect(await nicknames(first)).toEqual(['before', 'before', 'before', 'before']);
    expect(await nicknames(first)).toEqual(['before', 'before', 'before', 'before']);

    expect((await second.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { nickname: 'after' } })).status).toBe(200);
    expect(await nicknames(first)).toEqual(['after', 'after', 'after', 'after']);
    expect((await first.request('GET', `/v1/phone-numbers/${created.id}`, { key })).headers.etag).toBe('"2"');

    expect((await second.request('DELETE', `/v1/phone-numbers/${created.id}`, { key })).status).toBe(204);
    const gone = await reads(first);
    expect([gone.get.status, gone.retell.status]).toEqual([404, 404]);
    expect(gone.list.json().data).toEqual([]);
    expect(gone.retellList.json().items).toEqual([]);
  });
  test('concurrent GETs (one statement on PostgreSQL) each answer from their own workspace, and every GET asked after a write sees it', async () => {
    const [a, b] = [await first.workspace(), await first.workspace()];
    const [keyA, keyB] = [await a.key(), await b.key()];
    const create = async (key: string) => {
      const number = freshNumber();
      const { id } = (await first.request('POST', '/v1/phone-numbers', { key, json: { phone_number: number, nickname: 'before' } })).json<{ id: string }>();
      return { id, number };
    };
    const ofA = [await create(keyA), await create(keyA)];
    const ofB = await create(keyB);
    const burst = () =>
      Promise.all([
        ...ofA.flatMap(({ id, number }) => [first.request('GET', `/v1/phone-numbers/${id}`, { key: keyA }), first.request('GET', `/retell/get-phone-number/${number}`, { key: keyA })]),
        first.request('GET', `/v1/phone-numbers/${ofB.id}`, { key: keyB }),
        // Asked together with B's own reads: another workspace's number is not found, by id or by number.
        first.request('GET', `/v1/phone-numbers/${ofB.id}`, { key: keyA }),
        first.request('GET', `/retell/get-phone-number/${ofB.number}`, { key: keyA }),
      ]);
    const answers = (responses: Awaited<ReturnType<typeof burst>>) => responses.map((r) => (r.status === 200 ? `${r.json().id ?? r.json().phone_number}:${r.json().nickname}` : r.status));
    const expected = (nickname: string) => [...ofA.flatMap(({ id, number }) => [`${id}:${nickname}`, `${number}:${nickname}`]), `${ofB.id}:before`, 404, 404];
    expect(answers(await burst())).toEqual(expected('before'));
    expect(answers(await burst())).toEqual(expected('before'));

    // GETs still out while the other instance writes may answer either version; every GET asked after the write has returned answers the new one.
    const inFlight = burst();
    for (const { id } of ofA) expect((await second.request('PATCH', `/v1/phone-numbers/${id}`, { key: keyA, json: { nickname: 'after' } })).status).toBe(200);
    const after = burst();
    await inFlight;
    expect(answers(await after)).toEqual(expected('after'));
  });
  test('an update of a number held at an older version applies to the live one: no lost write, If-Match and 404 as from the store', async () => {
    const workspace = await first.workspace();
    const key = await workspace.key();
    const created = (await first.request('POST', '/v1/phone-numbers', { key, json: { phone_number: freshNumber(), nickname: 'one' } })).json<{ id: string }>();
    const url = `/v1/phone-numbers/${created.id}`;
    // Held by the first instance at version 1 (the import and the GET).
    expect((await first.request('GET', url, { key })).headers.etag).toBe('"1"');
    expect((await second.request('PATCH', url, { key, json: { error_message: 'set elsewhere' } })).status).toBe(200);

    // The first instance still holds version 1: its update must apply to version 2, keeping the other write.
    const patched = await first.request('PATCH', url, { key, json: { nickname: 'two' } });
    expect(patched.status).toBe(200);
    expect(patched.headers.etag).toBe('"3"');
    expect(patched.json()).toMatchObject({ nickname: 'two', error_message: 'set elsewhere' });
    const trail = (await second.request('GET', `${url}/events`, { key })).json<{ data: Array<{ action: string; changed_fields: string[]; before: { nickname: string } | null }> }>().data;
    expect(trail.map((e) => [e.action, e.changed_fields])).toEqual([['create', expect.any(Array)], ['update', ['error_message']], ['update', ['nickname']]]);
    expect(trail[2]!.before!.nickname).toBe('one');

    // If-Match of the version the first instance holds, after the other wrote again: 412; of the live one: applied.
    expect((await second.request('PATCH', url, { key, json: { nickname: 'three' } })).status).toBe(200);
    expect((await first.request('PATCH', url, { key, headers: { 'if-match': '"3"' }, json: { nickname: 'stale' } })).status).toBe(412);
    const matched = await first.request('PATCH', url, { key, headers: { 'if-match': '"4"' }, json: { nickname: 'four' } });
    expect([matched.status, matched.headers.etag]).toEqual([200, '"5"']);

    // Unchanged as far as the held version says, changed in the store: still written.
    expect((await second.request('PATCH', url, { key, json: { nickname: 'other' } })).status).toBe(200);
    const back = await first.request('PATCH', url, { key, json: { nickname: 'four' } });
    expect([back.status, back.json().nickname, back.headers.etag]).toEqual([200, 'four', '"7"']);

    // Deleted through the other instance: 404, not a precondition failure.
    expect((await second.request('DELETE', url, { key })).status).toBe(204);
    expect((await first.request('PATCH', url, { key, json: { nickname: 'gone' } })).status).toBe(404);
    expect((await first.request('PATCH', url, { key, headers: { 'if-match': '"7"' }, json: { nickname: 'gone' } })).status).toBe(404);
  });

  test('an update by another workspace\'s key of a number this instance holds is not found', async () => {
    const [owner, other] = [await first.workspace(), await first.workspace()];
    const ownerKey = await owner.key();
    const created = (await first.request('POST', '/v1/phone-numbers', { key: ownerKey, json: { phone_number: freshNumber() } })).json<{ id: string }>();
    expect((await first.request('GET', `/v1/phone-numbers/${created.id}`, { key: ownerKey })).status).toBe(200);
    expect((await first.request('PATCH', `/v1/phone-numbers/${created.id}`, { key: await other.key(), json: { nickname: 'x' } })).status).toBe(404);
    expect((await first.request('GET', `/v1/phone-numbers/${created.id}`, { key: ownerKey })).json().nickname).toBeNull();
  });
});

describe('reads never see a write that is not committed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => h.close());

  test('a GET and a list page during an open transaction that deletes the number answer the number (the transaction rolls back)', async () => {
    const workspace = await h.workspace();
    const key = await workspace.key();
    const number = freshNumber();
    const created = (await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: number } })).json<{ id: string }>();
    // Held first, so the next reads only check the live version.
    expect((await h.request('GET', `/v1/phone-numbers/${created.id}`, { key })).status).toBe(200);
    expect((await h.request('GET', `/retell/get-phone-number/${number}`, { key })).status).toBe(200);
    expect((await h.request('GET', '/v1/phone-numbers', { key })).json().data).toHaveLength(1);

    let deleted!: () => void;
    const whenDeleted = new Promise<void>((resolve) => (deleted = resolve));
    let rollBack!: () => void;
    const whenRolledBack = new Promise<void>((resolve) => (rollBack = resolve));
    const transaction = h.runtime.database.db.transaction().execute(async (trx) => {
      await trx.updateTable('phone_numbers').set({ deleted_at: new Date().toISOString(), status: 'deleted', version: 2 }).where('id', '=', created.id).execute();
      deleted();
      await whenRolledBack;
      throw new Error('rolled back');
    });
    await whenDeleted;
    // On SQLite these wait for the connection the transaction holds; on PostgreSQL they read what is committed.
    const during = Promise.all([
      h.request('GET', `/v1/phone-numbers/${created.id}`, { key }),
      h.request('GET', `/retell/get-phone-number/${number}`, { key }),
      h.request('GET', '/v1/phone-numbers', { key }),
      h.request('GET', '/retell/v2/list-phone-numbers', { key }),
    ]);
    setTimeout(rollBack, 50);
    await expect(transaction).rejects.toThrow('rolled back');
    const [get, retell, list, retellList] = await during;
    expect([get.status, retell.status]).toEqual([200, 200]);
    expect(get.json().id).toBe(created.id);
    expect(list.json().data.map((r: { id: string }) => r.id)).toEqual([created.id]);
    expect(retellList.json().items.map((r: { phone_number: string }) => r.phone_number)).toEqual([number]);
  });
});
