import fs from 'node:fs';
import path from 'node:path';
import type { HttpFigure } from './main.ts';
import type { memoryOf } from './lib/processes.ts';
import { ROOT } from './lib/processes.ts';
import type { SeedState, StoreName } from './lib/store.ts';

type Latency = { p50: number; p99: number; mean: number; status: Record<string, number> };
type Rate = { numbers: number; seconds: number; perSecond: number };

export interface StoreReport {
  store: StoreName;
  size: number;
  seed: SeedState['seed'];
  readyMs: number;
  /** When /healthz first said `routing_index: "ready"` (ms from start), and the memory then; null when not reported. */
  indexReady: { ms: number; memory: ReturnType<typeof memoryOf> } | null;
  memory: { atReady: ReturnType<typeof memoryOf>; afterLoad: ReturnType<typeof memoryOf> };
  http: HttpFigure[];
  scale: { firstPage: Latency; lastPage: Latency; byNumber: Latency; byId: Latency; offsetFirst: Latency | null; offsetLast: Latency | null };
  import: { bulk: Rate | null; cli: Rate | null };
}

export interface Report {
  mode: 'quick' | 'full';
  command: string;
  machine: { cpu: string; cores: number; memoryGb: number; node: string; os: string };
  startedAt: string;
  seconds: number;
  profile: { size: number; importSize: number; durationSec: number; warmupSec: number; connections: number };
  stores: StoreReport[];
  notes: string[];
}

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number | null | undefined) => (value === null || value === undefined ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const cpu = (value: number | null) => (value === null ? '–' : String(Math.round(value)));
const cpuRatio = (bare: number | null, real: number | null) => (bare === null || real === null ? '–' : `${((bare / real) * 100).toFixed(0)}%`);
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

/** The issue's targets, checked against one store's figures. */
// Issue 15: the bulk API ≥ 15,000/s (SQLite) and ≥ 10,000/s (PostgreSQL), the CLI ≥ 20,000/s (SQLite).
const IMPORT_TARGET: Record<StoreName, number> = { sqlite: 15_000, postgres: 10_000 };
const CLI_IMPORT_TARGET: Partial<Record<StoreName, number>> = { sqlite: 20_000 };

export function renderReport(report: Report): string {
  const lines: string[] = [];
  const { machine, profile } = report;
  lines.push(
    `Command: \`${report.command}\`  `,
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGb.toFixed(0)} GB RAM, Node ${machine.node}, ${machine.os}  `,
    `Date: ${report.startedAt} (took ${Math.round(report.seconds)} s)  `,
    `Sizes: ${n(profile.size)} numbers in one workspace; HTTP: ${profile.connections} connections, keep-alive, ${profile.durationSec} s per measurement after ${profile.warmupSec} s warm-up; bulk import: ${n(profile.importSize)} numbers`,
    '',
    '### HTTP throughput and latency',
    '',
    'Server: `node bin/switchboard.mjs serve` (LOG_LEVEL=info unless noted), autocannon in its own process. ',
    '"bare" is a bare Fastify route in its own process sending the same response bytes, measured in the same run just before; the ratio is the figure that counts.',
    '',
    'Each figure alternates bare and real in rounds; "ratio" is the median of the per-round ratios. "CPU µs/req" is the CPU time the server process spent per 2xx response (from /proc), which drifts much less than wall-clock throughput when other work shares the machine; "CPU ratio" = bare CPU / real CPU, the throughput ratio one would see on an otherwise idle machine.',
    '',
    '| store | scenario | req/s | p50 ms | p99 ms | bare req/s | ratio | CPU µs/req (real / bare) | CPU ratio | target | non-2xx |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  );
  for (const store of report.stores) {
    for (const figure of store.http) {
      const { real, bare, target } = figure;
      let goal = '';
      if (target && Object.keys(target).length > 0) {
        const parts: string[] = [];
        let ok = true;
        if (target.ratio !== undefined) {
          parts.push(`≥ ${target.ratio * 100}%`);
          ok &&= figure.ratio >= target.ratio;
        }
        if (target.cpuRatio !== undefined) {
          parts.push(`CPU ratio ≥ ${target.cpuRatio}`);
          ok &&= real.cpuUsPerRequest != null && bare.cpuUsPerRequest != null && bare.cpuUsPerRequest / real.cpuUsPerRequest >= target.cpuRatio;
        }
        if (target.cpuUsMax !== undefined) {
          parts.push(`CPU ≤ ${target.cpuUsMax} µs`);
          ok &&= (real.cpuUsPerRequest ?? Infinity) <= target.cpuUsMax;
        }
        if (target.p99Ms !== undefined) {
          parts.push(`p99 ≤ ${target.p99Ms} ms`);
          ok &&= (real.p99 ?? Infinity) <= target.p99Ms;
        }
        goal = figure.variant ? parts.join(', ') : `${parts.join(', ')}: ${verdict(ok)}`;
      }
      lines.push(
        `| ${store.store} | ${figure.label}${figure.variant ? ` (${figure.variant})` : ''} | ${n(real.rps)} | ${ms(real.p50)} | ${ms(real.p99)} | ${n(bare.rps)} | ${(figure.ratio * 100).toFixed(0)}% | ${cpu(real.cpuUsPerRequest)} / ${cpu(bare.cpuUsPerRequest)} | ${cpuRatio(bare.cpuUsPerRequest, real.cpuUsPerRequest)} | ${goal} | ${real.non2xx + real.errors + real.timeouts} |`,
      );
    }
  }
  lines.push('', `### Scale: ${n(profile.size)} numbers in one workspace`, '', '| store | measure | value | target |', '| --- | --- | --- | --- |');
  for (const store of report.stores) {
    const { scale, memory } = store;
    const flat = scale.lastPage.p50 / scale.firstPage.p50;
    const rows: Array<[string, string, string]> = [
      ['seeding through the bulk API', `${n(store.seed.numbersPerSecond)} numbers/s (${store.seed.seconds.toFixed(0)} s, seeded ${store.seed.at})`, ''],
      ['startup to ready (`serve` → /healthz 200)', `${(store.readyMs / 1000).toFixed(2)} s`, `≤ 5 s: ${verdict(store.readyMs <= 5000)}`],
      ...(store.indexReady
        ? [['routing index loaded in the background (`/healthz` `routing_index: ready`), RSS then', `${(store.indexReady.ms / 1000).toFixed(2)} s, ${ms(store.indexReady.memory?.rssMb)} MB`, 'reported, not a target'] as [string, string, string]]
        : []),
      ['RSS at ready / peak after the HTTP runs', `${ms(memory.atReady?.rssMb)} MB / ${ms(memory.afterLoad?.peakMb)} MB`, `≤ 1 GB: ${verdict((memory.afterLoad?.peakMb ?? 0) <= 1024)}`],
      ['list, first page (limit 50) p50 / p99', `${ms(scale.firstPage.p50)} / ${ms(scale.firstPage.p99)} ms`, ''],
      ['list, last page by cursor p50 / p99', `${ms(scale.lastPage.p50)} / ${ms(scale.lastPage.p99)} ms`, `last/first ≤ 1.5: ×${flat.toFixed(2)} ${verdict(flat <= 1.5)}`],
      ['lookup by number `GET /v1/phone-numbers/%2B1…` p50 / p99', `${ms(scale.byNumber.p50)} / ${ms(scale.byNumber.p99)} ms`, ''],
      ['lookup by id p50 / p99', `${ms(scale.byId.p50)} / ${ms(scale.byId.p99)} ms`, ''],
    ];
    if (scale.offsetFirst && scale.offsetLast) {
      rows.push(
        ['Synthflow `offset=0` page (limit 20) p50', `${ms(scale.offsetFirst.p50)} ms`, ''],
        [`Synthflow \`offset=${n(store.size - 20)}\` page p50`, `${ms(scale.offsetLast.p50)} ms (×${(scale.offsetLast.p50 / scale.offsetFirst.p50).toFixed(1)})`, 'reported, not a target'],
      );
    }
    for (const [measure, value, target] of rows) lines.push(`| ${store.store} | ${measure} | ${value} | ${target} |`);
  }
  lines.push('', `### Bulk import: ${n(profile.importSize)} numbers into an empty store`, '', '| store | path | numbers/s | time | target |', '| --- | --- | ---: | ---: | --- |');
  for (const store of report.stores) {
    const { bulk, cli } = store.import;
    const target = IMPORT_TARGET[store.store];
    if (bulk) lines.push(`| ${store.store} | \`POST /v1/phone-numbers/bulk\` (10,000 per request, 2 requests in flight) | ${n(bulk.perSecond)} | ${bulk.seconds.toFixed(2)} s | ≥ ${n(target)}/s: ${verdict(bulk.perSecond >= target)} |`);
    const cliTarget = CLI_IMPORT_TARGET[store.store];
    if (cli) lines.push(`| ${store.store} | \`switchboard numbers import <csv>\` (process start included) | ${n(cli.perSecond)} | ${cli.seconds.toFixed(2)} s | ${cliTarget ? `≥ ${n(cliTarget)}/s: ${verdict(cli.perSecond >= cliTarget)}` : 'reported'} |`);
  }
  if (report.notes.length > 0) lines.push('', '### Skipped or noted', '', ...report.notes.map((note) => `- ${note}`));
  return lines.join('\n');
}

const BEGIN = (mode: string) => `<!-- bench:${mode}:begin -->`;
const END = (mode: string) => `<!-- bench:${mode}:end -->`;

/** Replaces the section of this mode in BENCHMARKS.md, keeping everything else (the analysis). */
export function writeBenchmarksMd(mode: 'quick' | 'full', markdown: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  let text = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8')
    : `# Benchmarks\n\n## Full run\n\n${BEGIN('full')}\n${END('full')}\n\n## Quick run\n\n${BEGIN('quick')}\n${END('quick')}\n`;
  if (!text.includes(BEGIN(mode))) text += `\n## ${mode === 'full' ? 'Full' : 'Quick'} run\n\n${BEGIN(mode)}\n${END(mode)}\n`;
  const start = text.indexOf(BEGIN(mode)) + BEGIN(mode).length;
  const end = text.indexOf(END(mode));
  fs.writeFileSync(file, `${text.slice(0, start)}\n${markdown}\n${text.slice(end)}`);
}
