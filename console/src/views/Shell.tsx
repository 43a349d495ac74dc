import { useEffect } from 'preact/hooks';
import { Link } from '../components/ui.tsx';
import { navigate, useLocation } from '../router.ts';
import { useSession } from '../session.ts';
import type { Scope } from '../api.ts';
import { NumbersList } from './NumbersList.tsx';
import { NumberView } from './NumberView.tsx';
import { Import } from './Import.tsx';
import { RoutingCheck } from './RoutingCheck.tsx';
import { WorkspaceView } from './Workspace.tsx';
import { Pools } from './Pools.tsx';
import { Carriers } from './Carriers.tsx';
import { ApiKeys } from './ApiKeys.tsx';

const SECTIONS: Array<{ path: string; label: string; scope: Scope }> = [
  { path: '/numbers', label: 'Numbers', scope: 'numbers:read' },
  { path: '/import', label: 'Import', scope: 'numbers:write' },
  { path: '/routing', label: 'Routing check', scope: 'routing' },
  { path: '/workspace', label: 'Workspace', scope: 'numbers:read' },
  { path: '/pools', label: 'Number pools', scope: 'numbers:read' },
  { path: '/carriers', label: 'Carriers', scope: 'numbers:read' },
  { path: '/keys', label: 'API keys', scope: 'admin' },
];

export function Shell({ onSignOut }: { onSignOut: () => void }) {
  const { path, query } = useLocation();
  const session = useSession();
  const sections = SECTIONS.filter((section) => session.can(section.scope));
  const numberMatch = /^\/numbers\/([^/]+)(\/history)?$/.exec(path);

  useEffect(() => {
    if (path === '/' || !sections.some((section) => path.startsWith(section.path))) navigate(sections[0]?.path ?? '/numbers', { replace: true });
  }, [path]);

  let view = null;
  if (numberMatch) view = <NumberView key={numberMatch[1]} id={decodeURIComponent(numberMatch[1]!)} tab={numberMatch[2] ? 'history' : 'settings'} />;
  else if (path === '/numbers') view = <NumbersList query={query} />;
  else if (path === '/import') view = <Import />;
  else if (path === '/routing') view = <RoutingCheck query={query} />;
  else if (path === '/workspace') view = <WorkspaceView />;
  else if (path === '/pools') view = <Pools />;
  else if (path === '/carriers') view = <Carriers />;
  else if (path === '/keys') view = <ApiKeys />;

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <nav class="sidebar" aria-label="Console">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">
            ◎
          </span>
          Switchboard
        </div>
        <ul>
          {sections.map((section) => (
            <li key={section.path}>
              <Link to={section.path} aria-current={path.startsWith(section.path) ? 'page' : undefined}>
                {section.label}
              </Link>
            </li>
          ))}
        </ul>
        <div class="whoami">
          <div class="whoami-name">{session.key.name ?? `key ${session.key.prefix}…`}</div>
          <div class="whoami-scopes">{session.key.scopes.join(' · ')}</div>
          {!session.can('numbers:write') && <div class="whoami-readonly">Read-only key</div>}
          <button type="button" class="button button-small" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </nav>
      <main id="main" class="main" tabIndex={-1}>
        {view}
      </main>
    </div>
  );
}
