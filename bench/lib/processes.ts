import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Child {
  process: ChildProcess;
  pid: number;
  port: number;
  url: string;
  /** Milliseconds from spawn to the first successful readiness probe. */
  readyMs: number;
  logFile: string;
  stop(): Promise<void>;
}

/** Resident and peak resident memory of a process, from /proc (Linux); null elsewhere. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc; null elsewhere. */
export function cpuMsOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = 100;

async function waitReady(child: ChildProcess, url: string, timeoutMs: number, exited: () => string | null, logFile?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    const reason = exited();
    if (reason) throw new Error(reason);
    // A server can report a fatal start error and linger without listening.
    if (++polls % 50 === 0 && logFile && /^switchboard: (?!serving |using )/m.test(fs.readFileSync(logFile, 'utf8'))) {
      child.kill('SIGKILL');
      throw new Error(`${url} failed to start: ${tail(logFile)}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${url} not ready after ${timeoutMs} ms`);
    }
    await sleep(10);
  }
}

/**
 * Starts a process that serves HTTP on `port`, output to a log file (a pipe to this process would
 * make the bench itself part of what is measured), and waits until `readyPath` answers 2xx.
 */
export async function startProcess(options: {
  name: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  readyPath: string;
  logDir: string;
  timeoutMs?: number;
}): Promise<Child> {
  fs.mkdirSync(options.logDir, { recursive: true });
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const log = fs.openSync(logFile, 'w');
  const started = performance.now();
  const child = spawn(process.execPath, options.args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  let exitReason: string | null = null;
  child.once('exit', (code, signal) => {
    exitReason = `${options.name} exited (${code ?? signal}) before it was ready; see ${logFile}:\n${tail(logFile)}`;
  });
  const url = `http://127.0.0.1:${options.port}`;
  await waitReady(child, `${url}${options.readyPath}`, options.timeoutMs ?? 120_000, () => exitReason, logFile);
  const readyMs = performance.now() - started;
  return {
    process: child,
    pid: child.pid!,
    port: options.port,
    url,
    readyMs,
    logFile,
    stop: () => stopChild(child),
  };
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Runs a command to completion and returns its stdout; throws with stderr on failure. */
export async function run(args: string[], env: Record<string, string>, options: { cwd?: string } = {}): Promise<{ stdout: string; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  if (code !== 0) throw new Error(`node ${args.join(' ')} failed (${code}):\n${stderr || stdout}`);
  return { stdout, ms: performance.now() - started };
}
