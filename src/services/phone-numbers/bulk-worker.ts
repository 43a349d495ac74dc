/**
 * The worker thread a SQLite file's bulk imports run on (see bulk-worker-client.ts): its own
 * connection to the file and its own PhoneNumberService, whose `importMany` runs in process here,
 * exactly as it would on the main thread (validation, the one transaction, the audit events). The
 * commit and the WAL checkpoint after it, the longest pieces of synchronous work of an import,
 * stall only this thread; WAL lets the main thread's connections read meanwhile. Encoded input (a
 * bulk request's bytes) is decoded here too, by the transport's decoder, so that parsing and
 * validating a large body never stalls the main thread either.
 *
 * Started by the worker's entry point (src/bulk-import-worker.ts), which supplies the decoder.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { openDatabase } from '../../db/database.ts';
import { SecretBox } from '../../domain/secrets.ts';
import { ChangeFeed } from '../change-feed.ts';
import type { Scope } from '../context.ts';
import { ServiceError } from '../errors.ts';
import { PhoneNumberService } from './service.ts';
import type { ImportDecoder, WorkerError, WorkerReply, WorkerRequest, WorkerSetup } from './bulk-worker-protocol.ts';

export async function serveBulkImports(decode: ImportDecoder): Promise<void> {
  const setup = workerData as WorkerSetup;
  const port = parentPort!;
  const database = await openDatabase(`sqlite:${setup.file}`);
  // Checkpoints are this thread's job, after each import, not a side effect of its commit.
  await sql`pragma wal_autocheckpoint = 0`.execute(database.db);
  let now = new Date();
  // No listeners: the main thread publishes what was created into its own feed, once it has the results.
  const service = new PhoneNumberService({ database, secrets: new SecretBox(Buffer.from(setup.secretKey)), clock: () => now }, new ChangeFeed(), { bulkImportWorker: false });
  const pending = new Map<number, unknown[]>();
  const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const utf8 = new TextEncoder();

  port.on('message', (message: WorkerRequest) => {
    switch (message.type) {
      case 'items':
        pending.set(message.id, [...(pending.get(message.id) ?? []), ...(JSON.parse(message.json) as unknown[])]);
        return;
      case 'encoded':
        try {
          const { items, fingerprint } = decode(message.bytes, message.request);
          pending.set(message.id, items);
          reply({ type: 'decoded', id: message.id, count: items.length, ...(fingerprint === undefined ? {} : { fingerprint }) });
        } catch (error) {
          reply({ type: 'failed', id: message.id, error: describe(error) });
        }
        return;
      case 'drop':
        pending.delete(message.id);
        return;
      case 'run': {
        const inputs = pending.get(message.id) ?? [];
        pending.delete(message.id);
        void run(message.id, inputs, message);
      }
    }
  });

  async function run(id: number, inputs: unknown[], job: Extract<WorkerRequest, { type: 'run' }>): Promise<void> {
    try {
      now = new Date(job.now);
      const actor = { workspaceId: job.actor.workspaceId, keyId: job.actor.keyId, scopes: new Set(job.actor.scopes as Scope[]) };
      const results = await service.importMany(actor, inputs as never, job.options);
      // In slices, so that the main thread decodes each in a short turn of its event loop. As
      // bytes whose buffer is handed over: the main thread takes every message that is waiting
      // in one turn, and a copied 330 KB string each took 3-6 ms there (40 queued ones, one
      // 130-250 ms stall on a loaded machine); a transferred buffer costs it nothing to receive.
      for (let start = 0; start < results.length; start += setup.replySlice) {
        const json = utf8.encode(JSON.stringify(results.slice(start, start + setup.replySlice)));
        reply({ type: 'results', id, json }, [json.buffer]);
      }
      reply({ type: 'done', id });
    } catch (error) {
      reply({ type: 'failed', id, error: describe(error) });
      return;
    }
    // While the main thread takes in the results (the routing index, the response), which it may:
    // the import is committed. It holds its write connection until this is done.
    await checkpoint();
    reply({ type: 'checkpointed', id });
  }

  /**
   * Copies the import's pages from the WAL into the database file and empties the WAL, so that a
   * later small commit on the main thread never inherits a large checkpoint. The main thread holds
   * its own write connection meanwhile (no writer to wait for); readers are waited for here, on
   * this thread (busy_timeout). A checkpoint that cannot finish leaves the WAL for the next one.
   */
  async function checkpoint(): Promise<void> {
    try {
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(database.db);
    } catch {
      // Busy past the timeout: the pages stay in the WAL, readable and durable; the next import retries.
    }
  }
}

/** An error as the main thread rebuilds it (bulk-worker-client.ts): a ServiceError, or the message, code and own data properties. */
function describe(error: unknown): WorkerError {
  if (error instanceof ServiceError) return { service: true, code: error.code, message: error.message, issues: error.issues };
  const { message, code } = error as { message?: unknown; code?: unknown };
  const properties: Record<string, unknown> = {};
  if (error !== null && typeof error === 'object') {
    // Plain data only (what a structured clone keeps): Fastify's `statusCode`, a validation error's `validation` and `validationContext`.
    for (const [key, value] of Object.entries(error)) if (key !== 'message' && key !== 'stack' && typeof value !== 'function') properties[key] = value;
  }
  return { service: false, code: typeof code === 'string' ? code : undefined, message: typeof message === 'string' ? message : String(error), properties };
}
