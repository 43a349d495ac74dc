import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSwitchboardClient, type paths, type SwitchboardClient } from '../../clients/typescript/index.ts';
import { CLIENT_TYPES, renderClientTypes } from '../../scripts/openapi-client.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';

type ListQuery = NonNullable<paths['/v1/phone-numbers']['get']['parameters']['query']>;

let h: Harness;
let client: SwitchboardClient;
beforeAll(async () => {
  h = await createHarness();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.app.server.address() as AddressInfo;
  client = createSwitchboardClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: await (await h.workspace()).key() });
});
afterAll(async () => h.close());

describe('clients/typescript', () => {
  test('schema.ts matches the OpenAPI document (run `npm run client:generate` after changing a route schema)', async () => {
    expect(await renderClientTypes(), 'clients/typescript/schema.ts is stale: run npm run client:generate').toBe(fs.readFileSync(CLIENT_TYPES, 'utf8'));
  });

  test('imports, gets, lists, updates with If-Match and asks for a routing decision against a running server', async () => {
    const imported = await client.POST('/v1/phone-numbers', {
      body: { phone_number: '+14155550163', nickname: 'sales line', inbound_agents: [{ agent_id: 'agent_sales', weight: 1, agent_version: 3 }] },
    });
    expect(imported.response.status).toBe(201);
    const id = imported.data!.id;
    expect(imported.data).toMatchObject({ phone_number: '+14155550163', phone_number_pretty: '+1 (415) 555-0163', nickname: 'sales line' });

    const read = await client.GET('/v1/phone-numbers/{id}', { params: { path: { id } } });
    expect(read.data?.phone_number).toBe('+14155550163');
    const etag = read.response.headers.get('etag')!;

    // No `limit`: the server's default applies. (The cast keeps this compiling while the OpenAPI
    // document still marks the defaulted `limit` required.)
    const listed = await client.GET('/v1/phone-numbers', { params: { query: {} as ListQuery } });
    expect(listed.response.status).toBe(200);
    expect(listed.data?.data.map((number) => number.id)).toEqual([id]);
    expect(listed.data?.has_more).toBe(false);

    const updated = await client.PATCH('/v1/phone-numbers/{id}', { params: { path: { id }, header: { 'if-match': etag } }, body: { nickname: 'sales, west' } });
    expect(updated.data?.nickname).toBe('sales, west');
    const stale = await client.PATCH('/v1/phone-numbers/{id}', { params: { path: { id }, header: { 'if-match': etag } }, body: { nickname: 'lost update' } });
    expect(stale.response.status).toBe(412);
    expect(stale.error).toMatchObject({ status: 412 });

    const decision = await client.POST('/v1/routing/inbound', { body: { to: '+14155550163', from: '+12125550100' } });
    expect(decision.data).toMatchObject({ action: 'connect', agent_id: 'agent_sales', agent_version: 3, decided_by: 'binding', phone_number_id: id });
  });

  test('a request without a valid key gets the 401 problem, typed as the error', async () => {
    const anonymous = createSwitchboardClient({ baseUrl: `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`, apiKey: () => null });
    const { data, error, response } = await anonymous.GET('/v1/workspace');
    expect(response.status).toBe(401);
    expect(data).toBeUndefined();
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });
});
