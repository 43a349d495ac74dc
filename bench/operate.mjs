// Start-up costs a user pays: the bin alone, one CLI command, npx's own share, and the server's
// time to a 200 from /healthz, for the compiled build (dist/) and, for comparison, the TypeScript
// sources through tsx. `node bench/operate.mjs [runs]` (default 5); prints a Markdown table.
// Run `npm run build` first. Wall-clock time per run, best and median.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { RUN_ENTRY } from '../scripts/run-entry.mjs';

const root = path.resolve(import.meta.dirname, '..');
const runs = Number(process.argv[2] ?? 5);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-operate-'));
const env = { ...process.env, DATABASE_URL: `sqlite:${path.join(work, 'sb.db')}`, LOG_LEVEL: 'warn' };
// npm links a package's own bin nowhere in its own node_modules/.bin; `npx switchboard` runs this file.
const bin = path.join(root, 'bin', 'switchboard.mjs');
// What the bin does with the sources when dist/ is stale: import runCli from src/cli/main.ts through tsx.
const tsxArgs = ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', RUN_ENTRY, path.join(root, 'src', 'cli', 'main.ts')];
const version = spawnSync(process.execPath, [bin, '--version'], { env, cwd: work }).status === 0 ? '--version' : '--help';

const cpu = new Map();

/** Wall-clock ms of one run; its CPU seconds (user + system, from GNU time) are kept per label. */
function timed(command, args, cwd = work, label = `${command} ${args[1] ?? args[0]}`) {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', command, ...args], { env, cwd, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  const [, user, system] = /cpu (\S+) (\S+)\s*$/.exec(result.stderr) ?? [];
  cpu.set(label, [...(cpu.get(label) ?? []), Number(user) + Number(system)]);
  return wall;
}

/** Milliseconds from spawning `serve` to the first 200 from /healthz. */
async function timeToHealthy(args, port) {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...args, 'serve'], { env: { ...env, PORT: String(port) }, cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`serve exited before /healthz answered: ${stderr}`);
      const ok = await new Promise((resolve) => {
        http.get(`http://127.0.0.1:${port}/healthz`, (response) => {
          response.resume();
          resolve(response.statusCode === 200);
        }).on('error', () => resolve(false));
      });
      if (ok) return Number(process.hrtime.bigint() - started) / 1e6;
      await sleep(10);
    }
  } finally {
    if (!exited) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
}

async function measure(label, once) {
  const samples = [];
  cpu.clear();
  for (let i = 0; i < runs; i++) samples.push(await once(i));
  samples.sort((a, b) => a - b);
  const cpus = [...cpu.values()].flat().sort((a, b) => a - b);
  return { label, best: samples[0], median: samples[Math.floor(samples.length / 2)], cpu: cpus.length ? cpus[Math.floor(cpus.length / 2)] : null };
}

timed(process.execPath, [bin, 'migrate']); // the store exists before anything is measured
const rows = [
  await measure(`\`bin/switchboard.mjs ${version}\``, () => timed(process.execPath, [bin, version])),
  await measure(`\`node --import tsx src/cli/main.ts ${version}\` (sources)`, () => timed(process.execPath, [...tsxArgs, version])),
  await measure('`bin/switchboard.mjs keys create`', (i) => timed(process.execPath, [bin, 'keys', 'create', '--workspace', `bench-${i}`])),
  await measure('`node --import tsx src/cli/main.ts keys create` (sources)', (i) => timed(process.execPath, [...tsxArgs, 'keys', 'create', '--workspace', `bench-tsx-${i}`])),
  await measure(`\`npx switchboard ${version}\``, () => timed('npx', ['--no-install', 'switchboard', version], root)),
  await measure('`serve` to /healthz 200 (dist)', (i) => timeToHealthy([path.join(root, 'bin', 'switchboard.mjs')], 39100 + i)),
  await measure('`serve` to /healthz 200 (sources, tsx)', (i) => timeToHealthy(tsxArgs, 39200 + i)),
];
fs.rmSync(work, { recursive: true, force: true });
const [load1] = os.loadavg();
console.log(`${runs} runs each, load average ${load1.toFixed(1)} on ${os.cpus().length} cores\n`);
console.log('| what | wall, best | wall, median | CPU, median |\n| --- | --- | --- | --- |');
for (const row of rows) {
  console.log(`| ${row.label} | ${(row.best / 1000).toFixed(2)} s | ${(row.median / 1000).toFixed(2)} s | ${row.cpu === null ? '–' : `${row.cpu.toFixed(2)} s`} |`);
}
