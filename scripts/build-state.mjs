// Whether dist/ holds a build of the current sources. Shared by the bin (which runs dist/ only
// when it is current) and the build script (`--if-stale`); plain JavaScript so that neither needs
// a TypeScript loader.
import fs from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
export const sourceDir = path.join(root, 'src');
export const distDir = path.join(root, 'dist');
/** The compiled CLI (and server) entry point. */
export const distEntry = path.join(distDir, 'switchboard.js');
/** Written last by a successful build; its mtime is the build's. */
export const buildStamp = path.join(distDir, 'build.json');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** True when dist/ was built after the last change to any file under src/ (or src/ is absent). */
export function isBuildCurrent() {
  let builtAt;
  try {
    builtAt = fs.statSync(buildStamp).mtimeMs;
  } catch {
    return false;
  }
  if (!fs.existsSync(sourceDir)) return true;
  return newestMtime(sourceDir) <= builtAt;
}
