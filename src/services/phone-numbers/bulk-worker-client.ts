import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Actor } from '../context.ts';
import { ServiceError } from '../errors.ts';
import { LoopBudget } from '../loop-budget.ts';
import type { WorkerError, WorkerReply, WorkerRequest, WorkerSetup } from './bulk-worker-protocol.ts';
import type { BulkItemResult, ImportOptions } from './imports.ts';

/** Items per message to the worker, and results per message back: each a few milliseconds to encode or decode. */
const SLICE = 250;

/** Encoded input decoded on the worker and held there, under `id`, until it is run or dropped. */
export interface DecodedOnWorker {
  id: number;
  count: number;
  fingerprint?: string;
}

interface Waiting<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** An import on the worker: its results, and when the worker is done with the file (the checkpoint after the commit; never rejects). */
export interface WorkerRun {
  results: Promise<BulkItemResult[]>;
  settled: Promise<void>;
}

interface Running extends Waiting<Uint8Array[]> {
  replies: Uint8Array[];
  settle(): void;
}

/**
 * The main thread's side of the bulk-import worker (bulk-worker.ts), for a SQLite file: a
 * 10,000-number import's validation, inserts, commit and WAL checkpoint run there, on a connection
 * of their own, while this thread's event loop keeps answering routing decisions. What crosses
 * between the threads is JSON in slices (a structured clone of 10,000 items was 100-260 ms of
 * this thread's time), encoded and decoded here a slice per turn of the event loop, or the bytes
 * of a request, decoded there (`decode`); the results come back as JSON bytes, transferred.
 *
 * Started on the first import that needs it, and kept (unref'd: it never holds the process open).
 */
export class BulkImportWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly decodes = new Map<number, Waiting<DecodedOnWorker>>();
  private readonly runs = new Map<number, Running>();

  constructor(private readonly setup: Omit<WorkerSetup, 'replySlice'>) {}

  /** Hands `bytes` to the worker's decoder; the items stay there. Rejects with what the decoder threw. */
  decode(bytes: Uint8Array, request: unknown): Promise<DecodedOnWorker> {
    const worker = this.started();
    const id = this.nextId++;
    const decoded = new Promise<DecodedOnWorker>((resolve, reject) => this.decodes.set(id, { resolve, reject }));
    post(worker, { type: 'encoded', id, bytes, request });
    return decoded;
  }

  /** Forgets decoded input that will not be imported (the request ended before its import ran). */
  drop(id: number): void {
    if (this.worker) post(this.worker, { type: 'drop', id });
  }

  importMany(actor: Actor, inputs: unknown[], options: ImportOptions, now: string): WorkerRun {
    const worker = this.started();
    const id = this.nextId++;
    const sent = (async () => {
      const budget = new LoopBudget();
      for (let start = 0; start < inputs.length; start += SLICE) {
        await budget.breathe();
        post(worker, { type: 'items', id, json: JSON.stringify(inputs.slice(start, start + SLICE)) });
      }
    })();
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const results = sent.then(
      () => {
        const run = this.run(id, actor, options, now);
        void run.settled.then(settle);
        return run.results;
      },
      (error: Error) => {
        settle();
        throw error;
      },
    );
    return { results, settled };
  }

  /** Imports what `decode` left on the worker under `id`. */
  run(id: number, actor: Actor, options: ImportOptions, now: string): WorkerRun {
    const worker = this.started();
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const replies = new Promise<Uint8Array[]>((resolve, reject) => this.runs.set(id, { replies: [], resolve, reject, settle }));
    post(worker, { type: 'run', id, actor: { workspaceId: actor.workspaceId, keyId: actor.keyId, scopes: [...actor.scopes] }, options, now });
    return { results: decoded(replies), settled };
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = workerFor({ ...this.setup, replySlice: SLICE });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.receive(reply));
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const waiting of this.decodes.values()) waiting.reject(error);
      for (const running of this.runs.values()) {
        running.reject(error);
        running.settle();
      }
      this.decodes.clear();
      this.runs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the bulk-import worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private receive(reply: WorkerReply): void {
    const decode = this.decodes.get(reply.id);
    if (decode) {
      this.decodes.delete(reply.id);
      if (reply.type === 'decoded') decode.resolve({ id: reply.id, count: reply.count, ...(reply.fingerprint === undefined ? {} : { fingerprint: reply.fingerprint }) });
      else if (reply.type === 'failed') decode.reject(errorOf(reply.error));
      return;
    }
    const run = this.runs.get(reply.id);
    if (!run) return;
    if (reply.type === 'results') run.replies.push(reply.json);
    else if (reply.type === 'done') run.resolve(run.replies);
    else if (reply.type === 'checkpointed' || reply.type === 'failed') {
      this.runs.delete(reply.id);
      if (reply.type === 'failed') run.reject(errorOf(reply.error));
      run.settle();
    }
  }
}

/** The results, decoded here, not as the messages arrive: queued messages are delivered in one turn. */
async function decoded(replies: Promise<Uint8Array[]>): Promise<BulkItemResult[]> {
  const budget = new LoopBudget();
  const utf8 = new TextDecoder();
  const results: BulkItemResult[] = [];
  for (const json of await replies) {
    await budget.breathe();
    for (const result of JSON.parse(utf8.decode(json)) as BulkItemResult[]) results.push(result);
  }
  return results;
}

function post(worker: Worker, message: WorkerRequest): void {
  worker.postMessage(message);
}

/** The error the worker's job ended with, as it was thrown there (a ServiceError, or an error with the same code and data properties). */
function errorOf(error: WorkerError): Error {
  if (error.service) return new ServiceError(error.code, error.message, error.issues);
  return Object.assign(new Error(error.message), error.properties, error.code === undefined ? {} : { code: error.code });
}

/**
 * Runs the sources (tsx, as in development and tests) or the build (dist/bulk-import-worker.js,
 * an entry point of its own in scripts/build.mjs, beside dist/switchboard.js and dist/chunks/).
 * The entry point is src/bulk-import-worker.ts: this module's loop (bulk-worker.ts) with the
 * transport's decoder.
 */
function workerFor(setup: WorkerSetup): Worker {
  // A worker inherits the process's Node flags; `--input-type` (a CLI run as `node -e`) is refused for a file.
  const inherited = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
  try {
    return new Worker(workerEntry(), { workerData: setup, execArgv: inherited });
  } catch (error) {
    // Per-process flags (`--max-old-space-size`, `--trace-gc`, `--title`) are refused for a
    // thread; the process already applies them, and the worker needs none of its own.
    if ((error as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    return new Worker(workerEntry(), { workerData: setup, execArgv: [] });
  }
}

function workerEntry(): URL | string {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = new URL('../../bulk-import-worker.ts', here).href;
    const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(entry)});`;
    return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
  }
  let dir = path.dirname(fileURLToPath(here));
  if (path.basename(dir) === 'chunks') dir = path.dirname(dir);
  return path.join(dir, 'bulk-import-worker.js');
}
