import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import Retell, { AuthenticationError, BadRequestError, ConflictError, NotFoundError, UnprocessableEntityError } from 'retell-sdk';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { rejection } from '../helpers/rejection.ts';

let h: Harness;
let baseURL: string;
let serial = 0;

beforeAll(async () => {
  h = await createHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  baseURL = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/retell`;
});
afterAll(async () => h.close());

/** A fresh workspace and an SDK client on its key. */
async function client(): Promise<{ retell: Retell; key: string; workspaceId: string }> {
  const workspace = await h.workspace();
  const key = await workspace.key();
  return { retell: new Retell({ apiKey: key, baseURL, maxRetries: 0 }), key, workspaceId: workspace.id };
}

/** A unique, valid San Francisco number per call, so tests never collide on the installation-wide rule. */
function sfNumber(): string {
  serial += 1;
  return `+1415${String(7_000_000 + process.pid * 0 + serial * 13).padStart(7, '0')}`;
}


describe('Retell dialect through retell-sdk', () => {
  test('import, get (literal + and %2B), update, delete: the whole lifecycle with every field', async () => {
    const { retell, key } = await client();
    const number = sfNumber();
    const imported = await retell.phoneNumber.import({
      phone_number: number,
      termination_uri: 'acme.pstn.twilio.com',
      sip_trunk_auth_username: 'acme',
      sip_trunk_auth_password: 'trunk-secret-1',
      transport: 'TLS',
      nickname: 'SF support',
      inbound_agents: [
        { agent_id: 'agent_a', weight: 0.7, agent_version: 3 },
        { agent_id: 'agent_b', weight: 0.2, agent_version: 'latest_published' },
        { agent_id: 'agent_c', weight: 0.1 },
      ],
      outbound_agents: [{ agent_id: 'agent_a', weight: 1, agent_version: 'prod' }],
      inbound_webhook_url: 'https://hooks.example.com/inbound',
      allowed_inbound_country_list: ['US', 'CA'],
      allowed_outbound_country_list: ['US'],
    });
    expect(imported).toMatchObject({
      phone_number: number,
      phone_number_type: 'custom',
      phone_number_pretty: `+1 (415) ${number.slice(5, 8)}-${number.slice(8)}`,
      area_code: 415,
      nickname: 'SF support',
      inbound_webhook_url: 'https://hooks.example.com/inbound',
      allowed_inbound_country_list: ['US', 'CA'],
      allowed_outbound_country_list: ['US'],
      sip_outbound_trunk_config: { termination_uri: 'acme.pstn.twilio.com', auth_username: 'acme', transport: 'TLS' },
    });
    expect(imported.inbound_agents?.map((a) => a.agent_version)).toEqual([3, 'latest_published', undefined]);
    expect(imported.outbound_agents).toEqual([{ agent_id: 'agent_a', weight: 1, agent_version: 'prod' }]);
    expect(typeof imported.last_modification_timestamp).toBe('number');
    expect(Math.abs(imported.last_modification_timestamp - Date.now())).toBeLessThan(60_000);
    expect(JSON.stringify(imported)).not.toContain('trunk-secret-1');

    // retell-sdk sends the + literally; hand-written clients send %2B.
    expect((await retell.phoneNumber.retrieve(number)).nickname).toBe('SF support');
    const encoded = await h.request('GET', `/retell/get-phone-number/${encodeURIComponent(number)}`, { key });
    expect(encoded.status).toBe(200);
    expect(encoded.headers['content-type']).toContain('application/json');
    expect(encoded.json().phone_number).toBe(number);

    const fallback = sfNumber();
    const updated = await retell.phoneNumber.update(number, {
      nickname: null,
      auth_username: 'acme2',
      auth_password: 'trunk-secret-2',
      termination_uri: 'acme2.pstn.twilio.com',
      transport: 'UDP',
      inbound_sms_agents: [{ agent_id: 'sms_a', weight: 1 }],
      outbound_sms_agents: [{ agent_id: 'sms_b', weight: 0.5 }, { agent_id: 'sms_c', weight: 0.5, agent_version: 2 }],
      inbound_sms_webhook_url: 'https://hooks.example.com/sms',
      fallback_number: fallback,
      allowed_outbound_country_list: null,
    });
    expect(updated).toMatchObject({
      nickname: null,
      fallback_number: fallback,
      inbound_sms_webhook_url: 'https://hooks.example.com/sms',
      allowed_outbound_country_list: [],
      allowed_inbound_country_list: ['US', 'CA'],
      sip_outbound_trunk_config: { termination_uri: 'acme2.pstn.twilio.com', auth_username: 'acme2', transport: 'UDP' },
    });
    expect(updated.inbound_sms_agents).toEqual([{ agent_id: 'sms_a', weight: 1 }]);
    expect(updated.outbound_sms_agents?.[1]).toEqual({ agent_id: 'sms_c', weight: 0.5, agent_version: 2 });
    expect(updated.inbound_agents).toHaveLength(3);
    expect(updated.last_modification_timestamp).toBeGreaterThanOrEqual(imported.last_modification_timestamp);
    expect(JSON.stringify(updated)).not.toContain('trunk-secret-2');
    const native = await h.request('GET', `/v1/phone-numbers/${number}`, { key });
    expect(native.json().sip.has_password).toBe(true);

    const removed = await h.request('DELETE', `/retell/delete-phone-number/${number}`, { key, headers: { accept: '*/*' } });
    expect(removed.status).toBe(204);
    expect(removed.body).toBe('');
    expect(await rejection(retell.phoneNumber.retrieve(number))).toBeInstanceOf(NotFoundError);
    expect((await retell.phoneNumber.list()).items.map((item) => item.phone_number)).not.toContain(number);
    const again = await retell.phoneNumber.import({ phone_number: number, termination_uri: 'x.pstn.twilio.com' });
    expect(again).toMatchObject({ nickname: null, inbound_agents: [], fallback_number: null });
    expect(await retell.phoneNumber.delete(number)).toBeNull();
  });

  test('list pages with limit/pagination_key/sort_order; pagination_key is absent on the last page', async () => {
    const { retell } = await client();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const number = sfNumber();
      await retell.phoneNumber.import({ phone_number: number, termination_uri: 't.pstn.twilio.com' });
      created.push(number);
    }
    const seen: string[] = [];
    let key: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await retell.phoneNumber.list({ limit: 2, sort_order: 'ascending', ...(key ? { pagination_key: key } : {}) });
      pages += 1;
      seen.push(...page.items.map((item) => item.phone_number));
      if (!page.has_more) {
        expect('pagination_key' in page).toBe(false);
        break;
      }
      key = page.pagination_key;
      expect(typeof key).toBe('string');
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(created);
    const newestFirst = await retell.phoneNumber.list();
    expect(newestFirst.items.map((item) => item.phone_number)).toEqual([...created].reverse());
    expect(newestFirst.has_more).toBe(false);
    const descending = await retell.phoneNumber.list({ limit: 3, sort_order: 'descending' });
    expect(descending.items.map((item) => item.phone_number)).toEqual([...created].reverse().slice(0, 3));
    // What the SDK sends for `sort_order: null`.
    const nulled = await retell.phoneNumber.list({ sort_order: null as never });
    expect(nulled.items).toHaveLength(5);
    const bad = await rejection(retell.phoneNumber.list({ pagination_key: 'not-a-key' }));
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad.message).toContain('pagination_key');
  });

  test('the SDK raises the right error classes with a readable message', async () => {
    const { retell } = await client();
    const number = sfNumber();
    await retell.phoneNumber.import({ phone_number: number, termination_uri: 't.pstn.twilio.com' });

    const duplicate = await rejection(retell.phoneNumber.import({ phone_number: number, termination_uri: 't.pstn.twilio.com' }));
    expect(duplicate).toBeInstanceOf(ConflictError);
    expect(duplicate.headers.get('x-should-retry')).toBe('false');
    expect(duplicate.message).toMatch(/^409 .*already registered/);

    // With the SDK's default retries a duplicate is still answered at once (one attempt).
    const retrying = new Retell({ apiKey: (retell as any).apiKey, baseURL });
    const started = Date.now();
    expect(await rejection(retrying.phoneNumber.import({ phone_number: number, termination_uri: 't' }))).toBeInstanceOf(ConflictError);
    expect(Date.now() - started).toBeLessThan(400);

    const weights = await rejection(
      retell.phoneNumber.update(number, { inbound_agents: [{ agent_id: 'a', weight: 0.5 }, { agent_id: 'b', weight: 0.4 }] }),
    );
    expect(weights).toBeInstanceOf(BadRequestError);
    expect(weights.error.message).toMatch(/^inbound_agents: weights must sum to 1/);

    const transport = await rejection(retell.phoneNumber.update(number, { transport: 'SCTP' }));
    expect(transport).toBeInstanceOf(BadRequestError);
    expect(transport.error.message).toBe('transport: must be one of TLS, TCP, UDP');

    const notBoolean = await rejection(
      retell.phoneNumber.import({ phone_number: sfNumber(), termination_uri: 't', ignore_e164_validation: 'true' as never }),
    );
    expect(notBoolean).toBeInstanceOf(BadRequestError);
    expect(notBoolean.error.message).toContain('ignore_e164_validation');

    const unknown = await rejection(retell.phoneNumber.retrieve('+14155559999'));
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(typeof unknown.error.message).toBe('string');
    expect(await rejection(retell.phoneNumber.update('+14155559999', { nickname: 'x' }))).toBeInstanceOf(NotFoundError);
    expect(await rejection(retell.phoneNumber.delete('+14155559999'))).toBeInstanceOf(NotFoundError);

    const noKey = new Retell({ apiKey: 'sk_not_a_key', baseURL, maxRetries: 0 });
    const auth = await rejection(noKey.phoneNumber.list());
    expect(auth).toBeInstanceOf(AuthenticationError);
    expect(typeof auth.error.message).toBe('string');

    const noBuy = await rejection(retell.phoneNumber.create({ area_code: 299 }));
    expect(noBuy).toBeInstanceOf(UnprocessableEntityError);
    expect(noBuy.error.message).toContain('area code 299');
  });

  test('an empty number is 404, never the list; unknown routes answer JSON with a message', async () => {
    const { retell, key } = await client();
    await retell.phoneNumber.import({ phone_number: sfNumber(), termination_uri: 't' });
    const empty = await rejection(retell.phoneNumber.retrieve(''));
    expect(empty).toBeInstanceOf(NotFoundError);
    expect(empty.error.message).toContain('no phone number in the path');
    const route = await h.request('GET', '/retell/no-such-endpoint', { key });
    expect(route.status).toBe(404);
    expect(route.headers['content-type']).toContain('application/json');
    expect(typeof route.json().message).toBe('string');
    const anonymous = await h.request('GET', '/retell/v2/list-phone-numbers');
    expect(anonymous.status).toBe(401);
    expect(typeof anonymous.json().message).toBe('string');
    const readOnly = await (await h.workspace()).key(['numbers:read']);
    const forbidden = await h.request('POST', '/retell/import-phone-number', { key: readOnly, json: { phone_number: sfNumber(), termination_uri: 't' } });
    expect(forbidden.status).toBe(403);
    expect(typeof forbidden.json().message).toBe('string');
    const badJson = await h.request('POST', '/retell/import-phone-number', { key, json: '{"phone', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(400);
    expect(typeof badJson.json().message).toBe('string');
  });

  test('ignore_e164_validation defaults to true; false requires a number some country assigns', async () => {
    const { retell } = await client();
    const pseudo = await retell.phoneNumber.import({ phone_number: '+19990001234', termination_uri: 'pbx.internal' });
    expect(pseudo.phone_number).toBe('+19990001234');
    const strict = await rejection(
      retell.phoneNumber.import({ phone_number: '+19990001235', termination_uri: 'pbx.internal', ignore_e164_validation: false }),
    );
    expect(strict).toBeInstanceOf(BadRequestError);
    expect(strict.error.message).toMatch(/^phone_number: /);
    // An internal id is a pseudo number now (issue 12); what is neither that nor E.164 is still refused.
    const internal = await retell.phoneNumber.import({ phone_number: 'extension-12', termination_uri: 'pbx.internal' });
    expect(internal.phone_number).toBe('extension-12');
    const shape = await rejection(retell.phoneNumber.import({ phone_number: 'extension 12', termination_uri: 'pbx.internal' }));
    expect(shape).toBeInstanceOf(BadRequestError);
    expect(shape.error.message).toMatch(/^phone_number: must be an E\.164/);
  });

  test('service field names are reported with Retell names (import vs update credentials)', async () => {
    const { key } = await client();
    const number = sfNumber();
    const longUser = 'u'.repeat(300);
    const imported = await h.request('POST', '/retell/import-phone-number', {
      key,
      json: { phone_number: number, termination_uri: 't', sip_trunk_auth_username: longUser },
    });
    expect(imported.status).toBe(400);
    expect(imported.json().message).toContain('sip_trunk_auth_username');
    const control = await h.request('POST', '/retell/import-phone-number', {
      key,
      json: { phone_number: number, termination_uri: 'bad\u0001uri' },
    });
    expect(control.status).toBe(400);
    expect(control.json().errors).toContainEqual({ field: 'termination_uri', message: 'must not contain control characters' });
    expect(control.json().errors.every((issue: { field: string }) => issue.field === 'termination_uri')).toBe(true);
    expect(control.headers['x-should-retry']).toBe('false');
    const nested = await h.request('POST', '/retell/import-phone-number', {
      key,
      json: { phone_number: number, termination_uri: 't', inbound_agents: [{ agent_id: 'a', weight: 1, agent_version: 1.5 }] },
    });
    expect(nested.json()).toEqual({
      status: 'error',
      message: 'inbound_agents[0].agent_version: must be integer or string',
      errors: [{ field: 'inbound_agents[0].agent_version', message: 'must be integer or string' }],
    });
  });
});

describe('Retell buy (create-phone-number) from the inventory', () => {
  test('buys by area code, toll-free, specific number and default; delete returns the number to stock', async () => {
    const { retell } = await client();
    await h.runtime.services.stock.add([
      { e164: '+12065550101', provider: 'twilio' },
      { e164: '+12065550102', provider: 'telnyx' },
      { e164: '+18335550101', provider: 'twilio' },
      { e164: '+16045550101' },
    ]);
    const bought = await retell.phoneNumber.create({
      area_code: 206,
      number_provider: 'telnyx',
      nickname: 'Seattle',
      inbound_agents: [{ agent_id: 'agent_a', weight: 1 }],
      transport: 'TLS',
    });
    expect(bought).toMatchObject({
      phone_number: '+12065550102',
      phone_number_type: 'retell-telnyx',
      area_code: 206,
      nickname: 'Seattle',
      sip_outbound_trunk_config: { transport: 'TLS' },
    });
    const tollFree = await retell.phoneNumber.create({ toll_free: true });
    expect(tollFree).toMatchObject({ phone_number: '+18335550101', phone_number_type: 'retell-twilio' });
    const canada = await retell.phoneNumber.create({ country_code: 'CA' });
    // Stock of no recorded carrier, no number_provider asked: Retell's default provider (issue 12).
    expect(canada).toMatchObject({ phone_number: '+16045550101', phone_number_type: 'retell-twilio', area_code: 604 });

    const none = await rejection(retell.phoneNumber.create({ area_code: 206, number_provider: 'telnyx' }));
    expect(none).toBeInstanceOf(UnprocessableEntityError);
    expect(none.headers.get('x-should-retry')).toBe('false');

    await retell.phoneNumber.delete('+12065550102');
    const rebought = await retell.phoneNumber.create({ phone_number: '+12065550102' });
    expect(rebought.phone_number).toBe('+12065550102');
    expect(rebought.nickname).toBeNull();

    const invalid = await rejection(retell.phoneNumber.create({ phone_number: '12' }));
    expect(invalid).toBeInstanceOf(BadRequestError);
    expect(invalid.error.message).toMatch(/^phone_number: /);
    const badWeights = await rejection(retell.phoneNumber.create({ area_code: 206, inbound_agents: [{ agent_id: 'a', weight: 0.3 }] }));
    expect(badWeights).toBeInstanceOf(BadRequestError);
    // The rejected buy left the number in stock.
    expect((await retell.phoneNumber.create({ area_code: 206 })).phone_number).toBe('+12065550101');
  });

  test('create() with no argument sends no body and buys a US number that is not toll-free', async () => {
    const { retell } = await client();
    await h.runtime.services.stock.add([{ e164: '+18445550177' }, { e164: '+442079460177' }, { e164: '+13125550177' }]);
    const bought = await (retell.phoneNumber.create as unknown as () => Promise<{ phone_number: string }>)();
    expect(bought.phone_number).toBe('+13125550177');
    const none = await rejection((retell.phoneNumber.create as unknown as () => Promise<unknown>)());
    expect(none).toBeInstanceOf(UnprocessableEntityError);
    expect(none.error.message).toBe('no number available in the inventory matching country US, not toll-free');
    const uk = await retell.phoneNumber.create({ country_code: 'GB' as never });
    expect(uk).toMatchObject({ phone_number: '+442079460177', phone_number_type: 'retell-twilio' });
    expect('area_code' in uk).toBe(false);
  });
});

describe('Retell and the native API see one record', () => {
  test('imported through Retell, edited through /v1, and the other way round', async () => {
    const { retell, key } = await client();
    const number = sfNumber();
    await retell.phoneNumber.import({ phone_number: number, termination_uri: 't.pstn.twilio.com', nickname: 'from retell' });
    const native = await h.request('GET', `/v1/phone-numbers/${number}`, { key });
    expect(native.json()).toMatchObject({ nickname: 'from retell', source: 'custom', sip: { termination_uri: 't.pstn.twilio.com' } });
    await h.request('PATCH', `/v1/phone-numbers/${native.json().id}`, { key, json: { nickname: 'edited natively' } });
    expect((await retell.phoneNumber.retrieve(number)).nickname).toBe('edited natively');

    const other = sfNumber();
    const created = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: other, nickname: 'native' } });
    expect(created.status).toBe(201);
    const viaRetell = await retell.phoneNumber.update(other, { outbound_agents: [{ agent_id: 'x', weight: 1 }] });
    expect(viaRetell).toMatchObject({ nickname: 'native', phone_number_type: 'custom' });
    expect((await h.request('GET', `/v1/phone-numbers/${created.json().id}`, { key })).json().outbound_agents).toEqual([{ agent_id: 'x', weight: 1 }]);
  });

  test('another workspace\'s number is 404 for get, update and delete, and absent from its list', async () => {
    const a = await client();
    const b = await client();
    const number = sfNumber();
    await a.retell.phoneNumber.import({ phone_number: number, termination_uri: 't' });
    expect(await rejection(b.retell.phoneNumber.retrieve(number))).toBeInstanceOf(NotFoundError);
    expect(await rejection(b.retell.phoneNumber.update(number, { nickname: 'mine' }))).toBeInstanceOf(NotFoundError);
    expect(await rejection(b.retell.phoneNumber.delete(number))).toBeInstanceOf(NotFoundError);
    expect((await b.retell.phoneNumber.list()).items).toEqual([]);
    const clash = await rejection(b.retell.phoneNumber.import({ phone_number: number, termination_uri: 't' }));
    expect(clash).toBeInstanceOf(ConflictError);
    expect((await a.retell.phoneNumber.retrieve(number)).nickname).toBeNull();
  });
});
