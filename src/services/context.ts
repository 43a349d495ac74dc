import type { Database } from '../db/database.ts';
import type { SecretBox } from '../domain/secrets.ts';
import { ForbiddenError } from './errors.ts';

/** `routing:credentials`: outbound decisions carry the trunk's SIP password (each disclosure audited). */
export const SCOPES = ['numbers:read', 'numbers:write', 'routing', 'routing:credentials', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
/** What a key gets when nobody says: everything but the trunk passwords, which are granted on purpose. */
export const DEFAULT_KEY_SCOPES: readonly Scope[] = SCOPES.filter((scope) => scope !== 'routing:credentials');

/** Who is acting: always derived from the credential, never from a request body. */
export interface Actor {
  workspaceId: string;
  /** The API key id, recorded in the audit trail; null for the CLI and internal jobs. */
  keyId: string | null;
  scopes: ReadonlySet<Scope>;
}

export function requireScope(actor: Actor, scope: Scope): void {
  if (!actor.scopes.has(scope) && !actor.scopes.has('admin')) {
    throw new ForbiddenError(`this API key lacks the ${scope} scope`);
  }
}

/** The operator acting on one workspace from the command line. */
export function operatorActor(workspaceId: string): Actor {
  return { workspaceId, keyId: null, scopes: new Set(SCOPES) };
}

export interface ServiceDeps {
  database: Database;
  secrets: SecretBox;
  clock?: () => Date;
}

export function nowIso(deps: ServiceDeps): string {
  return (deps.clock ? deps.clock() : new Date()).toISOString();
}
