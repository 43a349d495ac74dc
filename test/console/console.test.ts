import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SCOPES } from '../../src/services/context.ts';
import { startConsole, signIn, type ConsoleRig } from './support.ts';

let rig: ConsoleRig;
let admin: { id: string; key: string };
let reader: string;
let workspaceId: string;
const numbers: Array<{ id: string; phone_number: string }> = [];

/** The API as the admin key sees it (in process, not through the browser). */
async function apiAs(key: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, json?: unknown) {
  return rig.harness.request(method, url, { key, ...(json !== undefined ? { json } : {}) });
}

const e164 = (n: number) => `+1415555${String(1000 + n).padStart(4, '0')}`;

beforeAll(async () => {
  rig = await startConsole();
  const workspace = await rig.harness.workspace();
  workspaceId = workspace.id;
  const created = await rig.harness.runtime.services.workspaces.createKey(workspace.id, [...SCOPES], 'ops admin');
  admin = { id: created.id, key: created.key };
  reader = (await rig.harness.runtime.services.workspaces.createKey(workspace.id, ['numbers:read'], 'support desk')).key;
  // 60 numbers: two pages of 50; three inactive; number 1 has a fallback (for the outage check).
  const items = Array.from({ length: 60 }, (_, i) => ({
    phone_number: e164(i + 1),
    nickname: `line ${String(i + 1).padStart(3, '0')}`,
    ...(i < 3 ? { status: 'inactive' as const } : {}),
    ...(i === 0 ? { fallback_number: '+12125550100', status: 'active' as const, inbound_agents: [{ agent_id: 'agent_sales', weight: 1, agent_version: 3 }] } : {}),
  }));
  const bulk = await apiAs(admin.key, 'POST', '/v1/phone-numbers/bulk', { items });
  expect(bulk.json().created).toBe(60);
  for (const item of bulk.json().data) numbers.push(item.phone_number);
});
afterAll(async () => rig?.close());

