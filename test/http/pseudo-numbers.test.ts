import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber } from '../helpers/numbers.ts';

// Pseudo numbers (issue 12, item 2): an internal identifier on custom telephony, asked for
// explicitly with `pseudo: true` natively (Retell: `ignore_e164_validation`), stored and returned
// exactly as given, looked up exactly, unique installation-wide, with no derived metadata.
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

/** An identifier not used before in this store. */
function pseudoId(prefix = 'agent-line'): string {
  return `${prefix}-${crypto.randomBytes(4).toString('hex')}`;
}
function pseudoDigits(): string {
  return String(crypto.randomInt(10_000_000, 99_999_999));
}
/** Digits that no reading makes a valid number: random 8 digits can be (e.g. +290 or +500 and five digits). */
function invalidDigits(): string {
  return `0${crypto.randomInt(1_000_000, 9_999_999)}`;
}

async function newKey() {
  return (await h.workspace()).key();
}

describe('native API: pseudo: true', () => {
  test('stores an internal id exactly as given, with no derived metadata, and reads it back by path', async () => {
    const key = await newKey();
    const id = pseudoId();
    const res = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: id, pseudo: true, nickname: 'line 1' } });
    expect(res.status, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      phone_number: id,
      number_type: 'pseudo',
      country: null,
      region: null,
      locality: null,
      area_code: null,
      time_zones: [],
      phone_number_pretty: id,
    });
    const read = await h.request('GET', `/v1/phone-numbers/${id}`, { key });
    expect(read.status).toBe(200);
    expect(read.json().id).toBe(res.json().id);
    const patched = await h.request('PATCH', `/v1/phone-numbers/${id}`, { key, json: { nickname: 'renamed' } });
    expect(patched.status, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ phone_number: id, nickname: 'renamed', number_type: 'pseudo' });
  });

  test('keeps digits as given: no "+" added, not read as a country', async () => {
    const key = await newKey();
    const digits = pseudoDigits();
    const res = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: digits, pseudo: true } });
    expect(res.status, res.body).toBe(201);
    expect(res.json()).toMatchObject({ phone_number: digits, country: null, number_type: 'pseudo', phone_number_pretty: digits });
    expect((await h.request('GET', `/v1/phone-numbers/${digits}`, { key })).json().phone_number).toBe(digits);
    const plus = `+${pseudoDigits()}`;
    const withPlus = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: plus, pseudo: true } });
    expect(withPlus.json()).toMatchObject({ phone_number: plus, country: null, number_type: 'pseudo' });
  });

  test('without the flag a typo\'d E.164 number is still 400, and a pseudo id too', async () => {
    const key = await newKey();
    const typo = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: '+1415777444' } });
    expect(typo.status).toBe(400);
    expect(typo.json().errors[0].field).toBe('phone_number');
    const internal = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: pseudoId() } });
    expect(internal.status).toBe(400);
  });

  test('refuses what is not a pseudo number, naming the field and the rule', async () => {
    const key = await newKey();
    for (const phone_number of ['has space', 'dot.ted', 'x'.repeat(65), '019a8f3e-7c1d-7b2a-9f00-5d3c2b1a0e9f', '+12-34']) {
      const res = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number, pseudo: true } });
      expect(res.status, phone_number).toBe(400);
      expect(res.json().errors[0]).toMatchObject({ field: 'phone_number' });
    }
    expect((await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: 'x'.repeat(64), pseudo: true } })).status).toBe(201);
  });

  test('is unique installation-wide, whichever workspace asks; free again after a delete', async () => {
    const first = await newKey();
    const second = await newKey();
    const id = pseudoId();
    expect((await h.request('POST', '/v1/phone-numbers', { key: first, json: { phone_number: id, pseudo: true } })).status).toBe(201);
    expect((await h.request('POST', '/v1/phone-numbers', { key: second, json: { phone_number: id, pseudo: true } })).status).toBe(409);
    expect((await h.request('POST', '/v1/phone-numbers', { key: first, json: { phone_number: id, pseudo: true } })).status).toBe(409);
    // Another workspace's pseudo number is 404, like any other.
    expect((await h.request('GET', `/v1/phone-numbers/${id}`, { key: second })).status).toBe(404);
    expect((await h.request('DELETE', `/v1/phone-numbers/${id}`, { key: first })).status).toBe(204);
    expect((await h.request('POST', '/v1/phone-numbers', { key: second, json: { phone_number: id, pseudo: true } })).status).toBe(201);
  });

  test('matches exactly: the digits of a pseudo number and the E.164 number with a "+" are two numbers', async () => {
    const key = await newKey();
    const e164 = freshNumber();
    const digits = e164.slice(1);
    const real = (await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: e164 } })).json();
    const pseudo = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: digits, pseudo: true } });
    expect(pseudo.status, pseudo.body).toBe(201);
    expect((await h.request('GET', `/v1/phone-numbers/${digits}`, { key })).json().id).toBe(pseudo.json().id);
    expect((await h.request('GET', `/v1/phone-numbers/${encodeURIComponent(e164)}`, { key })).json().id).toBe(real.id);
    // Without a pseudo number of those digits, the digits name the E.164 number as before.
    await h.request('DELETE', `/v1/phone-numbers/${digits}`, { key });
    expect((await h.request('GET', `/v1/phone-numbers/${digits}`, { key })).json().id).toBe(real.id);
  });

  test('bulk import takes the flag per item', async () => {
    const key = await newKey();
    const id = pseudoId();
    const res = await h.request('POST', '/v1/phone-numbers/bulk', {
      key,
      json: { items: [{ phone_number: id, pseudo: true }, { phone_number: pseudoId() }] },
    });
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toMatchObject({ created: 1, failed: 1 });
    const [first, second] = res.json().data;
    expect(first).toMatchObject({ status: 'created', phone_number: { phone_number: id, number_type: 'pseudo' } });
    expect(second).toMatchObject({ status: 'failed' });
  });
});

