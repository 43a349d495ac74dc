import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Actor } from '../context.ts';
import { ServiceError } from '../errors.ts';
import { LoopBudget } from '../loop-budget.ts';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './bulk-worker-protocol.ts';
import type { BulkItemResult, ImportOptions } from './service.ts';

/** Items per message to the worker, and results per message back: each a few milliseconds to encode or decode. */
const SLICE = 250;

interface Job {
  replies: string[];
  resolve(results: BulkItemResult[]): void;
  reject(error: Error): void;
}

/**
 * The main thread's side of the bulk-import worker (bulk-worker.ts), for a SQLite file: a
 * 10,000-number import's validation, inserts, commit and WAL checkpoint run there, on a connection
 * of their own, while this thread's event loop keeps answering routing decisions. What crosses
 * between the threads is JSON text in slices (a structured clone of 10,000 items was 100-260 ms
 * of this thread's time), encoded and decoded here a slice per turn of the event loop.
 *
 * Started on the first import that needs it, and kept (unref'd: it never holds the process open).
 */
export class BulkImportWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly jobs = new Map<number, Job>();

  constructor(private readonly setup: Omit<WorkerSetup, 'replySlice'>) {}

  async importMany(actor: Actor, inputs: unknown[], options: ImportOptions, now: string): Promise<BulkItemResult[]> {
    const worker = this.started();
    const id = this.nextId++;
    const replies = new Promise<string[]>((resolve, reject) => this.jobs.set(id, { replies: [], resolve: resolve as never, reject }));
    const budget = new LoopBudget();
    for (let start = 0; start < inputs.length; start += SLICE) {
      await budget.breathe();
      post(worker, { type: 'items', id, json: JSON.stringify(inputs.slice(start, start + SLICE)) });
    }
    post(worker, { type: 'run', id, actor: { workspaceId: actor.workspaceId, keyId: actor.keyId, scopes: [...actor.scopes] }, options, now });
    // Decoded here, not as the messages arrive: queued messages are delivered in one turn.
    const results: BulkItemResult[] = [];
    for (const json of await replies) {
      await budget.breathe();
      for (const result of JSON.parse(json) as BulkItemResult[]) results.push(result);
    }
    return results;
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
    worker.on('message', (reply: WorkerReply) => {
      const job = this.jobs.get(reply.id);
      if (!job) return;
      if (reply.type === 'results') job.replies.push(reply.json);
      else {
        this.jobs.delete(reply.id);
        if (reply.type === 'done') job.resolve(job.replies as never);
        else job.reject(errorOf(reply.error));
      }
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const job of this.jobs.values()) job.reject(error);
      this.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the bulk-import worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

function post(worker: Worker, message: WorkerRequest): void {
  worker.postMessage(message);
}

/** The error the worker's import ended with, as the service would have thrown it in process. */
function errorOf(error: Extract<WorkerReply, { type: 'failed' }>['error']): Error {
  if (error.service) return new ServiceError(error.code, error.message, error.issues);
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

/**
 * Runs the sources (tsx, as in development and tests) or the build (dist/bulk-import-worker.js,
 * an entry point of its own in scripts/build.mjs, beside dist/switchboard.js and dist/chunks/).
 */
function workerFor(setup: WorkerSetup): Worker {
  const here = import.meta.url;
  // A worker inherits the process's Node flags; `--input-type` (a CLI run as `node -e`) is refused for a file.
  const options = { workerData: setup, execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')) };
  if (here.endsWith('.ts')) {
    const entry = new URL('./bulk-worker.ts', here).href;
    const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(entry)});`;
    return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), options);
  }
  let dir = path.dirname(fileURLToPath(here));
  if (path.basename(dir) === 'chunks') dir = path.dirname(dir);
  return new Worker(path.join(dir, 'bulk-import-worker.js'), options);
}
