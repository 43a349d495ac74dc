import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import Retell, { BadRequestError, ConflictError, NotFoundError } from 'retell-sdk';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { rejection } from '../helpers/rejection.ts';
import { freshNumber } from '../helpers/numbers.ts';

// Retell's phone-number reference, endpoint by endpoint, driven through the official retell-sdk
// (5.66): the SDK's own examples, every documented field of the phone-number object with its
// type and value rules, plus the deprecated single-agent fields older clients still send and a
// pseudo number (ignore_e164_validation).
let h: Harness;
let baseURL: string;
beforeAll(async () => {
  h = await createHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  baseURL = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/retell`;
});
afterAll(async () => h.close());

async function client() {
  const workspace = await h.workspace();
  const key = await workspace.key();
  return { retell: new Retell({ apiKey: key, baseURL, maxRetries: 0 }), key };
}


const AGENT_LISTS = ['inbound_agents', 'outbound_agents', 'inbound_sms_agents', 'outbound_sms_agents'] as const;

/** PhoneNumberResponse as retell-sdk types it: always-present keys, optional non-nullable ones, nullable ones. */
function expectPhoneNumberResponse(body: Record<string, any>) {
  expect(typeof body.phone_number).toBe('string');
  expect(['retell-twilio', 'retell-telnyx', 'custom']).toContain(body.phone_number_type);
  expect(Number.isInteger(body.last_modification_timestamp)).toBe(true);
  expect(Math.abs(Date.now() - body.last_modification_timestamp)).toBeLessThan(10 * 60_000);
  if ('phone_number_pretty' in body) expect(typeof body.phone_number_pretty).toBe('string');
  if ('area_code' in body) expect(Number.isInteger(body.area_code)).toBe(true);
  if ('nickname' in body && body.nickname !== null) expect(typeof body.nickname).toBe('string');
  for (const list of AGENT_LISTS) {
    if (body[list] === null || body[list] === undefined) continue;
    expect(Array.isArray(body[list])).toBe(true);
    for (const entry of body[list]) {
      expect(typeof entry.agent_id).toBe('string');
      expect(typeof entry.weight).toBe('number');
      if ('agent_version' in entry) expect(['string', 'number']).toContain(typeof entry.agent_version);
    }
    if (body[list].length > 0) expect(body[list].reduce((sum: number, e: { weight: number }) => sum + e.weight, 0)).toBeCloseTo(1, 6);
  }
  for (const key of ['inbound_webhook_url', 'inbound_sms_webhook_url', 'fallback_number']) {
    if (key in body && body[key] !== null) expect(typeof body[key]).toBe('string');
  }
  for (const key of ['allowed_inbound_country_list', 'allowed_outbound_country_list']) {
    if (body[key]) for (const code of body[key]) expect(code).toMatch(/^[A-Z]{2}$/);
  }
  const trunk = body.sip_outbound_trunk_config;
  if (trunk) {
    expect(Object.keys(trunk).sort()).toEqual(['auth_username', 'termination_uri', 'transport']);
    if (trunk.transport !== null) expect(['TLS', 'TCP', 'UDP']).toContain(trunk.transport);
  }
  // Never a password, under any name.
  expect(JSON.stringify(body)).not.toMatch(/password/i);
  // The deprecated single-agent fields, on every response.
  for (const key of ['inbound_agent_id', 'inbound_agent_version', 'outbound_agent_id', 'outbound_agent_version', 'inbound_sms_agent_id', 'outbound_sms_agent_id']) {
    expect(body).toHaveProperty(key);
  }
}

describe('POST /create-phone-number: client.phoneNumber.create()', () => {
  test('the SDK example (no argument) buys a number and returns the object, 201', async () => {
    const { retell } = await client();
    await h.runtime.services.stock.add([{ e164: '+14157770001', provider: 'twilio' }]);
    const phoneNumberResponse = await (retell.phoneNumber.create as unknown as () => Promise<Record<string, any>>)();
    expectPhoneNumberResponse(phoneNumberResponse);
    expect(phoneNumberResponse).toMatchObject({ phone_number: '+14157770001', phone_number_type: 'retell-twilio', area_code: 415, phone_number_pretty: '+1 (415) 777-0001' });
  });

  test('number_provider telnyx on stock of no carrier reads retell-telnyx; bindings as sent', async () => {
    const { retell } = await client();
    await h.runtime.services.stock.add([{ e164: '+12065550199' }]);
    const bought = await retell.phoneNumber.create({
      area_code: 206,
      number_provider: 'telnyx',
      nickname: 'Seattle',
      inbound_agents: [{ agent_id: 'oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD', weight: 1 }],
    });
    expectPhoneNumberResponse(bought);
    expect(bought).toMatchObject({ phone_number_type: 'retell-telnyx', nickname: 'Seattle', inbound_agent_id: 'oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD' });
  });
});

describe('POST /import-phone-number: client.phoneNumber.import()', () => {
  test('the SDK example: phone_number and termination_uri; every imported number is custom', async () => {
    const { retell } = await client();
    const number = freshNumber();
    const phoneNumberResponse = await retell.phoneNumber.import({ phone_number: number, termination_uri: 'someuri.pstn.twilio.com' });
    expectPhoneNumberResponse(phoneNumberResponse);
    expect(phoneNumberResponse).toMatchObject({
      phone_number: number,
      phone_number_type: 'custom',
      sip_outbound_trunk_config: { termination_uri: 'someuri.pstn.twilio.com', auth_username: null, transport: 'TCP' },
      inbound_agents: [],
      inbound_agent_id: null,
      inbound_agent_version: null,
    });
    const again = await rejection(retell.phoneNumber.import({ phone_number: number, termination_uri: 'someuri.pstn.twilio.com' }));
    expect(again).toBeInstanceOf(ConflictError);
    expect(again.error.status).toBe('error');
  });

  test('the deprecated inbound_agent_id / outbound_agent_id / versions bind one agent of weight 1', async () => {
    const { retell } = await client();
    const imported = await retell.phoneNumber.import({
      phone_number: freshNumber(),
      termination_uri: 'someuri.pstn.twilio.com',
      inbound_agent_id: 'agent_in',
      inbound_agent_version: 3,
      outbound_agent_id: 'agent_out',
      outbound_agent_version: 'latest_published',
    } as never);
    expectPhoneNumberResponse(imported);
    expect(imported).toMatchObject({
      inbound_agents: [{ agent_id: 'agent_in', weight: 1, agent_version: 3 }],
      outbound_agents: [{ agent_id: 'agent_out', weight: 1, agent_version: 'latest_published' }],
      inbound_agent_id: 'agent_in',
      inbound_agent_version: 3,
      outbound_agent_id: 'agent_out',
      outbound_agent_version: 'latest_published',
    });
  });

  test('the weighted list wins over the single agent when both are sent (and not empty)', async () => {
    const { retell } = await client();
    const imported = await retell.phoneNumber.import({
      phone_number: freshNumber(),
      termination_uri: 'someuri.pstn.twilio.com',
      inbound_agents: [
        { agent_id: 'light', weight: 0.25 },
        { agent_id: 'heavy', weight: 0.75 },
      ],
      inbound_agent_id: 'ignored',
      outbound_agents: [],
      outbound_agent_id: 'fallback',
    } as never);
    expect(imported.inbound_agents!.map((e) => e.agent_id)).toEqual(['light', 'heavy']);
    // The response names the heaviest agent of a list of several.
    expect(imported).toMatchObject({ inbound_agent_id: 'heavy', outbound_agents: [{ agent_id: 'fallback', weight: 1 }], outbound_agent_id: 'fallback' });
  });

  test('a pseudo number (ignore_e164_validation, default true) is stored and read back exactly', async () => {
    const { retell } = await client();
    const pseudo = `ext-${crypto.randomBytes(3).toString('hex')}`;
    const imported = await retell.phoneNumber.import({ phone_number: pseudo, termination_uri: 'pbx.internal' });
    expectPhoneNumberResponse(imported);
    expect(imported).toMatchObject({ phone_number: pseudo, phone_number_pretty: pseudo, phone_number_type: 'custom' });
    expect('area_code' in imported).toBe(false);
    expect((await retell.phoneNumber.retrieve(pseudo)).phone_number).toBe(pseudo);
    const digits = String(crypto.randomInt(10_000_000, 99_999_999));
    expect((await retell.phoneNumber.import({ phone_number: digits, termination_uri: 'pbx.internal' })).phone_number).toBe(digits);
    const strict = await rejection(retell.phoneNumber.import({ phone_number: `x-${digits}`, termination_uri: 'pbx.internal', ignore_e164_validation: false }));
    expect(strict).toBeInstanceOf(BadRequestError);
    expect(strict.error).toMatchObject({ status: 'error', message: expect.stringMatching(/^phone_number: /) });
  });
});

describe('GET /get-phone-number/{phone_number}: client.phoneNumber.retrieve()', () => {
  test('the SDK example retrieves by E.164 with a literal +; unknown is 404 with status "error"', async () => {
    const { retell } = await client();
    const number = freshNumber();
    await retell.phoneNumber.import({ phone_number: number, termination_uri: 'someuri.pstn.twilio.com' });
    const phoneNumberResponse = await retell.phoneNumber.retrieve(number);
    expectPhoneNumberResponse(phoneNumberResponse);
    expect(phoneNumberResponse.phone_number).toBe(number);
    const missing = await rejection(retell.phoneNumber.retrieve('+14155550000'));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.error).toEqual({ status: 'error', message: expect.any(String) });
  });
});

describe('GET /v2/list-phone-numbers: client.phoneNumber.list()', () => {
  test('the SDK example lists { items, has_more, pagination_key? }', async () => {
    const { retell } = await client();
    for (let i = 0; i < 3; i++) await retell.phoneNumber.import({ phone_number: freshNumber(), termination_uri: 'someuri.pstn.twilio.com' });
    const phoneNumbers = await retell.phoneNumber.list({ limit: 2 });
    expect(phoneNumbers.items).toHaveLength(2);
    phoneNumbers.items.forEach(expectPhoneNumberResponse);
    expect(phoneNumbers.has_more).toBe(true);
    expect(typeof phoneNumbers.pagination_key).toBe('string');
    const rest = await retell.phoneNumber.list({ limit: 2, pagination_key: phoneNumbers.pagination_key! });
    expect(rest).toMatchObject({ has_more: false });
    expect('pagination_key' in rest).toBe(false);
  });
});

describe('GET /list-phone-numbers (v1)', () => {
  test('a plain JSON array of every number, newest first', async () => {
    const { retell, key } = await client();
    const numbers = [freshNumber(), freshNumber(), freshNumber()];
    for (const number of numbers) await retell.phoneNumber.import({ phone_number: number, termination_uri: 'someuri.pstn.twilio.com' });
    const res = await fetch(`${baseURL}/list-phone-numbers`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = await res.json();
    expect(Array.isArray(body)).toBe(true);
    body.forEach(expectPhoneNumberResponse);
    expect(body.map((n: { phone_number: string }) => n.phone_number)).toEqual([...numbers].reverse());
  });
});

describe('PATCH /update-phone-number/{phone_number}: client.phoneNumber.update()', () => {
  test('the SDK example: inbound_agents, outbound_agents and nickname', async () => {
    const { retell } = await client();
    const number = freshNumber();
    await retell.phoneNumber.import({ phone_number: number, termination_uri: 'someuri.pstn.twilio.com' });
    const phoneNumberResponse = await retell.phoneNumber.update(number, {
      inbound_agents: [{ agent_id: 'oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD', weight: 1 }],
      outbound_agents: [{ agent_id: 'oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD', weight: 1 }],
      nickname: 'Frontdesk Number',
    });
    expectPhoneNumberResponse(phoneNumberResponse);
    expect(phoneNumberResponse).toMatchObject({ nickname: 'Frontdesk Number', inbound_agent_id: 'oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD', outbound_agent_id: 'oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD' });
  });

  test('the deprecated fields: set, re-version alone, keep the version for the same agent, null unbinds', async () => {
    const { retell } = await client();
    const number = freshNumber();
    await retell.phoneNumber.import({ phone_number: number, termination_uri: 'someuri.pstn.twilio.com' });
    const set = await retell.phoneNumber.update(number, { inbound_agent_id: 'a1', inbound_agent_version: 1, inbound_sms_agent_id: 'sms1' } as never);
    expect(set).toMatchObject({ inbound_agents: [{ agent_id: 'a1', weight: 1, agent_version: 1 }], inbound_sms_agents: [{ agent_id: 'sms1', weight: 1 }], inbound_sms_agent_id: 'sms1' });
    const bumped = await retell.phoneNumber.update(number, { inbound_agent_version: 2 } as never);
    expect(bumped).toMatchObject({ inbound_agents: [{ agent_id: 'a1', weight: 1, agent_version: 2 }], inbound_agent_version: 2 });
    const same = await retell.phoneNumber.update(number, { inbound_agent_id: 'a1' } as never);
    expect((same as unknown as Record<string, unknown>).inbound_agent_version).toBe(2);
    const unbound = await retell.phoneNumber.update(number, { inbound_agent_id: null, inbound_sms_agent_id: null } as never);
    expect(unbound).toMatchObject({ inbound_agents: [], inbound_agent_id: null, inbound_agent_version: null, inbound_sms_agents: [], inbound_sms_agent_id: null });
    const orphan = await rejection(retell.phoneNumber.update(number, { outbound_agent_version: 4 } as never));
    expect(orphan).toBeInstanceOf(BadRequestError);
    expect(orphan.error.message).toMatch(/^outbound_agent_version: needs outbound_agent_id/);
  });
});

describe('DELETE /delete-phone-number/{phone_number}: client.phoneNumber.delete()', () => {
  test('the SDK example deletes (204, resolves to null); then retrieve is 404', async () => {
    const { retell } = await client();
    const number = freshNumber();
    await retell.phoneNumber.import({ phone_number: number, termination_uri: 'someuri.pstn.twilio.com' });
    expect(await retell.phoneNumber.delete(number)).toBeNull();
    expect(await rejection(retell.phoneNumber.retrieve(number))).toBeInstanceOf(NotFoundError);
  });
});
