/**
 * The HTTP scenarios: one small entry each. A scenario whose route the server does not register
 * (yet) is skipped with a note, so the suite runs on any checkout.
 */
import { encodeCursor } from '../src/services/pages.ts';
import type { LoadRequest } from './lib/load.ts';
import type { SeedState } from './lib/store.ts';

export interface ScenarioContext {
  seed: SeedState;
  /** Reserves `count` fresh, never-imported numbers (write scenarios). */
  freshNumbers(count: number): string[];
}

/** Minimum shares of bare Fastify (throughput and CPU), CPU and p99 ceilings. */
export interface Target {
  ratio?: number;
  cpuRatio?: number;
  cpuUsMax?: number;
  p99Ms?: number;
}

export interface HttpScenario {
  id: string;
  label: string;
  /** As the OpenAPI document names it; the scenario is skipped when it is absent. */
  route: string;
  /** The same route as a Fastify pattern, for the bare baseline server. */
  bareRoute: { method: string; url: string };
  /** The issue's targets (issue 15): on both stores, unless `postgresTarget` says otherwise there. */
  target?: Target;
  postgresTarget?: Target;
  /** The requests to send, in order; `count` is how many a write scenario may need at most. */
  requests(context: ScenarioContext, count: number): LoadRequest[];
  writes?: boolean;
  /** Imports go to a workspace of their own, so the seeded one keeps exactly `size` numbers. */
  workspace?: 'writes';
}

const json = (value: unknown) => JSON.stringify(value);
/** A caller from another country than the numbers, so the country rule is really evaluated. */
const CALLER = '+442071838750';

function cycle<T>(items: T[], make: (item: T, index: number) => LoadRequest): LoadRequest[] {
  return items.map(make);
}

/** The first page, then a page after each id (as its cursor). */
function listPages(afterIds: string[], path: (cursor: string | undefined) => string): LoadRequest[] {
  return [undefined, ...afterIds.map(encodeCursor)].map((cursor) => ({ method: 'GET', path: path(cursor) }));
}

/** A routing decision for each sample number, by direction; both are targeted at half of bare Fastify. */
function decisionScenario(direction: 'inbound' | 'outbound', body: (sampleNumber: string, index: number) => Record<string, unknown>): HttpScenario {
  const path = `/v1/routing/${direction}`;
  return {
    id: `routing-${direction}`,
    label: `POST ${path}`,
    route: `POST ${path}`,
    bareRoute: { method: 'POST', url: path },
    target: { ratio: 0.5, cpuRatio: 0.5 },
    requests: ({ seed }) => cycle(seed.sampleNumbers, (number, index) => ({ method: 'POST', path, body: json(body(number, index)) })),
  };
}

/** What a seeded number looks like: bound to two weighted agents, as a real fleet would be. */
export function seedItem(phoneNumber: string): Record<string, unknown> {
  return {
    phone_number: phoneNumber,
    inbound_agents: [
      { agent_id: 'agent_bench_a', weight: 0.7 },
      { agent_id: 'agent_bench_b', weight: 0.3, agent_version: 3 },
    ],
    outbound_agents: [{ agent_id: 'agent_bench_a', weight: 1 }],
  };
}

export const HTTP_SCENARIOS: HttpScenario[] = [
  {
    id: 'get-by-id',
    label: 'GET /v1/phone-numbers/{id}',
    route: 'GET /v1/phone-numbers/{id}',
    bareRoute: { method: 'GET', url: '/v1/phone-numbers/:id' },
    target: { ratio: 0.5, cpuRatio: 0.5, p99Ms: 10 },
    // Strict freshness on PostgreSQL (another instance's write is seen by the next GET): a round trip per GET.
    postgresTarget: { ratio: 0.3, cpuRatio: 0.3, p99Ms: 10 },
    requests: ({ seed }) => cycle(seed.sampleIds, (id) => ({ method: 'GET', path: `/v1/phone-numbers/${id}` })),
  },
  {
    id: 'retell-get',
    label: 'Retell GET /get-phone-number/{e164}',
    route: 'GET /retell/get-phone-number/{phone_number}',
    bareRoute: { method: 'GET', url: '/retell/get-phone-number/:e164' },
    target: { ratio: 0.5, cpuRatio: 0.5 },
    postgresTarget: {},
    requests: ({ seed }) => cycle(seed.sampleNumbers, (number) => ({ method: 'GET', path: `/retell/get-phone-number/${number}` })),
  },
  {
    id: 'list',
    label: 'GET /v1/phone-numbers (page of 50)',
    route: 'GET /v1/phone-numbers',
    bareRoute: { method: 'GET', url: '/v1/phone-numbers' },
    target: { cpuUsMax: 600, p99Ms: 50 },
    // The first page and the pages after the first 20 sample ids (≈ 1,000 numbers from the start):
    // what a console or a sync polls. Pages over the whole fleet would be the held records' misses.
    requests: ({ seed }) => listPages(seed.sampleIds.slice(0, 20), (cursor) => `/v1/phone-numbers?limit=50${cursor ? `&cursor=${cursor}` : ''}`),
  },
  {
    id: 'retell-list',
    label: 'Retell GET /v2/list-phone-numbers (page of 50)',
    route: 'GET /retell/v2/list-phone-numbers',
    bareRoute: { method: 'GET', url: '/retell/v2/list-phone-numbers' },
    target: { cpuUsMax: 600, p99Ms: 50 },
    // Newest first: the first page and pages after 20 of the greatest ids.
    requests: ({ seed }) =>
      listPages(seed.tailIds.filter((_, i) => i % 10 === 9).slice(-20), (key) => `/retell/v2/list-phone-numbers?limit=50${key ? `&pagination_key=${key}` : ''}`),
  },
  // Outbound: a caller ID given (`from`), the seeded number's outbound agent picked: a `connect` with its trunk.
  decisionScenario('inbound', (number, index) => ({ to: number, from: CALLER, call_id: `call-${index}` })),
  decisionScenario('outbound', (number, index) => ({ from: number, to: '+12125550123', call_id: `out-${index}` })),
  {
    id: 'patch',
    label: 'PATCH /v1/phone-numbers/{id}',
    route: 'PATCH /v1/phone-numbers/{id}',
    bareRoute: { method: 'PATCH', url: '/v1/phone-numbers/:id' },
    target: { cpuUsMax: 250 },
    postgresTarget: { cpuUsMax: 450 },
    // Round-robin over many numbers: 50 connections never update the same number at once
    // (that would be a 412 by design, not a cost).
    requests: ({ seed }) =>
      cycle(seed.sampleIds, (id, index) => ({
        method: 'PATCH',
        path: `/v1/phone-numbers/${id}`,
        body: json({ nickname: `bench ${index} ${Date.now() % 100_000}` }),
      })),
    writes: true,
  },
  {
    id: 'import',
    label: 'POST /v1/phone-numbers (import one)',
    route: 'POST /v1/phone-numbers',
    bareRoute: { method: 'POST', url: '/v1/phone-numbers' },
    target: { cpuUsMax: 350 },
    postgresTarget: { cpuUsMax: 600 },
    requests: (context, count) =>
      context.freshNumbers(count).map((number) => ({ method: 'POST', path: '/v1/phone-numbers', body: json(seedItem(number)) })),
    writes: true,
    workspace: 'writes',
  },
];
