import crypto from 'node:crypto';
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
  /** An extra API key of the workspace (for the key routes). */
  extraKeyId: string;
  /** Values only this workspace's data contains. */
  markers: string[];
  /** Write-only secrets stored in the workspace. */
  secrets: string[];
}

const handedOut = new Set<string>();

/** A random San Francisco number that libphonenumber accepts and this process has not handed out before. */
export function freshNumber(): string {
  for (;;) {
    const candidate = `+1415${crypto.randomInt(2_000_000, 10_000_000)}`;
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
  return {
    workspace,
    key,
    number: { id: main.json().id, e164, digits: e164.slice(1) },
    spare: { id: spare.json().id, e164: spareE164, digits: spareE164.slice(1) },
    extraKeyId: extra.id,
    markers: [workspace.id, tag, main.json().id, spare.json().id, e164.slice(1), spareE164.slice(1), extra.id],
    secrets: [password, extra.key, key],
  };
}

/** Tables whose rows are bookkeeping of requests, not records a request may be said to change. */
const REQUEST_BOOKKEEPING = /idempot|rate_limit/;

/**
 * Every row the workspace owns, in every table that has a `workspace_id` column (tables added
 * later are picked up by introspection), plus the rows of tables that hang off those by id.
 */
export async function snapshotWorkspace(h: Harness, workspaceId: string): Promise<Record<string, unknown[]>> {
  const db = h.runtime.database.db;
  const tables = (await db.introspection.getTables()).filter(
    (table) => (h.schema ? table.schema === h.schema : true) && !table.isView && !/^kysely_/.test(table.name) && !REQUEST_BOOKKEEPING.test(table.name),
  );
  const snapshot: Record<string, unknown[]> = {};
  for (const table of tables) {
    const columns = table.columns.map((column) => column.name);
    if (!columns.includes('workspace_id')) continue;
    const order = columns.includes('id') ? ['id'] : columns;
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table.name)} where workspace_id = ${workspaceId} order by ${sql.join(order.map((c) => sql.ref(c)))}`.execute(db);
    snapshot[table.name] = rows.rows;
  }
  return snapshot;
}

/** Rows of every table except request bookkeeping: for checks that nothing at all changed. */
export async function snapshotAll(h: Harness): Promise<Record<string, unknown[]>> {
  const db = h.runtime.database.db;
  const tables = (await db.introspection.getTables()).filter(
    (table) => (h.schema ? table.schema === h.schema : true) && !table.isView && !/^kysely_/.test(table.name) && !REQUEST_BOOKKEEPING.test(table.name),
  );
  const snapshot: Record<string, unknown[]> = {};
  for (const table of tables) {
    const columns = table.columns.map((column) => column.name);
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table.name)} order by ${sql.join(columns.map((c) => sql.ref(c)))}`.execute(db);
    snapshot[table.name] = rows.rows;
  }
  return snapshot;
}
