#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, so `npm ci && npm start` and
// `npx switchboard …` work without a build step. Everything else is runCli (src/cli/main.ts).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
