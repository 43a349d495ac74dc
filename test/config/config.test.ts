import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { describeStore, engineOf, parseDatabaseUrl } from '../../src/db/database.ts';

const FORMS = 'must be one of sqlite:<path>, sqlite::memory:, postgres://user@host:port/db, postgresql://user@host:port/db';

function configError(env: Record<string, string>, cwd = '/srv/switchboard'): string {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('DATABASE_URL', () => {
  test('sqlite:<path> is resolved against the working directory; absolute paths and :memory: stay', () => {
    expect(loadConfig({}, '/srv/switchboard').DATABASE_URL).toBe('sqlite:/srv/switchboard/data/switchboard.db');
    expect(loadConfig({ DATABASE_URL: 'sqlite:db/x.db' }, '/srv/a').DATABASE_URL).toBe('sqlite:/srv/a/db/x.db');
    expect(loadConfig({ DATABASE_URL: 'sqlite:../x.db' }, '/srv/a').DATABASE_URL).toBe('sqlite:/srv/x.db');
    expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/sb.db' }, '/srv/a').DATABASE_URL).toBe('sqlite:/var/lib/sb.db');
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }, '/srv/a').DATABASE_URL).toBe('sqlite::memory:');
    expect(parseDatabaseUrl('sqlite:x.db', '/tmp')).toEqual({ engine: 'sqlite', file: '/tmp/x.db' });
  });

  test('postgres:// and postgresql:// are taken as given', () => {
    for (const url of ['postgres://sb@db:5432/sb', 'postgresql://sb:pw@db/sb?sslmode=require']) {
      expect(loadConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
      expect(engineOf(url)).toBe('postgres');
    }
  });

  test('anything else stops with the accepted forms, instead of becoming an SQLite file named after it', () => {
    for (const url of ['bogus', 'mysql://root@db/sb', 'postgress://sb@db/sb', 'postgres:/sb', 'sqlite:', 'sqlite://data/sb.db', 'file:sb.db', './data/sb.db']) {
      expect(configError({ DATABASE_URL: url })).toBe(`invalid configuration:\n  DATABASE_URL: ${FORMS} (got ${JSON.stringify(url)})`);
      expect(() => engineOf(url)).toThrow(FORMS);
    }
  });

  test('a password in the URL is never repeated: not in errors, not in the store line', () => {
    expect(configError({ DATABASE_URL: 'mysql://root:hunter2@db/sb' })).not.toContain('hunter2');
    expect(configError({ DATABASE_URL: 'postgress://root:hunter2@db/sb' })).toContain('root:***@db');
    expect(describeStore(parseDatabaseUrl('postgres://sb:hunter2@db:5432/sb'))).toBe('PostgreSQL postgres://sb:***@db:5432/sb');
    expect(describeStore(parseDatabaseUrl('sqlite:x.db', '/srv'))).toBe('SQLite sqlite:/srv/x.db');
    expect(describeStore(parseDatabaseUrl('sqlite::memory:'))).toBe('SQLite in memory (sqlite::memory:)');
  });
});

describe('every other setting', () => {
  test('an enum error lists the allowed values; a boolean says true or false', () => {
    expect(configError({ LOG_LEVEL: 'loud' })).toBe('invalid configuration:\n  LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")');
    expect(configError({ ROUTING_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'maybe' })).toContain('ROUTING_ALLOW_PRIVATE_WEBHOOK_TARGETS: must be one of true, false (got "maybe")');
  });

  test('all problems are reported at once, one line per variable, naming the rule', () => {
    const message = configError({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'bogus', ROUTING_WEBHOOK_TIMEOUT_MS: '5' });
    const lines = message.split('\n').slice(1).map((line) => line.trim());
    expect(lines).toHaveLength(4);
    expect(lines).toContain('PORT: expected integer (got "eighty")');
    expect(lines.find((line) => line.startsWith('ROUTING_WEBHOOK_TIMEOUT_MS:'))).toMatch(/greater or equal to 100/);
    expect(lines.find((line) => line.startsWith('DATABASE_URL:'))).toContain(FORMS);
  });

  test('unset and empty variables take their defaults; values are converted', () => {
    const config = loadConfig({ PORT: '8080', LOG_LEVEL: '', ROUTING_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' }, '/srv');
    expect(config).toMatchObject({ PORT: 8080, LOG_LEVEL: 'info', ROUTING_ALLOW_PRIVATE_WEBHOOK_TARGETS: true, HOST: '127.0.0.1' });
  });
});
