import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Every setting the process reads from its environment. Parsed once at the process edge
 * (`loadConfig` in src/cli/main.ts, for `serve` and every other command) and passed down, defaults
 * applied; nothing below reads `process.env` or keeps defaults of its own.
 */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'TCP port of the HTTP server' }),
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface to listen on (`0.0.0.0` for all)' }),
  DATABASE_URL: Type.String({
    default: 'sqlite:./data/switchboard.db',
    description: '`sqlite:<path>` (embedded, default) or `postgres://user@host:port/db`',
  }),
  SWITCHBOARD_SECRET_KEY: Type.Optional(
    Type.String({
      description:
        'Base64 of 32 random bytes; encrypts trunk and carrier passwords at rest. Embedded mode generates `data/secret.key` when unset; required with PostgreSQL',
    }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'pino log level' },
  ),
  BODY_LIMIT_BYTES: Type.Integer({
    minimum: 1024,
    default: 16 * 1024 * 1024,
    description: 'Largest accepted request body (a 10,000-number bulk import is about 3 MB)',
  }),
  ROUTING_WEBHOOK_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 30_000,
    default: 2000,
    description: 'How long routing waits for an inbound (SMS) webhook before using the configured binding',
  }),
  ROUTING_ALLOW_PRIVATE_WEBHOOK_TARGETS: Type.Boolean({
    default: false,
    description: 'Allow webhook URLs that resolve to loopback, private or link-local addresses (off: SSRF protection)',
  }),
  ROUTING_CALL_LEASE_SECONDS: Type.Integer({
    minimum: 10,
    maximum: 86_400,
    default: 600,
    description: 'Default lease of a reported call; a call not renewed (`/start` again) or ended within it frees its slot',
  }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 0,
    default: 6000,
    description: 'Requests per minute per API key (unauthenticated requests: per client IP); `0` turns rate limiting off',
  }),
  REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 60_000,
    description: 'Longest time to receive a whole request (headers and body) before answering 408 and closing; `0` disables',
  }),
  HEADERS_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 10_000,
    description: 'Longest time to receive the request headers (slow-loris guard)',
  }),
  CONNECTION_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 120_000,
    description: 'A socket with no traffic for this long is closed; `0` disables',
  }),
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 72_000,
    description: 'How long an idle keep-alive connection stays open (above the 60 s of common load balancers)',
  }),
  MAX_HEADER_SIZE_BYTES: Type.Integer({
    minimum: 1024,
    default: 16_384,
    description: 'Largest accepted request head (request line and headers); larger is answered 431',
  }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(ConfigSchema.properties)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  const candidate = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, known));
  const problems = [...Value.Errors(ConfigSchema, candidate)];
  if (problems.length > 0) {
    const lines = problems.map((problem) => `${problem.path.slice(1)}: ${problem.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return candidate as Config;
}
