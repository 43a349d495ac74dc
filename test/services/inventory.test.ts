import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { operatorActor } from '../../src/services/context.ts';
import { NoNumberAvailableError } from '../../src/services/errors.ts';
import { STALE_CLAIM_MS } from '../../src/services/inventory/local-inventory.ts';

let h: Harness;
let now = Date.parse('2026-11-22T12:00:00.000Z');
beforeAll(async () => {
  h = await createHarness({ clock: () => new Date(now) });
});
afterAll(async () => h.close());

function block(areaCode: number, count: number, from = 100): string[] {
  return Array.from({ length: count }, (_, i) => `+1${areaCode}555${String(from + i).padStart(4, '0')}`);
}

async function settled<T>(promises: Array<Promise<T>>) {
  const results = await Promise.allSettled(promises);
  return {
    values: results.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled').map((r) => r.value),
    errors: results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown),
  };
}

function stockRow(areaCode: string) {
  return h.runtime.services.stock.summary().then((rows) => rows.find((row) => row.area_code === areaCode));
}

describe('buying from the inventory', () => {
  test('20 concurrent buys get 20 different numbers, enforced by the store', async () => {
    const { services } = h.runtime;
    await services.stock.add(block(503, 30).map((e164) => ({ e164 })));
    const buyers = await Promise.all(Array.from({ length: 20 }, async () => operatorActor((await h.workspace()).id)));
    const { values, errors } = await settled(buyers.map((actor) => services.inventory.buy(actor, { country: 'US', area_code: '503' }, {})));
    expect(errors).toEqual([]);
    expect(new Set(values.map((record) => record.phone_number)).size).toBe(20);
    expect(values.every((record) => record.area_code === '503' && record.source === 'inventory')).toBe(true);
    expect(await stockRow('503')).toMatchObject({ total: 30, available: 10 });
  });

  test('20 concurrent buys for 8 numbers: 8 succeed, 12 are told no number is available', async () => {
    const { services } = h.runtime;
    await services.stock.add(block(617, 8).map((e164) => ({ e164, provider: 'telnyx' })));
    const actor = operatorActor((await h.workspace()).id);
    const { values, errors } = await settled(Array.from({ length: 20 }, () => services.inventory.buy(actor, { area_code: '617' }, {})));
    expect(values).toHaveLength(8);
    expect(new Set(values.map((record) => record.phone_number)).size).toBe(8);
    expect(values.every((record) => record.source === 'telnyx')).toBe(true);
    expect(errors).toHaveLength(12);
    expect(errors.every((error) => error instanceof NoNumberAvailableError)).toBe(true);
    expect(await stockRow('617')).toMatchObject({ total: 8, available: 0 });
  });

  test('a number deleted through the native API goes back to stock; one imported by hand is never sold', async () => {
    const { services } = h.runtime;
    const [first, second] = block(305, 2);
    await services.stock.add([{ e164: first! }, { e164: second! }]);
    const workspace = await h.workspace();
    const key = await workspace.key();
    const actor = operatorActor(workspace.id);
    const imported = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: second } });
    expect(imported.status).toBe(201);
    await expect(services.inventory.buy(actor, { phone_number: second! }, {})).rejects.toBeInstanceOf(NoNumberAvailableError);

    const bought = await services.inventory.buy(actor, { area_code: '305' }, { nickname: 'Miami' });
    expect(bought.phone_number).toBe(first);
    expect(await stockRow('305')).toMatchObject({ available: 0 });
    expect((await h.request('DELETE', `/v1/phone-numbers/${bought.id}`, { key })).status).toBe(204);
    // The change feed releases it; the availability rule alone already counts it as free.
    await expect.poll(() => stockRow('305')).toMatchObject({ available: 1 });
    const again = await services.inventory.buy(operatorActor((await h.workspace()).id), { area_code: '305' }, {});
    expect(again.phone_number).toBe(first);
  });

  test('a claim that never became a phone number is free again after the stale-claim delay', async () => {
    const { services } = h.runtime;
    const [number] = block(702, 1);
    await services.stock.add([{ e164: number! }]);
    const claimed = await services.stock.purchase({ e164: number!, provider: null, provider_sid: null }, 'crashed-buyer');
    expect(claimed?.e164).toBe(number);
    expect(await services.stock.purchase({ e164: number!, provider: null, provider_sid: null }, 'someone-else')).toBeNull();
    now += STALE_CLAIM_MS + 1000;
    expect((await services.inventory.buy(operatorActor((await h.workspace()).id), { area_code: '702' }, {})).phone_number).toBe(number);
  });

  test('a rejected buy (bad agent weights) changes nothing and leaves the number in stock', async () => {
    const { services } = h.runtime;
    await services.stock.add(block(312, 1).map((e164) => ({ e164 })));
    const actor = operatorActor((await h.workspace()).id);
    await expect(services.inventory.buy(actor, { area_code: '312' }, { inbound_agents: [{ agent_id: 'a', weight: 0.5 }] })).rejects.toMatchObject({
      issues: [{ field: 'inbound_agents', message: expect.stringMatching(/weights must sum to 1/) }],
    });
    expect(await stockRow('312')).toMatchObject({ total: 1, available: 1 });
    await expect(services.inventory.buy(actor, { country: 'XX' }, {})).rejects.toThrow(/alpha-2/);
  });

  test('adding skips numbers already in stock and refuses numbers no country assigns', async () => {
    const { services } = h.runtime;
    const numbers = block(808, 3);
    expect(await services.stock.add(numbers.map((e164) => ({ e164 })))).toEqual({ added: 3, skipped: 0 });
    expect(await services.stock.add([...numbers, ...block(808, 1, 900)].map((e164) => ({ e164 })))).toEqual({ added: 1, skipped: 3 });
    await expect(services.stock.add([{ e164: '+19990001234' }, { e164: block(808, 1, 950)[0]! }])).rejects.toThrow(/not a valid phone number/);
    expect(await stockRow('808')).toMatchObject({ country: 'US', toll_free: false, total: 4, available: 4 });
  });
});

