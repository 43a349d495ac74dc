import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type Level = (typeof LEVELS)[number];

/**
 * `request.log` built when it is first used. Fastify makes a child logger for every request
 * (bound to its request id), and with redaction configured pino runs the redactor over those
 * bindings for each one; yet a request that succeeds logs nothing through it (the access line is
 * written directly, access-log.ts). Each method builds the very child Fastify would have built,
 * once, and logs through it: the lines are the same, only requests that log pay for the child.
 */
class DeferredChildLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  /** The child Fastify would have built, built now. */
  get logger(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.logger.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

// One method per level, on the prototype (nothing per instance): pino's methods take several
// argument lists, so whatever came is passed on as it came, to the child.
for (const level of LEVELS) {
  (DeferredChildLogger.prototype as unknown as Record<Level, (...args: unknown[]) => void>)[level] = function (this: DeferredChildLogger, ...args: unknown[]) {
    const logger = this.logger;
    Reflect.apply(logger[level], logger, args);
  };
}

/** Fastify's `childLoggerFactory`: the per-request child, built on first use. */
export const deferredChildLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) =>
  new DeferredChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
