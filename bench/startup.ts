/**
 * Startup of `node bin/switchboard.mjs serve` against an existing store: time to the first
 * /healthz 200, time until the routing index reports `ready` (the same moment on servers that
 * do not report it), resident memory at both moments and the peak, and the server's CPU time.
 *
 *   node --import tsx bench/startup.ts <DATABASE_URL> <SWITCHBOARD_SECRET_KEY> [runs] [checkout]
 *
 * `checkout` (default: this one) lets the same script time another worktree, for before/after.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMsOf, freePort, memoryOf, ROOT } from './lib/processes.ts';

const [databaseUrl, secretKey, runsArg, checkout] = process.argv.slice(2);
if (!databaseUrl || !secretKey) {
  process.stderr.write('usage: bench/startup.ts <DATABASE_URL> <SWITCHBOARD_SECRET_KEY> [runs] [checkout]\n');
  process.exit(2);
}
const cli = path.join(checkout ? path.resolve(checkout) : ROOT, 'bin', 'switchboard.mjs');

interface Health {
  status: string;
  routing_index?: string;
}

async function health(url: string): Promise<{ ok: boolean; body: Health } | null> {
  try {
    const response = await fetch(url);
    return { ok: response.ok, body: (await response.json()) as Health };
  } catch {
    return null;
  }
}

async function once(): Promise<Record<string, number>> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'serve'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, SWITCHBOARD_SECRET_KEY: secretKey, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = child.pid!;
  const figures: Record<string, number> = {};
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      const answer = await health(`http://127.0.0.1:${port}/healthz`);
      if (answer?.ok && figures.healthyMs === undefined) {
        figures.healthyMs = performance.now() - started;
        figures.healthyCpuMs = cpuMsOf(pid)!;
        figures.healthyRssMb = memoryOf(pid)!.rssMb;
      }
      if (answer?.ok && (answer.body.routing_index ?? 'ready') === 'ready') {
        figures.indexReadyMs = performance.now() - started;
        figures.indexReadyCpuMs = cpuMsOf(pid)!;
        figures.indexReadyRssMb = memoryOf(pid)!.rssMb;
        break;
      }
      await sleep(20);
    }
    // Let the garbage of the load be collected, as it would be under traffic.
    await sleep(3000);
    const memory = memoryOf(pid)!;
    figures.settledRssMb = memory.rssMb;
    figures.peakRssMb = memory.peakMb;
    return figures;
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const runs = Number(runsArg ?? 1);
const all: Record<string, number>[] = [];
for (let run = 0; run < runs; run++) {
  const figures = await once();
  all.push(figures);
  process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([key, value]) => [key, Math.round(value)])))}\n`);
}
if (runs > 1) {
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const keys = Object.keys(all[0]!);
  process.stdout.write(`median ${JSON.stringify(Object.fromEntries(keys.map((key) => [key, Math.round(median(all.map((figures) => figures[key]!)))])))}\n`);
}
