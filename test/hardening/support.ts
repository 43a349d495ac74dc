import crypto from 'node:crypto';
import { newId } from '../../src/domain/ids.ts';
import { sql } from 'kysely';
import { isValidNumber } from '../../src/domain/phone.ts';
import type { Harness, TestWorkspace } from '../helpers/harness.ts';

/** A workspace with a realistic set of resources, and strings that must never show up in another workspace's responses. */
export interface Seeded {
  workspace: TestWorkspace;
  /** A key with every scope. */
  key: string;
  /** The fully configured number (SIP password, agents, fallback). */
  number: { id: string; e164: string; digits: string };
  /** A second, plain number; it is the first one's fallback. */
  spare: { id: string; e164: string; digits: string };
  /** The agent bound (inbound and outbound) to `number`. */
  agentId: string;
  /** A carrier with registration credentials. */
  carrierId: string;
  /** A number pool holding `spare`. */
  poolId: string;
  /** A call started on `number` (holding a lease). */
  callId: string;
  /** An extra API key of the workspace (for the key routes). */
  extraKeyId: string;
  /** A failed carrier release of the workspace (a number bought at a carrier, deleted, its release given up). */
  releaseId: string;
  /** Values only this workspace's data contains. */
  markers: string[];
  /** Write-only secrets stored in the workspace. */
  secrets: string[];
}

const handedOut = new Set<string>();

/** A random number of the area code (San Francisco by default) that libphonenumber accepts and this process has not handed out before. */
export function freshNumber(areaCode = '415'): string {
  for (;;) {
    const candidate = `+1${areaCode}${crypto.randomInt(2_000_000, 10_000_000)}`;
    if (!handedOut.has(candidate) && isValidNumber(candidate)) {
      handedOut.add(candidate);
      return candidate;
    }
  }
}

export async function seedWorkspace(h: Harness): Promise<Seeded> {
  const workspace = await h.workspace();
  const key = await workspace.key();
  const tag = crypto.randomBytes(4).toString('hex');
  const password = `pw-${tag}-Sekr3t!`;
  const spareE164 = freshNumber();
  const spare = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: spareE164, nickname: `spare-${tag}` } });
  if (spare.status !== 201) throw new Error(`seed failed: ${spare.status} ${spare.body}`);
  const e164 = freshNumber();
  const main = await h.request('POST', '/v1/phone-numbers', {
    key,
    json: {
      phone_number: e164,
      nickname: `secret-nick-${tag}`,
      capabilities: { voice: true, sms: true },
      sip: { termination_uri: `trunk-${tag}.example.com`, auth_username: `user-${tag}`, auth_password: password },
      inbound_agents: [{ agent_id: `agent-${tag}`, weight: 1, agent_version: 2 }],
      outbound_agents: [{ agent_id: `agent-${tag}`, weight: 1 }],
      fallback_number: spareE164,
    },
  });
  if (main.status !== 201) throw new Error(`seed failed: ${main.status} ${main.body}`);
  const extra = await h.runtime.services.workspaces.createKey(workspace.id, ['numbers:read'], `extra-${tag}`);
  const registrationPassword = `reg-${tag}-Sekr3t!`;
  const carrier = await h.request('POST', '/v1/carriers', {
    key,
    json: { name: `carrier-${tag}`, trunk_type: 'reg', gateways: [{ address: '203.0.113.10' }], registration: { username: `reg-${tag}`, password: registrationPassword, realm: 'sip.example.com' } },
  });
  if (carrier.status !== 201) throw new Error(`seed failed: ${carrier.status} ${carrier.body}`);
  const pool = await h.request('POST', '/v1/number-pools', { key, json: { name: `pool-${tag}`, members: [spare.json().id] } });
  if (pool.status !== 201) throw new Error(`seed failed: ${pool.status} ${pool.body}`);
  const callId = `call-${tag}`;
  const call = await h.request('POST', `/v1/calls/${callId}/start`, { key, json: { phone_number_id: main.json().id } });
  if (call.status !== 200) throw new Error(`seed failed: ${call.status} ${call.body}`);
  // Stock for the purchase routes (the inventory is installation-wide).
  await h.runtime.services.stock.add([{ e164: freshNumber() }, { e164: freshNumber() }]);
  // A release that gave up: what a number bought at a carrier leaves behind when the carrier stays down.
  const releaseId = newId();
  await h.runtime.database.db
    .insertInto('carrier_numbers')
    .values({ id: releaseId, workspace_id: workspace.id, phone_number_id: null, e164: freshNumber(), provider: 'twilio', provider_sid: `PN${tag}`, bought_at: new Date().toISOString(), state: 'failed', release_reason: 'deleted', attempts: 12, next_attempt_at: null, last_error: 'HTTP 503', released_at: null })
    .execute();
  return {
    workspace,
    key,
    number: { id: main.json().id, e164, digits: e164.slice(1) },
    spare: { id: spare.json().id, e164: spareE164, digits: spareE164.slice(1) },
    agentId: `agent-${tag}`,
    carrierId: carrier.json().id,
    poolId: pool.json().id,
    callId,
    extraKeyId: extra.id,
    releaseId,
    markers: [releaseId, workspace.id, tag, main.json().id, spare.json().id, e164.slice(1), spareE164.slice(1), extra.id, carrier.json().id, pool.json().id],
    secrets: [password, registrationPassword, extra.key, key],
  };
}

