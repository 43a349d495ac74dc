#!/usr/bin/env node
// Runs the compiled CLI in dist/ (built by `npm ci` through `prepare`, or `npm run build`). When
// a source under src/ is newer than that build, or there is none, it runs the TypeScript sources
// through tsx instead (a few times slower to start), so an edit is never silently ignored.
import { pathToFileURL } from 'node:url';
import { distEntry, isBuildCurrent, sourceDir } from '../scripts/build-state.mjs';

if (isBuildCurrent()) {
  await import(pathToFileURL(distEntry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(`${sourceDir}/cli/main.ts`).href);
}
