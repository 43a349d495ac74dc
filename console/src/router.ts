/**
 * Paths under /console, in the History API: a deep link such as
 * /console/numbers?status=active&cursor=… is a shareable view (the server answers any /console
 * path with the app).
 */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console';

export interface Location {
  /** Path below /console, starting with `/`. */
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : window.location.pathname;
  return { path: path === '' ? '/' : path, query: new URLSearchParams(window.location.search) };
}

export function href(to: string): string {
  return `${BASE}${to}`;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (href(to) === window.location.pathname + window.location.search) return;
  if (options.replace) history.replaceState(null, '', href(to));
  else history.pushState(null, '', href(to));
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return location;
}

/** `to` with the given query parameters; empty values are left out. */
export function withQuery(path: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1])));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