/** Tables whose rows are bookkeeping of requests, not records a request may be said to change. */
const REQUEST_BOOKKEEPING = /idempot|rate_limit/;

const tableCache = new WeakMap<Harness, Array<{ name: string; columns: string[] }>>();

/**
 * The harness's own tables and their columns. On PostgreSQL, information_schema of the harness
 * schema only: Kysely's introspection reads every schema and trips over ones other test files
 * are dropping at the same moment.
 */
async function tablesOf(h: Harness): Promise<Array<{ name: string; columns: string[] }>> {
  const cached = tableCache.get(h);
  if (cached) return cached;
  const db = h.runtime.database.db;
  let tables: Array<{ name: string; columns: string[] }>;
  if (h.schema) {
    const rows = await sql<{ table_name: string; column_name: string }>`select table_name, column_name from information_schema.columns where table_schema = ${h.schema} order by table_name, ordinal_position`.execute(db);
    const byTable = new Map<string, string[]>();
    for (const row of rows.rows) byTable.set(row.table_name, [...(byTable.get(row.table_name) ?? []), row.column_name]);
    tables = [...byTable].map(([name, columns]) => ({ name, columns }));
  } else {
    tables = (await db.introspection.getTables()).filter((table) => !table.isView).map((table) => ({ name: table.name, columns: table.columns.map((c) => c.name) }));
  }
  tables = tables.filter((table) => !/^kysely_/.test(table.name) && !REQUEST_BOOKKEEPING.test(table.name));
  tableCache.set(h, tables);
  return tables;
}

/**
 * Every row the workspace owns, in every table that has a `workspace_id` column (tables added
 * later are picked up by introspection).
 */
export async function snapshotWorkspace(h: Harness, workspaceId: string): Promise<Record<string, unknown[]>> {
  const db = h.runtime.database.db;
  const snapshot: Record<string, unknown[]> = {};
  for (const { name, columns } of await tablesOf(h)) {
    if (!columns.includes('workspace_id')) continue;
    const order = columns.includes('id') ? ['id'] : columns;
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)} where workspace_id = ${workspaceId} order by ${sql.join(order.map((c) => sql.ref(c)))}`.execute(db);
    snapshot[name] = rows.rows;
  }
  return snapshot;
}

/** Rows of every table except request bookkeeping: for checks that nothing at all changed. */
export async function snapshotAll(h: Harness): Promise<Record<string, unknown[]>> {
  const db = h.runtime.database.db;
  const snapshot: Record<string, unknown[]> = {};
  for (const { name, columns } of await tablesOf(h)) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)} order by ${sql.join(columns.map((c) => sql.ref(c)))}`.execute(db);
    snapshot[name] = rows.rows;
  }
  return snapshot;
}
