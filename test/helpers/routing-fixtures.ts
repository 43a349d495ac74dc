import type { Harness, TestWorkspace } from './harness.ts';
import type { Actor } from '../../src/services/context.ts';

let sequence = 0;

/**
 * A fresh, valid number in the given NANP area code (numbers are unique installation-wide, so
 * every test takes new ones). Exchanges are real ones libphonenumber accepts.
 */
export function freshNumber(area: '415' | '650' | '212' | '604' | '214' = '415'): string {
  const exchange = { '415': '777', '650': '253', '212': '736', '604': '555', '214': '222' }[area];
  sequence += 1;
  const line = String((process.pid * 7 + sequence) % 10000).padStart(4, '0');
  return `+1${area}${exchange}${line}`;
}

export interface RoutingWorkspace extends TestWorkspace {
  /** A key with every scope. */
  admin: string;
  actor: Actor;
  importNumber(body: Record<string, unknown>): Promise<{ id: string; phone_number: string }>;
}

export async function routingWorkspace(h: Harness): Promise<RoutingWorkspace> {
  const workspace = await h.workspace();
  const admin = await workspace.key();
  return {
    ...workspace,
    admin,
    actor: { workspaceId: workspace.id, keyId: null, scopes: new Set(['routing', 'numbers:read', 'numbers:write', 'admin']) },
    async importNumber(body) {
      const response = await h.request('POST', '/v1/phone-numbers', { key: admin, json: { phone_number: freshNumber(), ...body } });
      if (response.status !== 201) throw new Error(`import failed: ${response.status} ${response.body}`);
      return response.json();
    },
  };
}

/** A clock tests move by hand. */
export function manualClock(startIso: string) {
  let now = Date.parse(startIso);
  return {
    clock: () => new Date(now),
    set(iso: string) {
      now = Date.parse(iso);
    },
    advance(ms: number) {
      now += ms;
    },
  };
}
