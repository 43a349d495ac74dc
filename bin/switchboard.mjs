#!/usr/bin/env node
// Runs the compiled CLI in dist/ (built by `npm ci` through `prepare`, or `npm run build`). When
// a source under src/ is newer than that build, or there is none, it runs the TypeScript sources
// through tsx instead (a few times slower to start), so an edit is never silently ignored.
// Everything else is runCli (src/cli/main.ts).
import { pathToFileURL } from 'node:url';
import { distEntry, isBuildCurrent, sourceDir } from '../scripts/build-state.mjs';

let entry = distEntry;
if (!isBuildCurrent()) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = `${sourceDir}/cli/main.ts`;
}
const { runCli } = await import(pathToFileURL(entry).href);
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
