// Compiles src/ into dist/ with esbuild: one ES module per entry point plus shared chunks, so
// `switchboard --version` loads the CLI alone and the server's modules load when a command needs
// them. Packages stay external (native better-sqlite3, data files read from package folders).
//   node scripts/build.mjs             build
//   node scripts/build.mjs --if-stale  build only when a source is newer than dist/
//   node scripts/build.mjs --outdir D  build into D instead (the build test; D inside the checkout
//                                      so that the output still finds node_modules)
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { distDir, isBuildCurrent, root } from './build-state.mjs';

if (process.argv.includes('--if-stale') && isBuildCurrent()) process.exit(0);

const started = Date.now();
// Built beside dist/ and swapped in whole, so a process starting meanwhile never sees half a build.
const outdirFlag = process.argv.indexOf('--outdir');
const target = outdirFlag > 0 ? path.resolve(process.argv[outdirFlag + 1]) : distDir;
const staging = `${target}.tmp-${process.pid}`;
fs.rmSync(staging, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  // The bulk-import worker thread runs a module of its own (src/bulk-import-worker.ts; src/services/phone-numbers/bulk-worker-client.ts finds it).
  entryPoints: { switchboard: 'src/cli/main.ts', 'bulk-import-worker': 'src/bulk-import-worker.ts' },
  outdir: staging,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).filter((file) => file.endsWith('.js'));
fs.writeFileSync(path.join(staging, 'build.json'), `${JSON.stringify({ built_at: new Date().toISOString(), outputs: outputs.length }, null, 2)}\n`);
fs.rmSync(target, { recursive: true, force: true });
fs.renameSync(staging, target);
process.stderr.write(`built ${path.relative(root, target)}/ (${outputs.length} files) in ${Date.now() - started} ms\n`);
