import type { FastifyInstance } from 'fastify';
import pino from 'pino';

/** Where the production logger writes: anything with `write(line)`. */
export interface LogStream {
  write(line: string): unknown;
}

/** Buffered lines are written at least this often when traffic is too thin to fill the buffer. */
const FLUSH_INTERVAL_MS = 1000;

/** Standard output as `stdoutDestination` buffers it: lines in, whole chunks out. */
export interface BufferedStdout extends LogStream {
  flush(): void;
}

/**
 * Standard output, written asynchronously in chunks of at least 32 KB: one write(2) per request
 * cost more than building the line (BENCHMARKS.md). The lines are kept as UTF-8 bytes (pino's
 * `buffer` content mode), each encoded once: kept as text, sonic-boom measured the text it had
 * gathered again for every line and encoded it all on each write, which grew with the chunk and
 * was a tenth of a GET's CPU. pino flushes what is buffered synchronously when the process exits:
 * after the SIGTERM shutdown (`process.exit`) and on a fatal error (the `exit` event comes before
 * the process dies). `flushPeriodically` bounds how long a line waits.
 */
export function stdoutDestination(): BufferedStdout {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 32 * 1024, maxWrite: 64 * 1024, contentMode: 'buffer' });
  // pino writes text: encoded here, on the way in. The method is looked up at each call, as pino
  // replaces it when standard output is closed under it (EPIPE).
  return { write: (line: string) => destination.write(Buffer.from(line) as never), flush: () => destination.flush() };
}

/** Writes what is buffered every second, for traffic too thin to fill the buffer, and on close. */
export function flushPeriodically(app: FastifyInstance, destination: BufferedStdout): void {
  const timer = setInterval(() => destination.flush(), FLUSH_INTERVAL_MS).unref();
  app.addHook('onClose', (_app, done) => {
    clearInterval(timer);
    destination.flush();
    done();
  });
}

/**
 * One access line per request (`msg: "request"`): request id, method, path, status, time and the
 * caller's workspace and key ids, never the key. None of these can hold a secret, so the line
 * skips the redaction walk; everything else, errors included, is still logged through the
 * redacting logger.
 *
 * With the logger buildApp made (`stream` given), the line is formatted here, byte for byte as
 * pino would (level, time, the logger's bindings, the fields, msg), and written to its stream:
 * pino's generic path (child logger, object walk, serialisers) was most of the line's cost.
 * With a logger passed in, whose options are not known, it goes through that logger.
 */
export function registerAccessLog(app: FastifyInstance, stream: LogStream | null): void {
  if (stream === null) {
    const accessLog = app.log.child({}, { redact: [] });
    app.addHook('onResponse', (request, reply, done) => {
      accessLog.info(
        {
          reqId: request.id,
          method: request.method,
          url: request.url,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          workspaceId: request.actor?.workspaceId,
          keyId: request.actor?.keyId ?? undefined,
        },
        'request',
      );
      done();
    });
    return;
  }
  const log = app.log as unknown as pino.Logger;
  const bindings = (log as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  const info = pino.levels.values.info!;
  app.addHook('onResponse', (request, reply, done) => {
    // Checked per request: the level may be changed at run time.
    if (log.levelVal <= info) {
      const actor = request.actor;
      const caller =
        actor === undefined ? '' : actor.keyId ? `,"workspaceId":${JSON.stringify(actor.workspaceId)},"keyId":${JSON.stringify(actor.keyId)}` : `,"workspaceId":${JSON.stringify(actor.workspaceId)}`;
      stream.write(
        `{"level":${info},"time":${Date.now()}${bindings},"reqId":${JSON.stringify(request.id)},"method":${JSON.stringify(request.method)},"url":${JSON.stringify(request.url)},"status":${reply.statusCode},"ms":${Math.round(reply.elapsedTime * 10) / 10}${caller},"msg":"request"}\n`,
      );
    }
    done();
  });
}