describe('POST /v1/phone-numbers/purchase', () => {
  test('buys by criteria with settings, answers problem+json 422 when nothing matches', async () => {
    await h.runtime.services.stock.add([{ e164: '+19175550100', provider: 'twilio', provider_sid: 'PN123' }]);
    const key = await (await h.workspace()).key();
    const bought = await h.request('POST', '/v1/phone-numbers/purchase', {
      key,
      json: { country: 'US', area_code: '917', toll_free: false, nickname: 'NYC', inbound_agents: [{ agent_id: 'a', weight: 1 }], sip: { transport: 'TLS' } },
    });
    expect(bought.status).toBe(201);
    expect(bought.json()).toMatchObject({
      phone_number: '+19175550100',
      source: 'twilio',
      provider_sid: 'PN123',
      nickname: 'NYC',
      region: 'New York',
      sip: { transport: 'TLS' },
    });
    expect(bought.headers.location).toBe(`/v1/phone-numbers/${bought.json().id}`);
    const none = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { area_code: '917' } });
    expect(none.status).toBe(422);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.json()).toMatchObject({ code: 'NO_NUMBER_AVAILABLE', detail: 'no number available in the inventory matching area code 917' });
    const unknownField = await h.request('POST', '/v1/phone-numbers/purchase', { key, json: { source: 'telnyx' } });
    expect(unknownField.status).toBe(400);
  });
});

test('the OpenAPI document describes the purchase and the Retell routes', async () => {
  const doc = (await h.request('GET', '/openapi.json')).json();
  expect(doc.paths['/v1/phone-numbers/purchase'].post.operationId).toBe('purchasePhoneNumber');
  expect(doc.paths['/retell/create-phone-number'].post.operationId).toBe('retellCreatePhoneNumber');
  // Six of retell-sdk 5.66 and the v1 list Retell still serves (issue 12).
  expect(Object.keys(doc.paths).filter((path) => path.startsWith('/retell/'))).toHaveLength(7);
});

test('a purchase retried with the same Idempotency-Key buys one number, not two', async () => {
  await h.runtime.services.stock.add([{ e164: '+17185550100' }, { e164: '+17185550101' }]);
  const key = await (await h.workspace()).key();
  const send = () => h.request('POST', '/v1/phone-numbers/purchase', { key, json: { area_code: '718' }, headers: { 'idempotency-key': 'buy-718-once' } });
  const first = await send();
  const retry = await send();
  expect(first.status).toBe(201);
  expect(retry.status).toBe(201);
  expect(retry.headers['idempotent-replayed']).toBe('true');
  expect(retry.json().phone_number).toBe(first.json().phone_number);
  expect(await stockRow('718')).toMatchObject({ total: 2, available: 1 });
});
