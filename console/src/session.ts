import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiKey, Scope } from './api.ts';

export interface Session {
  key: ApiKey;
  /** Whether the key may do what `scope` allows (admin may do everything); the server decides again. */
  can(scope: Scope): boolean;
}

export function sessionOf(key: ApiKey): Session {
  const scopes = new Set<Scope>(key.scopes);
  return { key, can: (scope) => scopes.has(scope) || scopes.has('admin') };
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in view');
  return session;
}