describe('routing of a pseudo number', () => {
  test('an inbound call to the pseudo number connects its agent; outbound from it uses it as the caller id', async () => {
    const key = await newKey();
    const id = pseudoId('trunk');
    const created = await h.request('POST', '/v1/phone-numbers', {
      key,
      json: { phone_number: id, pseudo: true, inbound_agents: [{ agent_id: 'in', weight: 1 }], outbound_agents: [{ agent_id: 'out', weight: 1 }] },
    });
    expect(created.status, created.body).toBe(201);
    const inbound = await h.request('POST', '/v1/routing/inbound', { key, json: { to: id, from: '+12125551234' } });
    expect(inbound.json()).toMatchObject({ action: 'connect', agent_id: 'in', phone_number_id: created.json().id });
    const outbound = await h.request('POST', '/v1/routing/outbound', { key, json: { to: '+12125551234', from: id } });
    expect(outbound.json()).toMatchObject({ action: 'connect', agent_id: 'out', caller_id: id });
    // Exact: the same letters in another case are another (unknown) number.
    const other = await h.request('POST', '/v1/routing/inbound', { key, json: { to: id.toUpperCase(), from: '+12125551234' } });
    expect(other.json()).toMatchObject({ action: 'reject', reason: 'number_not_found' });
  });

  test('digits route to the pseudo number of those digits before the E.164 number', async () => {
    const key = await newKey();
    const e164 = freshNumber();
    await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: e164, inbound_agents: [{ agent_id: 'real', weight: 1 }] } });
    await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: e164.slice(1), pseudo: true, inbound_agents: [{ agent_id: 'pseudo', weight: 1 }] } });
    const byDigits = await h.request('POST', '/v1/routing/inbound', { key, json: { to: e164.slice(1), from: '+12125551234' } });
    expect(byDigits.json()).toMatchObject({ agent_id: 'pseudo' });
    const byE164 = await h.request('POST', '/v1/routing/inbound', { key, json: { to: e164, from: '+12125551234' } });
    expect(byE164.json()).toMatchObject({ agent_id: 'real' });
  });
});

describe('Retell import: ignore_e164_validation', () => {
  const sip = { termination_uri: 'trunk.example.com' };

  test('keeps digits and internal ids exactly as given (default true), and reads them back by path', async () => {
    const key = await newKey();
    const digits = pseudoDigits();
    const id = pseudoId();
    for (const phone_number of [digits, id]) {
      const res = await h.request('POST', '/retell/import-phone-number', { key, json: { phone_number, ...sip } });
      expect(res.status, res.body).toBe(201);
      expect(res.json()).toMatchObject({ phone_number, phone_number_pretty: phone_number, phone_number_type: 'custom' });
      expect(res.json()).not.toHaveProperty('area_code');
      const read = await h.request('GET', `/retell/get-phone-number/${phone_number}`, { key });
      expect(read.json().phone_number).toBe(phone_number);
    }
    const native = await h.request('GET', `/v1/phone-numbers/${digits}`, { key });
    expect(native.json()).toMatchObject({ number_type: 'pseudo', country: null });
  });

  test('a valid E.164 number stays E.164 with its metadata', async () => {
    const key = await newKey();
    const e164 = freshNumber();
    const res = await h.request('POST', '/retell/import-phone-number', { key, json: { phone_number: e164, ...sip } });
    expect(res.json()).toMatchObject({ phone_number: e164, area_code: 415, phone_number_pretty: expect.stringMatching(/^\+1 \(415\)/) });
  });

  test('with false, only a valid E.164 number is accepted', async () => {
    const key = await newKey();
    for (const phone_number of [invalidDigits(), pseudoId()]) {
      const res = await h.request('POST', '/retell/import-phone-number', { key, json: { phone_number, ...sip, ignore_e164_validation: false } });
      expect(res.status, phone_number).toBe(400);
      expect(res.json().message).toContain('phone_number');
    }
  });
});
