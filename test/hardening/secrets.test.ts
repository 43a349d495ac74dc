/**
 * Secrets (trunk and carrier passwords, API keys) never appear in a response, an audit record,
 * a log line or an error message; at rest passwords are sealed (AES-GCM) and keys hashed.
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { sha256Hex } from '../../src/domain/secrets.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { snapshotAll, freshNumber } from './support.ts';

let h: Harness;
let app: FastifyInstance;
const logLines: string[] = [];

beforeAll(async () => {
  h = await createHarness({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
  // The production logger (config level, redaction) at its most talkative, writing to a buffer.
  app = await buildApp({
    config: { ...h.config, LOG_LEVEL: 'trace' },
    services: h.runtime.services,
    logStream: { write: (line: string) => void logLines.push(line) },
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await h.close();
});

const secret = (label: string) => `${label}-${crypto.randomBytes(6).toString('hex')}-S3cr3t`;

interface Exchange {
  label: string;
  status: number;
  text: string;
}

async function call(exchanges: Exchange[], label: string, method: string, url: string, key: string | undefined, payload?: unknown, raw?: string) {
  const response = await app.inject({
    method: method as 'POST',
    url,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(payload !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(raw !== undefined ? { payload: raw } : payload !== undefined ? { payload: payload as object } : {}),
  });
  exchanges.push({ label, status: response.statusCode, text: `${JSON.stringify(response.headers)}\n${response.body}` });
  return response;
}

describe('write-only secrets', () => {
  test('trunk passwords and API keys appear in no response, audit record, log line or error', async () => {
    const workspace = await h.workspace();
    const key = await workspace.key();
    const passwords = [secret('create'), secret('patch'), secret('bulk'), secret('rejected'), secret('badjson'), secret('toolong')];
    const [createPw, patchPw, bulkPw, rejectedPw, badJsonPw] = passwords as [string, string, string, string, string];
    const exchanges: Exchange[] = [];
    const number = freshNumber();

    const created = await call(exchanges, 'import', 'POST', '/v1/phone-numbers', key, {
      phone_number: number,
      sip: { termination_uri: 'trunk.example.com', auth_username: 'acme', auth_password: createPw },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    expect(created.json().sip.has_password).toBe(true);
    expect((await call(exchanges, 'patch', 'PATCH', `/v1/phone-numbers/${id}`, key, { sip: { auth_password: patchPw } })).statusCode).toBe(200);
    const bulkNumber = freshNumber();
    expect((await call(exchanges, 'bulk', 'POST', '/v1/phone-numbers/bulk', key, { items: [{ phone_number: bulkNumber, sip: { auth_password: bulkPw } }, { phone_number: 'nope', sip: { auth_password: bulkPw } }] })).statusCode).toBe(200);
    // Rejected requests carrying a password: the error names the field, never the value.
    expect((await call(exchanges, 'rejected', 'POST', '/v1/phone-numbers', key, { phone_number: 'not-a-number', sip: { auth_password: rejectedPw, transport: 'SCTP' } })).statusCode).toBe(400);
    expect((await call(exchanges, 'bad json', 'POST', '/v1/phone-numbers', key, undefined, `{"phone_number":"${freshNumber()}","sip":{"auth_password":"${badJsonPw}"`)).statusCode).toBe(400);
    expect((await call(exchanges, 'too long', 'PATCH', `/v1/phone-numbers/${id}`, key, { sip: { auth_password: `${passwords[5]}${'x'.repeat(300)}` } })).statusCode).toBe(400);
    expect((await call(exchanges, 'conflict', 'POST', '/v1/phone-numbers', key, { phone_number: number, sip: { auth_password: rejectedPw } })).statusCode).toBe(409);
    // The dialects' own password fields, and carrier credentials.
    const dialectPasswords = [secret('retell'), secret('retell-patch'), secret('synthflow'), secret('carrier-reg'), secret('carrier-auth'), secret('topcalls-reg')];
    passwords.push(...dialectPasswords);
    const [retellPw, retellPatchPw, synthflowPw, carrierRegPw, carrierAuthPw, topcallsRegPw] = dialectPasswords as [string, string, string, string, string, string];
    const retellNumber = freshNumber();
    expect((await call(exchanges, 'retell import', 'POST', '/retell/import-phone-number', key, { phone_number: retellNumber, termination_uri: 'sip.example.com', sip_trunk_auth_username: 'u', sip_trunk_auth_password: retellPw })).statusCode).toBe(201);
    expect((await call(exchanges, 'retell update', 'PATCH', `/retell/update-phone-number/${retellNumber}`, key, { auth_password: retellPatchPw })).statusCode).toBe(200);
    await call(exchanges, 'retell get', 'GET', `/retell/get-phone-number/${retellNumber}`, key);
    await call(exchanges, 'retell list', 'GET', '/retell/v2/list-phone-numbers', key);
    const synthflowNumber = freshNumber();
    expect((await call(exchanges, 'synthflow create', 'POST', '/synthflow/v2/custom-numbers', key, { workspace_id: workspace.id, phone_number: synthflowNumber, termination_uri: 'sip.example.com', trunk_username: 'u', trunk_pwd: synthflowPw })).statusCode).toBe(200);
    await call(exchanges, 'synthflow get', 'GET', `/synthflow/v2/numbers/${synthflowNumber.slice(1)}?workspace=${workspace.id}`, key);
    const carrier = await call(exchanges, 'carrier create', 'POST', '/v1/carriers', key, { name: 'c', trunk_type: 'reg', gateways: [{ address: '203.0.113.10' }], registration: { username: 'r', password: carrierRegPw, realm: 'sip.example.com' } });
    expect(carrier.statusCode).toBe(201);
    expect((await call(exchanges, 'carrier patch', 'PATCH', `/v1/carriers/${carrier.json().id}`, key, { inbound_auth: { username: 'in', password: carrierAuthPw } })).statusCode).toBeLessThan(500);
    await call(exchanges, 'carrier get', 'GET', `/v1/carriers/${carrier.json().id}`, key);
    expect((await call(exchanges, 'topcalls carrier', 'POST', '/topcalls/v1/phone-numbers/carriers', key, { carrier_name: 't', sip_gateway: { ipv4: '203.0.113.11' }, trunk_type: 'reg', registration: { username: 'r', password: topcallsRegPw, realm: 'sip.example.com' } })).statusCode).toBe(201);
    await call(exchanges, 'topcalls carriers', 'GET', '/topcalls/v1/phone-numbers/carriers', key);
    const carrierRow = await h.runtime.database.db.selectFrom('carriers').selectAll().where('id', '=', carrier.json().id).executeTakeFirstOrThrow();
    expect(carrierRow.register_password).toMatch(/^v1:/);
    expect(h.runtime.deps.secrets.open(carrierRow.register_password!)).toBe(carrierRegPw);

    // Reads of every kind.
    await call(exchanges, 'get', 'GET', `/v1/phone-numbers/${id}`, key);
    await call(exchanges, 'list', 'GET', '/v1/phone-numbers', key);
    const events = await call(exchanges, 'events', 'GET', `/v1/phone-numbers/${id}/events`, key);
    expect(events.json().data.map((e: { action: string }) => e.action)).toEqual(['create', 'update']);
    expect(events.json().data[1].changed_fields).toContain('sip.auth_password');
    // An API key created over the API is shown exactly once, in its creation response.
    const newKey = await call(exchanges, 'create key', 'POST', '/v1/api-keys', key, { scopes: ['numbers:read'], name: 'ci' });
    const minted = newKey.json().key as string;
    await call(exchanges, 'list keys', 'GET', '/v1/api-keys', key);
    await call(exchanges, 'use minted key', 'GET', '/v1/phone-numbers', minted);
    await call(exchanges, 'revoke key', 'DELETE', `/v1/api-keys/${newKey.json().id}`, key);
    await call(exchanges, 'revoked key', 'GET', '/v1/phone-numbers', minted);

    const keys = [key, minted];
    for (const exchange of exchanges) {
      for (const value of [...passwords, ...keys]) {
        if (exchange.label === 'create key' && value === minted) continue;
        expect(exchange.text.includes(value), `${exchange.label} (${exchange.status}) reveals a secret`).toBe(false);
      }
    }
    const logs = logLines.join('');
    // Every exchange left its access-log line, so the absence of secrets below means something.
    expect(logLines.length).toBeGreaterThanOrEqual(exchanges.length);
    for (const value of [...passwords, ...keys]) expect(logs.includes(value), 'a log line reveals a secret').toBe(false);

    // Audit records and every other row: no plaintext anywhere in the store.
    const store = JSON.stringify(await snapshotAll(h));
    for (const value of [...passwords, ...keys]) expect(store.includes(value), 'the store holds a secret in clear').toBe(false);
  });

  test('at rest: trunk passwords are sealed with AES-GCM, API keys are stored as SHA-256 hashes', async () => {
    const workspace = await h.workspace();
    const key = await workspace.key();
    const password = secret('at-rest');
    const created = (await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: freshNumber(), sip: { auth_password: password } } })).json();
    const row = await h.runtime.database.db.selectFrom('phone_numbers').select('sip_auth_password').where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.sip_auth_password).toMatch(/^v1:[^:]+:[^:]+:[^:]+$/);
    expect(row.sip_auth_password).not.toContain(password);
    expect(h.runtime.deps.secrets.open(row.sip_auth_password!)).toBe(password);
    // Two seals of one password differ (random IV), so equal passwords are not visible as equal.
    expect(h.runtime.deps.secrets.seal(password)).not.toBe(h.runtime.deps.secrets.seal(password));
    // Tampering is detected, not decrypted to garbage.
    const [v, iv, tag, body] = row.sip_auth_password!.split(':');
    const flipped = Buffer.from(body!, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => h.runtime.deps.secrets.open([v, iv, tag, flipped.toString('base64')].join(':'))).toThrow();

    const keyRow = await h.runtime.database.db.selectFrom('api_keys').selectAll().where('key_hash', '=', sha256Hex(key)).executeTakeFirstOrThrow();
    expect(JSON.stringify(keyRow)).not.toContain(key);
    expect(keyRow.key_prefix.length).toBeLessThan(12);
  });
});
