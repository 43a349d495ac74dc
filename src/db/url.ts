import path from 'node:path';

/** The DATABASE_URL forms the store accepts, as error messages list them. */
export const DATABASE_URL_FORMS = ['sqlite:<path>', 'sqlite::memory:', 'postgres://user@host:port/db', 'postgresql://user@host:port/db'];

export type StoreLocation = { engine: 'sqlite'; file: string } | { engine: 'sqlite'; file: ':memory:' } | { engine: 'postgres'; url: string };

export class DatabaseUrlError extends Error {}

/**
 * Reads a DATABASE_URL strictly: a typo such as `postgress://` or a bare `bogus` must not quietly
 * become an SQLite file named after it. A relative SQLite path is resolved against `cwd`, so the
 * server and a CLI run from another folder agree only when they really name the same file.
 */
export function parseDatabaseUrl(url: string, cwd = process.cwd()): StoreLocation {
  if (/^postgres(ql)?:\/\/./.test(url)) return { engine: 'postgres', url };
  const sqlite = /^sqlite:(.*)$/s.exec(url);
  if (sqlite) {
    const file = sqlite[1]!;
    if (file === ':memory:') return { engine: 'sqlite', file };
    // `sqlite://x` reads as a URL with a host but would be the path `//x`: ask for the plain form.
    if (file !== '' && !file.startsWith('//')) return { engine: 'sqlite', file: path.resolve(cwd, file) };
  }
  throw new DatabaseUrlError(`must be one of ${DATABASE_URL_FORMS.join(', ')} (got ${JSON.stringify(redactedUrl(url))})`);
}

/** The URL with any password replaced, fit for a log line or an error message. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** What the server and the CLI print when they open the store. */
export function describeStore(location: StoreLocation): string {
  if (location.engine === 'postgres') return `PostgreSQL ${redactedUrl(location.url)}`;
  return location.file === ':memory:' ? 'SQLite in memory (sqlite::memory:)' : `SQLite sqlite:${location.file}`;
}
