/**
 * Routing decisions in process, at 1,000,000 numbers: builds the routing index directly (no
 * database, no HTTP), then measures inbound and outbound decisions per second and p99 against a
 * plain Map lookup of the same keys measured in the same run.
 *
 *   npx tsx bench/routing-decisions.ts [numbers=1000000]
 */
import { performance } from 'node:perf_hooks';
import type { PhoneNumber } from '../src/services/phone-numbers/model.ts';
import { Router } from '../src/services/routing/router.ts';

const COUNT = Number(process.argv[2] ?? 1_000_000);
const WORKSPACES = 100;
const OPS = 1_000_000;
const SAMPLED = 200_000;

const areaCodes = ['415', '650', '212', '310', '512', '206', '312', '617', '303', '404'];
const zones = ['America/Los_Angeles', 'America/Los_Angeles', 'America/New_York', 'America/Los_Angeles', 'America/Chicago', 'America/Los_Angeles', 'America/Chicago', 'America/New_York', 'America/Denver', 'America/New_York'];
const agentLists = [
  [{ agent_id: 'agent_a', weight: 1 }],
  [{ agent_id: 'agent_a', weight: 0.5 }, { agent_id: 'agent_b', weight: 0.5, agent_version: 3 }],
  [{ agent_id: 'agent_c', weight: 0.7 }, { agent_id: 'agent_d', weight: 0.2 }, { agent_id: 'agent_e', weight: 0.1, agent_version: 'latest' }],
];
const workspaceIds = Array.from({ length: WORKSPACES }, (_, i) => `0190aaaa-0000-7000-8000-${String(i).padStart(12, '0')}`);

function e164Of(i: number): string {
  return `+1${areaCodes[i % areaCodes.length]}${String(2_000_000 + Math.floor(i / areaCodes.length)).padStart(7, '0')}`;
}

function record(i: number): PhoneNumber {
  const area = i % areaCodes.length;
  return {
    id: `0190bbbb-0000-7000-8000-${String(i).padStart(12, '0')}`,
    workspace_id: workspaceIds[i % WORKSPACES]!,
    phone_number: e164Of(i),
    status: 'active',
    source: 'twilio',
    provider_sid: null,
    carrier_id: null,
    purchased: true,
    nickname: null,
    capabilities: { voice: true, sms: i % 3 === 0 },
    country: 'US',
    region: null,
    locality: null,
    area_code: areaCodes[area]!,
    number_type: 'fixed_line_or_mobile',
    time_zones: [zones[area]!],
    phone_number_pretty: e164Of(i),
    sip: { termination_uri: null, outbound_proxy: null, auth_username: null, transport: 'TCP', uac_enabled: false, uac_register_expires: 300, has_password: false },
    inbound_agents: agentLists[i % 3]!,
    outbound_agents: agentLists[(i + 1) % 3]!,
    inbound_sms_agents: [],
    outbound_sms_agents: [],
    // One number in five restricts callers by country (the decision then parses the caller).
    allowed_inbound_country_list: i % 5 === 0 ? ['US', 'CA'] : [],
    allowed_outbound_country_list: [],
    inbound_webhook_url: null,
    inbound_sms_webhook_url: null,
    fallback_number: null,
    max_concurrent_calls: i % 4 === 0 ? 10 : null,
    calling_hours: null,
    error_message: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    version: 1,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function measure(name: string, op: (i: number) => unknown): { name: string; perSecond: number; meanNs: number; p50Ns: number; p99Ns: number } {
  for (let i = 0; i < 200_000; i++) op(i); // warm up (JIT)
  const started = performance.now();
  for (let i = 0; i < OPS; i++) op(i);
  const elapsedMs = performance.now() - started;
  const samples = new Float64Array(SAMPLED);
  for (let i = 0; i < SAMPLED; i++) {
    const t0 = process.hrtime.bigint();
    op(i * 7);
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  samples.sort();
  return { name, perSecond: OPS / (elapsedMs / 1000), meanNs: (elapsedMs * 1e6) / OPS, p50Ns: percentile(samples, 0.5), p99Ns: percentile(samples, 0.99) };
}

const heapBefore = process.memoryUsage().heapUsed;
const router = new Router();
const buildStarted = performance.now();
for (let i = 0; i < COUNT; i++) router.index.upsert(record(i));
const buildMs = performance.now() - buildStarted;
global.gc?.();
const indexHeapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;

// Queries: random existing numbers, 100,000 distinct callers (US and a few abroad), unique call ids.
const QUERY_KEYS = 1 << 20;
const queryIndex = new Uint32Array(QUERY_KEYS).map(() => Math.floor(Math.random() * COUNT));
const queryTo = Array.from(queryIndex, (i) => e164Of(i));
const queryWs = Array.from(queryIndex, (i) => workspaceIds[i % WORKSPACES]!);
const callers = Array.from({ length: 100_000 }, (_, i) => (i % 10 === 0 ? `+44207${String(1_000_000 + i).slice(-7)}` : `+1212${String(5_000_000 + i)}`));
const callIds = Array.from({ length: QUERY_KEYS }, (_, i) => `call_${i.toString(36)}_${Math.random().toString(36).slice(2, 8)}`);
const mask = QUERY_KEYS - 1;

const baselineMap = new Map<string, { id: string }>();
for (let i = 0; i < COUNT; i++) baselineMap.set(e164Of(i), { id: String(i) });

let sink = 0;
const results = [
  measure('Map.get baseline (same keys)', (i) => {
    sink += baselineMap.get(queryTo[i & mask]!) === undefined ? 0 : 1;
  }),
  measure('inbound decision', (i) => {
    const j = i & mask;
    const decision = router.inbound(queryWs[j]!, { to: queryTo[j]!, from: callers[i % callers.length]!, call_id: callIds[j]! }, 'voice', 1_780_000_000_000);
    sink += 'action' in decision ? 1 : 0;
  }),
  measure('inbound decision, `to` without +', (i) => {
    const j = i & mask;
    const decision = router.inbound(queryWs[j]!, { to: queryTo[j]!.slice(1), from: callers[i % callers.length]!, call_id: callIds[j]! }, 'voice', 1_780_000_000_000);
    sink += 'action' in decision ? 1 : 0;
  }),
  measure('outbound decision (from given)', (i) => {
    const j = i & mask;
    sink += router.outbound(queryWs[j]!, { to: '+12125550123', from: queryTo[j]! }, '+12125550123', 1_780_000_000_000).action.length;
  }),
];

const baseline = results[0]!;
const rss = process.memoryUsage().rss / 1024 / 1024;
console.log(`numbers: ${COUNT.toLocaleString('en-US')}, index build: ${(buildMs / 1000).toFixed(2)} s, index heap: ${indexHeapMb.toFixed(0)} MB, process RSS: ${rss.toFixed(0)} MB, node ${process.version}`);
console.log('| operation | decisions/s | mean | p50 | p99 | mean vs Map.get |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const result of results) {
  console.log(
    `| ${result.name} | ${Math.round(result.perSecond).toLocaleString('en-US')} | ${(result.meanNs / 1000).toFixed(2)} µs | ${(result.p50Ns / 1000).toFixed(2)} µs | ${(result.p99Ns / 1000).toFixed(2)} µs | ${(result.meanNs / baseline.meanNs).toFixed(1)}× |`,
  );
}
if (sink === -1) console.log(sink);
