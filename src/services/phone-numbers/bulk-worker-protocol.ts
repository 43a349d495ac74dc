import type { ErrorCode, FieldIssue } from '../errors.ts';
import type { ImportOptions } from './service.ts';

/** What the bulk-import worker is started with (its `workerData`). */
export interface WorkerSetup {
  /** The SQLite file the main thread has open. */
  file: string;
  /** The secrets key, so that the worker seals SIP passwords exactly as the main thread would. */
  secretKey: Uint8Array;
  /** Results per reply message. */
  replySlice: number;
}

/** Main thread → worker: an import's items in slices (JSON text: far cheaper to pass than cloned objects), then the run. */
export type WorkerRequest =
  | { type: 'items'; id: number; json: string }
  | { type: 'run'; id: number; actor: { workspaceId: string; keyId: string | null; scopes: string[] }; options: ImportOptions; now: string };

/** Worker → main thread: the per-item results in slices, then done; or the error that ended the import. */
export type WorkerReply =
  | { type: 'results'; id: number; json: string }
  | { type: 'done'; id: number }
  | { type: 'failed'; id: number; error: { service: true; code: ErrorCode; message: string; issues: FieldIssue[] } | { service: false; code: string | undefined; message: string } };
