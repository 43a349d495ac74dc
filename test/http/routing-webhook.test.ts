import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Retell from 'retell-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { routingWorkspace } from '../helpers/routing-fixtures.ts';

interface Received {
  path: string;
  body: string;
  signature: string | undefined;
}

/** A local webhook receiver; each test sets what it answers per path. */
let receiver: http.Server;
let baseUrl: string;
let received: Received[] = [];
let answers: Record<string, (response: http.ServerResponse) => void> = {};

let h: Harness;
let strict: Harness;

beforeAll(async () => {
  receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, body: Buffer.concat(chunks).toString('utf8'), signature: request.headers['x-retell-signature'] as string | undefined });
      const answer = answers[path];
      if (answer) answer(response);
      else response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  h = await createHarness({ env: { ROUTING_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true', ROUTING_WEBHOOK_TIMEOUT_MS: '300' } });
  strict = await createHarness();
});

afterAll(async () => {
  await h.close();
  await strict.close();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

beforeEach(() => {
  received = [];
  answers = {};
});

function json(body: unknown) {
  return (response: http.ServerResponse) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function inbound(harness: Harness, key: string, body: Record<string, unknown>, path = '/v1/routing/inbound') {
  const response = await harness.request('POST', path, { key, json: body });
  expect(response.status).toBe(200);
  return response.json();
}

const CALLER = '+12125551234';

describe('inbound webhook', () => {
  test('is signed in Retell\'s format (Retell.verify accepts it) and may override the agent and add dynamic variables', async () => {
    const ws = await routingWorkspace(h);
    const secret = (await h.request('POST', '/v1/workspace/signing-secret/rotate', { key: ws.admin })).json().signing_secret as string;
    const number = await ws.importNumber({ inbound_agents: [{ agent_id: 'bound', weight: 1, agent_version: 2 }], inbound_webhook_url: `${baseUrl}/override` });
    answers['/override'] = json({ call_inbound: { override_agent_id: 'vip_agent', override_agent_version: 9, dynamic_variables: { customer_name: 'Ada' } } });

    const decision = await inbound(h, ws.admin, { to: number.phone_number, from: CALLER, call_id: 'call_abc' });
    expect(decision).toEqual({
      action: 'connect',
      agent_id: 'vip_agent',
      agent_version: 9,
      phone_number_id: number.id,
      dynamic_variables: { customer_name: 'Ada' },
      decided_by: 'webhook',
    });
    expect(received).toHaveLength(1);
    const [call] = received;
    expect(JSON.parse(call!.body)).toEqual({
      event: 'call_inbound',
      call_inbound: { call_id: 'call_abc', from_number: CALLER, to_number: number.phone_number, agent_id: 'bound', agent_version: 2 },
    });
    expect(call!.signature).toMatch(/^v=\d+,d=[0-9a-f]{64}$/);
    expect(await Retell.verify(call!.body, secret, call!.signature!)).toBe(true);
    expect(await Retell.verify(call!.body, 'whsec_wrong', call!.signature!)).toBe(false);
    expect(await Retell.verify(`${call!.body} `, secret, call!.signature!)).toBe(false);
  });

  test('a webhook may only add variables and keep the bound agent, or override the version alone', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({ inbound_agents: [{ agent_id: 'bound', weight: 1 }], inbound_webhook_url: `${baseUrl}/vars` });
    answers['/vars'] = json({ dynamic_variables: { tier: 'gold' }, override_agent_version: 'v3' });
    expect(await inbound(h, ws.admin, { to: number.phone_number, from: CALLER })).toMatchObject({
      action: 'connect',
      agent_id: 'bound',
      agent_version: 'v3',
      dynamic_variables: { tier: 'gold' },
      decided_by: 'webhook',
    });
  });

  test('a webhook can reject the call', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({ inbound_agents: [{ agent_id: 'bound', weight: 1 }], inbound_webhook_url: `${baseUrl}/reject` });
    answers['/reject'] = json({ call_inbound: { reject: true } });
    expect(await inbound(h, ws.admin, { to: number.phone_number, from: CALLER })).toEqual({
      action: 'reject',
      reason: 'rejected_by_webhook',
      phone_number_id: number.id,
      decided_by: 'webhook',
    });
  });

  test('a webhook can supply the agent of a number with none bound', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({ inbound_webhook_url: `${baseUrl}/supply` });
    answers['/supply'] = json({ call_inbound: { override_agent_id: 'from_hook' } });
    expect(await inbound(h, ws.admin, { to: number.phone_number, from: CALLER })).toMatchObject({ action: 'connect', agent_id: 'from_hook' });
    answers['/supply'] = json({});
    expect(await inbound(h, ws.admin, { to: number.phone_number, from: CALLER })).toMatchObject({ action: 'reject', reason: 'no_agent', decided_by: 'webhook' });
  });

  test.each([
    ['timeout', (response: http.ServerResponse) => setTimeout(() => response.writeHead(200).end('{}'), 1000)],
    ['invalid_response', (response: http.ServerResponse) => response.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json')],
    ['invalid_response', json({ call_inbound: { dynamic_variables: { count: 3 } } })],
    ['invalid_response', json(['override_agent_id'])],
    ['http_status', (response: http.ServerResponse) => response.writeHead(500).end('{"override_agent_id":"nope"}')],
  ] as const)('a failing webhook (%s) does not fail the call: the binding decides and says so', async (error, answer) => {
    const ws = await routingWorkspace(h);
    const path = `/fail-${Math.random().toString(36).slice(2)}`;
    answers[path] = answer;
    const number = await ws.importNumber({ inbound_agents: [{ agent_id: 'bound', weight: 1 }], inbound_webhook_url: `${baseUrl}${path}` });
    const started = Date.now();
    const decision = await inbound(h, ws.admin, { to: number.phone_number, from: CALLER });
    expect(decision).toEqual({
      action: 'connect',
      agent_id: 'bound',
      phone_number_id: number.id,
      dynamic_variables: {},
      decided_by: 'binding_after_webhook_failure',
      webhook_error: error,
    });
    if (error === 'timeout') expect(Date.now() - started).toBeLessThan(900);
  });

  test('an unreachable webhook falls back too', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({ inbound_agents: [{ agent_id: 'bound', weight: 1 }], inbound_webhook_url: 'http://127.0.0.1:1/closed' });
    expect(await inbound(h, ws.admin, { to: number.phone_number, from: CALLER })).toMatchObject({ action: 'connect', agent_id: 'bound', webhook_error: 'network' });
  });

  test('inbound-sms calls inbound_sms_webhook_url with a chat_inbound event', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({
      capabilities: { voice: true, sms: true },
      inbound_sms_agents: [{ agent_id: 'sms_bound', weight: 1 }],
      inbound_webhook_url: `${baseUrl}/voice-hook`,
      inbound_sms_webhook_url: `${baseUrl}/sms-hook`,
    });
    answers['/sms-hook'] = json({ chat_inbound: { override_agent_id: 'sms_vip', dynamic_variables: { lang: 'fr' } } });
    expect(await inbound(h, ws.admin, { to: number.phone_number, from: CALLER, call_id: 'chat_1' }, '/v1/routing/inbound-sms')).toMatchObject({
      action: 'connect',
      agent_id: 'sms_vip',
      dynamic_variables: { lang: 'fr' },
      decided_by: 'webhook',
    });
    expect(received.map((r) => r.path)).toEqual(['/sms-hook']);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ event: 'chat_inbound', chat_inbound: { chat_id: 'chat_1', agent_id: 'sms_bound' } });
  });

  test('the webhook is not called when the call is rejected or forwarded before it', async () => {
    const ws = await routingWorkspace(h);
    const number = await ws.importNumber({
      allowed_inbound_country_list: ['US'],
      inbound_agents: [{ agent_id: 'bound', weight: 1 }],
      inbound_webhook_url: `${baseUrl}/never`,
    });
    expect(await inbound(h, ws.admin, { to: number.phone_number, from: '+442071234567' })).toMatchObject({ reason: 'country_not_allowed' });
    expect(received).toHaveLength(0);
  });
});

