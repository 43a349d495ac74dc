import type { ErrorCode, FieldIssue } from '../errors.ts';
import type { ImportOptions } from './imports.ts';

/** What the bulk-import worker is started with (its `workerData`). */
export interface WorkerSetup {
  /** The SQLite file the main thread has open. */
  file: string;
  /** The secrets key, so that the worker seals SIP passwords exactly as the main thread would. */
  secretKey: Uint8Array;
  /** Results per reply message. */
  replySlice: number;
}

/**
 * Turns an import's encoded input (the bytes of a bulk request) into its items on the worker
 * thread, or throws what the input is rejected with. The transport's, handed to `serveBulkImports`
 * by the worker's entry point (src/bulk-import-worker.ts); `request` is the transport's too.
 */
export type ImportDecoder = (bytes: Uint8Array, request: unknown) => { items: unknown[]; fingerprint?: string };

/**
 * Main thread → worker: an import's items in slices (JSON text: far cheaper to pass than cloned
 * objects), or its encoded input to decode (then held until `run` or `drop`); then the run.
 */
export type WorkerRequest =
  | { type: 'items'; id: number; json: string }
  | { type: 'encoded'; id: number; bytes: Uint8Array; request: unknown }
  | { type: 'drop'; id: number }
  | { type: 'run'; id: number; actor: { workspaceId: string; keyId: string | null; scopes: string[] }; options: ImportOptions; now: string };

/** An error the worker ended a job with: a ServiceError, or any other error with its own data properties (code, statusCode, …). */
export type WorkerError =
  | { service: true; code: ErrorCode; message: string; issues: FieldIssue[] }
  | { service: false; code: string | undefined; message: string; properties: Record<string, unknown> };

/**
 * Worker → main thread: encoded input decoded (and held); the per-item results in slices (JSON as
 * UTF-8 bytes whose buffer is transferred, not copied), then done, then checkpointed (the WAL
 * copied into the file, after the results are on their way); or the error that ended the job.
 */
export type WorkerReply =
  | { type: 'decoded'; id: number; count: number; fingerprint?: string }
  | { type: 'results'; id: number; json: Uint8Array }
  | { type: 'done'; id: number }
  | { type: 'checkpointed'; id: number }
  | { type: 'failed'; id: number; error: WorkerError };
