import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { DATABASE_URL_FORMS, DatabaseUrlError, parseDatabaseUrl } from './db/url.ts';

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
    description: `One of ${DATABASE_URL_FORMS.map((form) => `\`${form}\``).join(', ')}; a relative SQLite path is resolved against the working directory; anything else stops the process`,
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
  NUMBER_PROVIDER_DEFAULT: Type.Optional(
    Type.Union(['inventory', 'twilio', 'telnyx'].map((name) => Type.Literal(name)), {
      description:
        'Where a buy goes when the request names no provider; unset: the first configured carrier with a match (Twilio, Telnyx), then the local inventory',
    }),
  ),
  TWILIO_ACCOUNT_SID: Type.Optional(Type.String({ pattern: '^AC[0-9a-fA-F]{32}$', description: 'Twilio account (`AC…`); with a token or an API key, enables buying from Twilio' })),
  TWILIO_AUTH_TOKEN: Type.Optional(Type.String({ description: 'Twilio auth token (or use `TWILIO_API_KEY_SID` + `TWILIO_API_KEY_SECRET`); never logged' })),
  TWILIO_API_KEY_SID: Type.Optional(Type.String({ pattern: '^SK[0-9a-fA-F]{32}$', description: 'Twilio API key (`SK…`), instead of the auth token' })),
  TWILIO_API_KEY_SECRET: Type.Optional(Type.String({ description: 'Secret of `TWILIO_API_KEY_SID`; never logged' })),
  TWILIO_TRUNK_SID: Type.Optional(Type.String({ pattern: '^TK[0-9a-fA-F]{32}$', description: 'Elastic SIP trunk (`TK…`) every bought Twilio number is put on' })),
  TWILIO_VOICE_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'Voice URL of bought Twilio numbers when no trunk is set' })),
  TWILIO_API_BASE_URL: Type.String({
    pattern: '^https?://[^/?#]+/?$',
    default: 'https://api.twilio.com',
    description: 'Origin of the Twilio REST API (a regional edge, or a stand-in server in tests)',
  }),
  TELNYX_API_KEY: Type.Optional(Type.String({ description: 'Telnyx API v2 key (`KEY…`); enables buying from Telnyx; never logged' })),
  TELNYX_CONNECTION_ID: Type.Optional(Type.String({ description: 'Telnyx SIP connection every bought Telnyx number is assigned to' })),
  TELNYX_API_BASE_URL: Type.String({
    pattern: '^https?://[^?#]+$',
    default: 'https://api.telnyx.com/v2',
    description: 'Base of the Telnyx API v2 (a stand-in server in tests)',
  }),
  CARRIER_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 120_000,
    default: 10_000,
    description: 'Longest wait for one carrier API request; longer is answered 504 `PROVIDER_TIMEOUT`',
  }),
  CARRIER_RELEASE_RETRY_MS: Type.Integer({
    minimum: 10,
    maximum: 3_600_000,
    default: 30_000,
    description: 'First wait before a failed carrier release is tried again (doubling each time, at most 1 hour)',
  }),
  CARRIER_RELEASE_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 12,
    description: 'Release attempts before a release is marked `failed` (listed by `GET /v1/carrier-releases`, retried on request)',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 25_000,
    description:
      'On SIGTERM/SIGINT, in-flight requests get this long to finish; then the remaining connections are closed and the process exits 0 (keep it under the orchestrator\'s kill deadline, e.g. Kubernetes\' 30 s)',
  }),
  REDIS_URL: Type.Optional(
    Type.String({
      description:
        'e.g. `redis://127.0.0.1:6379`: per-key rate-limit counters live in Redis, so N instances allow `RATE_LIMIT_PER_MINUTE` in total (unset: per instance). Redis unreachable: requests are served, a warning is logged once a minute',
    }),
  ),
  REDIS_KEY_PREFIX: Type.String({
    default: 'switchboard:',
    description: 'Prefix of every Redis key Switchboard writes (installations sharing one Redis need different prefixes)',
  }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** The values a union of literals allows (`LOG_LEVEL`), or null for any other schema. */
function allowedValues(schema: TSchema): string[] | null {
  if (schema.type === 'boolean') return ['true', 'false'];
  if (!Array.isArray(schema.anyOf) || !(schema.anyOf as TSchema[]).every((option) => 'const' in option)) return null;
  return (schema.anyOf as TSchema[]).map((option) => String(option.const));
}

function describeProblem(problem: ValueError): string {
  const allowed = allowedValues(problem.schema);
  const message = allowed ? `must be one of ${allowed.join(', ')}` : problem.message.replace(/^Expected/, 'expected');
  const name = problem.path.slice(1);
  // A secret's value is never echoed, not even a malformed one.
  return /SECRET|PASSWORD|TOKEN/.test(name) ? `${name}: ${message}` : `${name}: ${message} (got ${JSON.stringify(problem.value)})`;
}

/**
 * Reads the settings from `env` once, at the process edge. `DATABASE_URL` comes back normalised:
 * a relative SQLite path made absolute against `cwd`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  const known = Object.fromEntries(
    Object.keys(ConfigSchema.properties)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  const candidate = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, known)) as Config;
  // One message per variable: the first problem TypeBox finds is the one that names the rule.
  const problems = new Map<string, string>();
  for (const problem of Value.Errors(ConfigSchema, candidate)) {
    const name = problem.path.slice(1).split('/')[0]!;
    if (!problems.has(name)) problems.set(name, describeProblem(problem));
  }
  if (!problems.has('DATABASE_URL')) {
    try {
      const location = parseDatabaseUrl(candidate.DATABASE_URL, cwd);
      if (location.engine === 'sqlite') candidate.DATABASE_URL = `sqlite:${location.file}`;
    } catch (error) {
      if (!(error instanceof DatabaseUrlError)) throw error;
      problems.set('DATABASE_URL', `DATABASE_URL: ${error.message}`);
    }
  }
  if (problems.size === 0) for (const problem of carrierProblems(candidate)) problems.set(problem.split(':')[0]!, problem);
  if (problems.size > 0) throw new ConfigError(`invalid configuration:\n  ${[...problems.values()].join('\n  ')}`);
  return candidate;
}

/** Settings that only make sense together (a Twilio account needs a credential, a default must be configured). */
function carrierProblems(config: Config): string[] {
  const problems: string[] = [];
  const twilioCredential = config.TWILIO_AUTH_TOKEN !== undefined || config.TWILIO_API_KEY_SID !== undefined;
  if (config.TWILIO_ACCOUNT_SID !== undefined && !twilioCredential) {
    problems.push('TWILIO_ACCOUNT_SID: needs TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET');
  }
  if (config.TWILIO_ACCOUNT_SID === undefined && twilioCredential) problems.push('TWILIO_ACCOUNT_SID: is required with a Twilio credential');
  if ((config.TWILIO_API_KEY_SID === undefined) !== (config.TWILIO_API_KEY_SECRET === undefined)) {
    problems.push('TWILIO_API_KEY_SECRET: TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET go together');
  }
  const configured: Record<string, boolean> = { inventory: true, twilio: config.TWILIO_ACCOUNT_SID !== undefined, telnyx: config.TELNYX_API_KEY !== undefined };
  if (config.NUMBER_PROVIDER_DEFAULT && !configured[config.NUMBER_PROVIDER_DEFAULT]) {
    problems.push(`NUMBER_PROVIDER_DEFAULT: ${config.NUMBER_PROVIDER_DEFAULT} is not configured`);
  }
  return problems;
}