describe('SSRF protection', () => {
  test('a loopback webhook target is refused when private targets are not allowed; the binding decides', async () => {
    const ws = await routingWorkspace(strict);
    const path = '/must-not-be-called';
    answers[path] = json({ call_inbound: { override_agent_id: 'attacker' } });
    const number = await (async () => {
      const response = await strict.request('POST', '/v1/phone-numbers', {
        key: ws.admin,
        json: { phone_number: '+14157779999', inbound_agents: [{ agent_id: 'bound', weight: 1 }], inbound_webhook_url: `${baseUrl}${path}` },
      });
      return response.json();
    })();
    expect(await inbound(strict, ws.admin, { to: number.phone_number, from: CALLER })).toMatchObject({
      action: 'connect',
      agent_id: 'bound',
      decided_by: 'binding_after_webhook_failure',
      webhook_error: 'target_refused',
    });
    // By name too: localhost resolves to loopback and is refused at connect time.
    await strict.request('PATCH', `/v1/phone-numbers/${number.id}`, { key: ws.admin, json: { inbound_webhook_url: `${baseUrl.replace('127.0.0.1', 'localhost')}${path}` } });
    expect(await inbound(strict, ws.admin, { to: number.phone_number, from: CALLER })).toMatchObject({ webhook_error: 'target_refused' });
    expect(received).toHaveLength(0);
  });
});
