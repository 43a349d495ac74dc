/**
 * Screenshots of the web console's main views for the README (docs/console/*.png), taken from a
 * seeded in-memory installation in Debian's Chromium. `npm run console:screenshots`.
 */
import path from 'node:path';
import { SCOPES } from '../src/services/context.ts';
import { signIn, startConsole } from '../test/console/support.ts';

const OUT = path.resolve(import.meta.dirname, '..', 'docs', 'console');

const AREAS = ['415', '212', '312', '512', '206', '617', '303', '404'];
const AGENTS = ['agent_sales', 'agent_support', 'agent_billing', 'agent_after_hours'];

const rig = await startConsole({ viewport: { width: 1440, height: 900 } });
try {
  const { harness, page, origin } = rig;
  const workspace = await harness.workspace('acme-voice');
  const { key } = await harness.runtime.services.workspaces.createKey(workspace.id, [...SCOPES], 'ops on call');
  const api = (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, json?: unknown) => harness.request(method, url, { key, ...(json !== undefined ? { json } : {}) });

  const carrier = (await api('POST', '/v1/carriers', { name: 'Telnyx BYOC', trunk_type: 'static_ip', gateways: [{ address: '192.76.120.10' }, { address: '64.16.250.10' }] })).json();
  const items = Array.from({ length: 64 }, (_, i) => {
    const area = AREAS[i % AREAS.length]!;
    const agent = AGENTS[i % AGENTS.length]!;
    return {
      phone_number: `+1${area}555${String(100 + i).padStart(4, '0')}`,
      nickname: i % 5 === 4 ? null : `${['Sales', 'Support', 'Billing', 'After hours'][i % 4]} · ${['west', 'east', 'central', 'south'][Math.floor(i / 8) % 4]}`,
      status: i % 11 === 10 ? 'inactive' : i % 13 === 12 ? 'pending' : 'active',
      capabilities: { voice: true, sms: i % 3 === 0 },
      ...(i % 6 === 5 ? {} : { inbound_agents: i % 4 === 0 ? [{ agent_id: agent, weight: 0.7, agent_version: 3 }, { agent_id: 'agent_overflow', weight: 0.3 }] : [{ agent_id: agent, weight: 1 }] }),
      ...(i % 2 === 0 ? { carrier_id: carrier.id } : {}),
      fallback_number: '+14155550199',
    };
  });
  const bulk = (await api('POST', '/v1/phone-numbers/bulk', { items })).json();
  const first = bulk.data[0].phone_number;
  await api('PATCH', `/v1/phone-numbers/${first.id}`, { nickname: 'Sales · west (main line)', max_concurrent_calls: 20, allowed_inbound_country_list: ['US', 'CA'] });
  await api('PATCH', `/v1/phone-numbers/${first.id}`, { inbound_agents: [{ agent_id: 'agent_sales', weight: 0.6, agent_version: 4 }, { agent_id: 'agent_overflow', weight: 0.25 }, { agent_id: 'agent_sales_es', weight: 0.15 }] });
  await api('POST', '/v1/number-pools', { name: 'US outbound', strategy: 'local_presence', members: bulk.data.slice(0, 8).map((item: { phone_number: { id: string } }) => item.phone_number.id) });

  const shot = async (name: string) => {
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: path.join(OUT, `${name}.png`) });
    process.stdout.write(`docs/console/${name}.png\n`);
  };

  await page.goto(`${origin}/console/`);
  await page.getByLabel('API key').waitFor();
  await shot('sign-in');
  await signIn(page, origin, key);
  await page.locator('table.table tbody tr:not(.row-placeholder)').first().waitFor();
  await shot('numbers');
  await page.goto(`${origin}/console/numbers/${first.id}`);
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  // A tall window rather than a full-page capture, so the sticky sidebar and save bar sit where a user sees them.
  await page.setViewportSize({ width: 1440, height: 1580 });
  await shot('number');
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${origin}/console/numbers/${first.id}/history`);
  await page.locator('.timeline-item').first().waitFor();
  await shot('history');
  await page.goto(`${origin}/console/routing?to=${encodeURIComponent(first.phone_number)}`);
  await page.getByLabel('Caller').fill('+12125550147');
  await page.getByRole('button', { name: 'Check' }).click();
  await page.getByTestId('decision').waitFor();
  await page.getByText('Raw JSON').click();
  await shot('routing-check');
  await page.goto(`${origin}/console/import`);
  const csv = ['phone_number,nickname,inbound_agents', '+16465550101,Support · NYC,agent_support', '+16465550102,Support · NYC 2,agent_support', '+1646555,Broken row,agent_support', '+16465550104,Billing · NYC,agent_billing'].join('\n');
  await page.getByLabel('File (.csv)').setInputFiles({ name: 'numbers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Import file' }).click();
  await page.getByText(/imported, \d+ failed/).waitFor();
  await shot('import');
  await page.goto(`${origin}/console/workspace`);
  await page.getByRole('heading', { name: /Outage mode/ }).waitFor();
  await shot('workspace');
  await page.goto(`${origin}/console/keys`);
  await page.getByRole('table', { name: 'API keys' }).locator('tbody tr').first().waitFor();
  await shot('api-keys');
} finally {
  await rig.close();
}
