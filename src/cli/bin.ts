// The CLI on this process's own arguments and standard streams, run from the TypeScript sources:
// what `npm run dev` starts under `tsx watch` (which restarts it when a source changes). main.ts
// only exports runCli, so that tests and bin/switchboard.mjs (the compiled build) can call it.
import { runCli } from './main.ts';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
