import type { Harness, TestWorkspace } from './harness.ts';
import type { Actor } from '../../src/services/context.ts';

import { freshNumber } from './numbers.ts';

export { freshNumber };

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