describe('web console in Chromium', () => {
  test('serves the app with a strict CSP, long-cache hashed assets and deep links', async () => {
    const deep = await rig.harness.request('GET', '/console/numbers/some-id/history');
    expect(deep.status).toBe(200);
    expect(deep.headers['content-type']).toMatch(/text\/html/);
    expect(deep.headers['content-security-policy']).toContain("script-src 'self'");
    expect(deep.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(deep.headers['cache-control']).toBe('no-cache');
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(deep.body)![1]!;
    const script = await rig.harness.request('GET', asset);
    expect(script.status).toBe(200);
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await rig.harness.request('GET', '/console/assets/missing-0000.js')).status).toBe(404);
  });

  test('sign in: a wrong key gets a clear message; a good key opens the numbers and is kept only in sessionStorage', async () => {
    const { page, origin } = rig;
    await page.goto(`${origin}/console/`);
    await page.getByLabel('API key').fill('sk_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('This key was not accepted');
    await page.getByLabel('API key').fill(admin.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Numbers' }).waitFor();
    expect(page.url()).not.toContain(admin.key);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([admin.key]);
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
  });

  test('lists numbers 50 to a page, pages with the cursor (next and previous), filters and searches through the URL', async () => {
    const { page, origin } = rig;
    await page.goto(`${origin}/console/numbers`);
    const rows = page.locator('table.table tbody tr:not(.row-placeholder)');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().textContent()).toContain('+1 (415) 555-1001');
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => rows.count()).toBe(10);
    expect(page.url()).toContain('cursor=');
    expect(await rows.first().textContent()).toContain('line 051');
    await page.getByRole('button', { name: '← Previous' }).click();
    await expect.poll(() => rows.count()).toBe(50);
    expect(await page.getByRole('button', { name: '← Previous' }).isDisabled()).toBe(true);

    await page.getByLabel('Status').selectOption('inactive');
    await expect.poll(() => rows.count()).toBe(2);
    expect(page.url()).toContain('status=inactive');
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Search').fill('line 007');
    await page.getByLabel('Search').press('Enter');
    await expect.poll(() => rows.count()).toBe(1);
    expect(page.url()).toContain('q=line+007');
    // The URL is the view: loading it again shows the same filtered page.
    await page.reload();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('line 007');
    await page.getByLabel('Search').fill('no such thing');
    await page.getByLabel('Search').press('Enter');
    await page.getByText('No number matches these filters.').waitFor();
  });

  test('edits a nickname and an agent split; a split that does not sum to 1 is refused before sending', async () => {
    const { page, origin } = rig;
    const target = numbers[9]!;
    await page.goto(`${origin}/console/numbers/${target.id}`);
    await page.getByLabel('Nickname').fill('west coast sales');
    const inbound = page.locator('#f-inbound_agents');
    await inbound.getByRole('button', { name: '+ Add agent' }).click();
    await inbound.getByRole('button', { name: '+ Add agent' }).click();
    await inbound.getByLabel('Inbound voice agents: agent 1 id').fill('agent_a');
    await inbound.getByLabel('Inbound voice agents: agent 1 weight').fill('0.7');
    await inbound.getByLabel('Inbound voice agents: agent 2 id').fill('agent_b');
    await inbound.getByLabel('Inbound voice agents: agent 2 weight').fill('0.2');
    await inbound.getByText('weights must sum to 1; they sum to 0.9').waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/Not saved: Inbound voice agents: weights must sum to 1/).waitFor();
    expect((await apiAs(admin.key, 'GET', `/v1/phone-numbers/${target.id}`)).json().nickname).toBe('line 010');

    await inbound.getByLabel('Inbound voice agents: agent 2 weight').fill('0.3');
    expect(await inbound.locator('.share').allTextContents()).toEqual(['70.0 %', '30.0 %']);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    const stored = (await apiAs(admin.key, 'GET', `/v1/phone-numbers/${target.id}`)).json();
    expect(stored.nickname).toBe('west coast sales');
    expect(stored.inbound_agents).toEqual([
      { agent_id: 'agent_a', weight: 0.7 },
      { agent_id: 'agent_b', weight: 0.3 },
    ]);
  });

  test('a save after someone else changed the number shows "changed by someone else" and keeps their change', async () => {
    const { page, origin } = rig;
    const target = numbers[10]!;
    await page.goto(`${origin}/console/numbers/${target.id}`);
    await page.getByLabel('Nickname').waitFor();
    expect((await apiAs(admin.key, 'PATCH', `/v1/phone-numbers/${target.id}`, { nickname: 'changed elsewhere' })).status).toBe(200);
    await page.getByLabel('Nickname').fill('my change');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changed by someone else.').waitFor();
    expect((await apiAs(admin.key, 'GET', `/v1/phone-numbers/${target.id}`)).json().nickname).toBe('changed elsewhere');
    await page.getByRole('button', { name: 'Reload' }).click();
    await expect.poll(() => page.getByLabel('Nickname').inputValue()).toBe('changed elsewhere');
  });

  test("shows the server's validation error next to the field it names", async () => {
    const { page, origin } = rig;
    const target = numbers[11]!;
    await page.goto(`${origin}/console/numbers/${target.id}`);
    await page.getByLabel('Fallback number').fill('not a number');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const fieldError = page.locator('.field:has(#f-fallback_number) .field-error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toMatch(/number/i);
    expect(await page.locator('#f-fallback_number').getAttribute('aria-invalid')).toBe('true');
    expect((await apiAs(admin.key, 'GET', `/v1/phone-numbers/${target.id}`)).json().fallback_number).toBeNull();
  });

  test('shows the audit trail: who (key name), when, which fields, before → after', async () => {
    const { page, origin } = rig;
    const target = numbers[9]!;
    await page.goto(`${origin}/console/numbers/${target.id}`);
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    const latest = page.locator('.timeline-item').first();
    expect(await latest.locator('.timeline-who').textContent()).toBe('ops admin');
    expect(await latest.locator('.badge').textContent()).toBe('update');
    const nicknameRow = latest.locator('tr', { has: page.locator('th', { hasText: /^nickname$/ }) });
    expect(await nicknameRow.locator('.before').textContent()).toBe('line 010');
    expect(await nicknameRow.locator('.after').textContent()).toBe('west coast sales');
    expect(await page.locator('.timeline-item').count()).toBe(2);
    expect(page.url()).toMatch(/\/console\/numbers\/[^/]+\/history$/);
  });

  test('imports a CSV with one bad row: progress, per-row results, the failed row downloadable', async () => {
    const { page, origin } = rig;
    await page.goto(`${origin}/console/import`);
    const csv = ['phone_number,nickname,capabilities.voice', `${e164(201)},csv one,true`, `${e164(202)},csv bad,maybe`, `${e164(203)},csv three,`].join('\n');
    await page.getByLabel('File (.csv)').setInputFiles({ name: 'numbers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import file' }).click();
    await page.getByText('2 imported, 1 failed.').waitFor();
    expect(await page.locator('#csv-progress').getAttribute('value')).toBe('3');
    const results = page.getByRole('table', { name: 'Import results' }).locator('tbody tr');
    expect(await results.count()).toBe(3);
    expect(await results.nth(1).textContent()).toContain('capabilities.voice: must be true or false');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download failed rows' }).click()]);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe(`phone_number,nickname,capabilities.voice,error\n${e164(202)},csv bad,maybe,capabilities.voice: must be true or false\n`);
    expect((await apiAs(admin.key, 'GET', `/v1/phone-numbers/${encodeURIComponent(e164(201))}`)).status).toBe(200);
    expect((await apiAs(admin.key, 'GET', `/v1/phone-numbers/${encodeURIComponent(e164(202))}`)).status).toBe(404);
  });

  test('outage mode on (confirmed), then the routing check shows the forward, holding no concurrency slot', async () => {
    const { page, origin } = rig;
    await page.goto(`${origin}/console/workspace`);
    await page.getByRole('button', { name: 'Turn outage mode on' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('heading', { name: 'Outage mode: ON' }).waitFor();
    expect((await apiAs(admin.key, 'GET', '/v1/workspace')).json().outage).toBe(true);

    await page.goto(`${origin}/console/numbers/${numbers[0]!.id}`);
    await page.getByRole('link', { name: 'Check routing' }).click();
    expect(await page.getByLabel('Called number (yours)').inputValue()).toBe(e164(1));
    await page.getByLabel('Caller').fill('+12125550199');
    await page.getByRole('button', { name: 'Check' }).click();
    const decision = page.getByTestId('decision');
    await decision.waitFor();
    expect(await decision.textContent()).toBe('forward forward to +12125550100 (outage)');
    await page.getByText('Raw JSON').click();
    expect(JSON.parse((await page.locator('pre.json').textContent())!)).toMatchObject({ action: 'forward', decided_by: 'outage', forward_to: '+12125550100' });
    expect((await apiAs(admin.key, 'GET', '/v1/workspace')).json().active_calls).toBe(0);

    await page.goto(`${origin}/console/workspace`);
    await page.getByRole('button', { name: 'Turn outage mode off' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Turn off' }).click();
    await page.getByRole('heading', { name: 'Outage mode: off' }).waitFor();
    await page.goto(`${origin}/console/routing?to=${encodeURIComponent(e164(1))}`);
    await page.getByLabel('Caller').fill('+12125550199');
    await page.getByRole('button', { name: 'Check' }).click();
    await expect.poll(() => page.getByTestId('decision').textContent()).toBe('connect connect agent_sales v3 (binding)');
  });

  test('creates an API key (shown once, copyable) and revokes it', async () => {
    const { page, origin } = rig;
    await page.goto(`${origin}/console/keys`);
    await page.getByLabel('Name').fill('ci robot');
    await page.getByLabel(/routing/).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-key');
    await shown.waitFor();
    const key = (await shown.textContent())!;
    expect(key).toMatch(/^sk_/);
    expect((await apiAs(key, 'GET', '/v1/api-keys/current')).json()).toMatchObject({ name: 'ci robot', scopes: ['numbers:read', 'routing'] });
    const row = page.getByRole('table', { name: 'API keys' }).locator('tr', { hasText: 'ci robot' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await row.getByText('revoked').waitFor();
    expect((await apiAs(key, 'GET', '/v1/api-keys/current')).status).toBe(401);
  });

  test('deleting a carrier still in use asks first and shows the API answer', async () => {
    const { page, origin } = rig;
    const carrier = (await apiAs(admin.key, 'POST', '/v1/carriers', { name: 'Acme SIP', gateways: [{ address: '203.0.113.10' }] })).json();
    await apiAs(admin.key, 'PATCH', `/v1/phone-numbers/${numbers[20]!.id}`, { carrier_id: carrier.id });
    await page.goto(`${origin}/console/carriers`);
    await page.getByRole('table', { name: 'Carriers' }).locator('tr', { hasText: 'Acme SIP' }).getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete carrier' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toMatch(/409/);
    expect((await apiAs(admin.key, 'GET', `/v1/carriers/${carrier.id}`)).status).toBe(200);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  test('creates a carrier with write-only credentials and a pool with a member', async () => {
    const { page, origin } = rig;
    await page.goto(`${origin}/console/carriers`);
    await page.getByRole('button', { name: 'New carrier' }).click();
    await page.getByLabel('Name').fill('Backup trunk');
    await page.getByLabel('Trunk type').selectOption('auth');
    await page.getByLabel('Address').fill('198.51.100.7');
    await page.getByLabel('Username').fill('sb-inbound');
    await page.getByLabel(/^Password/).fill('trunk-secret-1');
    await page.getByRole('button', { name: 'Create carrier' }).click();
    const row = page.getByRole('table', { name: 'Carriers' }).locator('tr', { hasText: 'Backup trunk' });
    await row.waitFor();
    expect(await row.textContent()).toContain('digest sb-inbound');
    const listed = await apiAs(admin.key, 'GET', '/v1/carriers?limit=100');
    const stored = listed.json().data.find((carrier: { name: string }) => carrier.name === 'Backup trunk');
    expect(stored).toMatchObject({ trunk_type: 'auth', gateways: [{ address: '198.51.100.7', port: 5060 }], inbound_auth: { username: 'sb-inbound', has_password: true } });
    expect(listed.body).not.toContain('trunk-secret-1');

    await page.goto(`${origin}/console/pools`);
    await page.getByLabel('New pool name').fill('West outbound');
    await page.getByRole('button', { name: 'Create pool' }).click();
    const pool = page.getByRole('region', { name: 'Pool West outbound' });
    await pool.getByLabel('Add a number').fill(e164(30));
    await pool.getByRole('button', { name: 'Add', exact: true }).click();
    await pool.getByRole('link', { name: '+1 (415) 555-1030' }).waitFor();
    await pool.getByLabel('Strategy').selectOption('round_robin');
    await expect
      .poll(async () => (await apiAs(admin.key, 'GET', '/v1/number-pools')).json().data.find((p: { name: string }) => p.name === 'West outbound'))
      .toMatchObject({ strategy: 'round_robin', members: [numbers[29]!.id] });
  });

  test('a read-only key sees no edit controls', async () => {
    const { page, origin } = rig;
    await signIn(page, origin, reader);
    await page.getByText('Read-only key').waitFor();
    const nav = page.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Numbers', 'Workspace', 'Number pools', 'Carriers']);
    expect(await page.getByRole('link', { name: 'Import numbers' }).count()).toBe(0);
    await page.goto(`${origin}/console/numbers/${numbers[9]!.id}`);
    await page.getByText('This key can read numbers but not change them.').waitFor();
    expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: '+ Add agent' }).count()).toBe(0);
    expect(await page.getByLabel('Nickname').getAttribute('readonly')).not.toBeNull();
    await page.goto(`${origin}/console/workspace`);
    await page.getByRole('heading', { name: /Outage mode/ }).waitFor();
    expect(await page.getByRole('button', { name: /Turn outage mode/ }).count()).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([]);
  });

  test('no script errors or CSP violations on any view', () => {
    expect(rig.pageErrors).toEqual([]);
    expect(workspaceId).toBeTruthy();
  });
});
