import fs from 'node:fs';
import path from 'node:path';
import { cpuMsOf, run } from './processes.ts';

export interface LoadRequest {
  method: string;
  path: string;
  body?: string;
}

export interface LoadResult {
  durationSec: number;
  total: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** 2xx responses per second. */
  rps: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  /** CPU time the server used per 2xx response (µs): robust where wall-clock throughput is not, on a shared machine. */
  cpuUsPerRequest: number | null;
}

const WORKER = path.join(import.meta.dirname, '..', 'load-worker.mjs');

/** Runs autocannon in its own process against `url` and returns its figures. */
export async function runLoad(options: {
  url: string;
  /** The server's pid, to charge it the CPU time it spent. */
  pid: number;
  connections: number;
  durationSec: number;
  headers: Record<string, string>;
  requests: LoadRequest[];
  specDir: string;
}): Promise<LoadResult> {
  fs.mkdirSync(options.specDir, { recursive: true });
  const specFile = path.join(options.specDir, `load-${process.pid}.json`);
  fs.writeFileSync(
    specFile,
    JSON.stringify({
      url: options.url,
      connections: options.connections,
      durationSec: options.durationSec,
      headers: options.headers,
      requests: options.requests,
    }),
  );
  try {
    const cpuBefore = cpuMsOf(options.pid);
    const { stdout } = await run([WORKER, specFile], {});
    const cpuAfter = cpuMsOf(options.pid);
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult;
    result.cpuUsPerRequest = cpuBefore === null || cpuAfter === null || result.ok === 0 ? null : ((cpuAfter - cpuBefore) * 1000) / result.ok;
    return result;
  } finally {
    fs.rmSync(specFile, { force: true });
  }
}

/** Sequential requests, one at a time: the latency of a single caller, not throughput. */
export async function sequentialLatency(
  count: number,
  send: (index: number) => Promise<Response>,
): Promise<{ p50: number; p99: number; mean: number; status: Record<string, number> }> {
  const times: number[] = [];
  const status: Record<string, number> = {};
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    const response = await send(index);
    await response.arrayBuffer();
    times.push(performance.now() - started);
    status[response.status] = (status[response.status] ?? 0) + 1;
  }
  times.sort((a, b) => a - b);
  return {
    p50: times[Math.floor(times.length * 0.5)]!,
    p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!,
    mean: times.reduce((sum, t) => sum + t, 0) / times.length,
    status,
  };
}
