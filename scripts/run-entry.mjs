// An inline ES module (`node --input-type=module -e RUN_ENTRY <entry> …args`) that runs the CLI
// of the entry it is given as bin/switchboard.mjs runs it, skipping the bin's choice of entry: the
// build test runs a build of its own, the operations benchmark the sources through tsx.
export const RUN_ENTRY =
  'const { runCli } = await import(process.argv[1]); ' +
  'process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });';
