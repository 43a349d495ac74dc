/**
 * Races: concurrent requests on one record or one number. On PostgreSQL these really run in
 * parallel (a pool of connections); on SQLite they interleave between statements.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber } from './support.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
});
afterAll(async () => h.close());

describe('one live record per number', () => {
  test('50 concurrent imports of the same number from two workspaces: exactly one 201, every other 409', async () => {
    const a = await (await h.workspace()).key();
    const b = await (await h.workspace()).key();
    const number = freshNumber();
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => h.request('POST', '/v1/phone-numbers', { key: i % 2 ? a : b, json: { phone_number: number, nickname: `attempt ${i}` } })),
    );
    const statuses = responses.map((res) => res.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const winner = responses.find((res) => res.status === 201)!.json();
    const winnerKey = winner.workspace_id === (await h.request('GET', `/v1/phone-numbers/${winner.id}`, { key: a })).json().workspace_id ? a : b;
    const loserKey = winnerKey === a ? b : a;
    expect((await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(number)}`, { key: winnerKey })).json().nickname).toBe(winner.nickname);
    expect((await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(number)}`, { key: loserKey })).status).toBe(404);
    const rows = await h.runtime.database.db.selectFrom('phone_numbers').select('id').where('e164', '=', number).execute();
    expect(rows).toHaveLength(1);
  });

  test('concurrent overlapping bulk imports: every number lands in exactly one workspace and the results say which', async () => {
    const keys = [await (await h.workspace()).key(), await (await h.workspace()).key(), await (await h.workspace()).key()];
    const numbers = Array.from({ length: 60 }, () => freshNumber());
    const responses = await Promise.all(
      keys.flatMap((key, k) =>
        [0, 1].map((round) =>
          h.request('POST', '/v1/phone-numbers/bulk', {
            key,
            // Each request takes an overlapping, differently ordered slice.
            json: { items: numbers.filter((_, i) => (i + k + round) % 3 !== 0).map((phone_number) => ({ phone_number })).reverse() },
          }),
        ),
      ),
    );
    const createdBy = new Map<string, string>();
    for (const res of responses) {
      expect(res.status, res.body).toBe(200);
      for (const item of res.json().data) {
        if (item.status === 'created') {
          expect(createdBy.has(item.phone_number.phone_number), `${item.phone_number.phone_number} created twice`).toBe(false);
          createdBy.set(item.phone_number.phone_number, item.phone_number.id);
        } else {
          expect(item.error.status).toBe(409);
        }
      }
    }
    expect(createdBy.size).toBe(numbers.length);
    const rows = await h.runtime.database.db.selectFrom('phone_numbers').select(['id', 'e164']).where('e164', 'in', numbers).where('deleted_at', 'is', null).execute();
    expect(new Map(rows.map((row) => [row.e164, row.id]))).toEqual(createdBy);
  });
});

describe('no lost update', () => {
  test('concurrent read-modify-write with If-Match: every success is counted, the final state is their sum', async () => {
    const key = await (await h.workspace()).key();
    const created = (await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: freshNumber(), nickname: 'count:0' } })).json();
    let successes = 0;
    const versionsSeen: number[] = [];
    const client = async () => {
      for (let round = 0; round < 8; round++) {
        const current = await h.request('GET', `/v1/phone-numbers/${created.id}`, { key });
        const count = Number(/^count:(\d+)$/.exec(current.json().nickname)![1]);
        const res = await h.request('PATCH', `/v1/phone-numbers/${created.id}`, {
          key,
          json: { nickname: `count:${count + 1}` },
          headers: { 'if-match': current.headers.etag as string },
        });
        if (res.status === 200) {
          successes += 1;
          versionsSeen.push(Number(JSON.parse(res.headers.etag as string)));
          expect(Number(JSON.parse(res.headers.etag as string))).toBe(Number(JSON.parse(current.headers.etag as string)) + 1);
        } else {
          expect(res.status, res.body).toBe(412);
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, client));
    const final = await h.request('GET', `/v1/phone-numbers/${created.id}`, { key });
    expect(successes).toBeGreaterThan(0);
    expect(final.json().nickname).toBe(`count:${successes}`);
    expect(final.headers.etag).toBe(`"${1 + successes}"`);
    // Each success produced a distinct version: no two writers won the same one.
    expect(new Set(versionsSeen).size).toBe(successes);
    const events = (await h.request('GET', `/v1/phone-numbers/${created.id}/events`, { key })).json().data;
    expect(events.filter((event: { action: string }) => event.action === 'update')).toHaveLength(successes);
  });

  test('concurrent PATCHes of different fields without If-Match all apply; none is lost', async () => {
    const key = await (await h.workspace()).key();
    const created = (await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: freshNumber() } })).json();
    const changes = [
      { nickname: 'nick' },
      { provider_sid: 'PN123' },
      { error_message: 'none' },
      { inbound_webhook_url: 'https://hooks.example.com/in' },
      { inbound_sms_webhook_url: 'https://hooks.example.com/sms' },
      { allowed_inbound_country_list: ['US'] },
      { allowed_outbound_country_list: ['CA'] },
      { outbound_agents: [{ agent_id: 'out', weight: 1 }] },
      { inbound_agents: [{ agent_id: 'in', weight: 1 }] },
      { inbound_sms_agents: [{ agent_id: 'sms-in', weight: 1 }] },
      { outbound_sms_agents: [{ agent_id: 'sms-out', weight: 1 }] },
      { capabilities: { sms: true } },
      { sip: { termination_uri: 'trunk.example.com' } },
      { status: 'inactive' },
    ];
    const responses = await Promise.all(changes.map((json) => h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json })));
    for (const res of responses) expect(res.status, res.body).toBe(200);
    const final = (await h.request('GET', `/v1/phone-numbers/${created.id}`, { key })).json();
    expect(final).toMatchObject({
      nickname: 'nick',
      provider_sid: 'PN123',
      error_message: 'none',
      inbound_webhook_url: 'https://hooks.example.com/in',
      inbound_sms_webhook_url: 'https://hooks.example.com/sms',
      allowed_inbound_country_list: ['US'],
      allowed_outbound_country_list: ['CA'],
      outbound_agents: [{ agent_id: 'out', weight: 1 }],
      inbound_agents: [{ agent_id: 'in', weight: 1 }],
      inbound_sms_agents: [{ agent_id: 'sms-in', weight: 1 }],
      outbound_sms_agents: [{ agent_id: 'sms-out', weight: 1 }],
      capabilities: { voice: true, sms: true },
      sip: { termination_uri: 'trunk.example.com' },
      status: 'inactive',
    });
    const bound = await h.request('GET', '/v1/phone-numbers?agent_id=sms-out', { key });
    expect(bound.json().data.map((n: { id: string }) => n.id)).toEqual([created.id]);
  });

  test('a delete racing updates: the number ends deleted, and no update is applied after it', async () => {
    const key = await (await h.workspace()).key();
    const created = (await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: freshNumber() } })).json();
    const responses = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { nickname: `n${i}` } })),
      h.request('DELETE', `/v1/phone-numbers/${created.id}`, { key }),
      ...Array.from({ length: 10 }, (_, i) => h.request('PATCH', `/v1/phone-numbers/${created.id}`, { key, json: { nickname: `m${i}` } })),
    ]);
    expect(responses[10]!.status).toBe(204);
    for (const res of responses) expect([200, 204, 404]).toContain(res.status);
    expect((await h.request('GET', `/v1/phone-numbers/${created.id}`, { key })).status).toBe(404);
    const row = await h.runtime.database.db.selectFrom('phone_numbers').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    const events = await h.runtime.database.db.selectFrom('phone_number_events').select(['action']).where('phone_number_id', '=', created.id).orderBy('id').execute();
    expect(events.at(-1)!.action).toBe('delete');
    expect(events.filter((e) => e.action === 'update')).toHaveLength(responses.filter((r) => r.status === 200).length);
  });
});

describe('buying from the inventory', () => {
  test('concurrent buys (native purchase and Retell create-phone-number) never hand out the same number', async () => {
    const stock = Array.from({ length: 8 }, () => freshNumber('212'));
    await h.runtime.services.stock.add(stock.map((e164) => ({ e164 })));
    const keys = [await (await h.workspace()).key(), await (await h.workspace()).key(), await (await h.workspace()).key()];
    const responses = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        i % 2
          ? h.request('POST', '/v1/phone-numbers/purchase', { key: keys[i % 3]!, json: { area_code: '212' } })
          : h.request('POST', '/retell/create-phone-number', { key: keys[i % 3]!, json: { area_code: 212 } }),
      ),
    );
    const bought = responses.filter((res) => res.status === 201).map((res) => res.json().phone_number as string);
    expect(bought).toHaveLength(stock.length);
    expect(new Set(bought).size).toBe(bought.length);
    expect([...bought].sort()).toEqual([...stock].sort());
    for (const res of responses) if (res.status !== 201) expect(res.status, res.body).toBe(422);
    const rows = await h.runtime.database.db.selectFrom('phone_numbers').select(['e164', 'workspace_id']).where('e164', 'in', stock).where('deleted_at', 'is', null).execute();
    expect(rows).toHaveLength(stock.length);
  });
});
