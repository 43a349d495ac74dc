import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatSyncSummary, numbersSync } from '../../src/cli/numbers-sync.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { TwilioStandin } from './twilio-standin.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshStore, runInProcess } from '../cli/run.ts';

let twilio: TwilioStandin;
let h: Harness;

beforeAll(async () => {
  twilio = new TwilioStandin();
  await twilio.start();
  h = await createHarness({ env: { TWILIO_ACCOUNT_SID: twilio.accountSid, TWILIO_AUTH_TOKEN: twilio.authToken, TWILIO_API_BASE_URL: twilio.http.url } });
});
afterAll(async () => {
  await h.close();
  await twilio.close();
});

/** A stderr that claims to be a terminal, so the progress bar draws into it. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream, text: () => chunks.join('') };
}

describe('switchboard numbers sync (in process)', () => {
  test('draws a progress bar, prints the summary, and is idempotent; a dry run imports nothing', async () => {
    for (let i = 0; i < 120; i++) twilio.own(`+1646${String(5_550_000 + i).padStart(7, '0')}`);
    const workspace = await h.workspace('cli-sync');
    const dry = await numbersSync(h.runtime.services, { provider: 'twilio', workspace: workspace.name, dryRun: true }, fakeTerminal().stream);
    expect(formatSyncSummary(dry)).toBe('would add 120, already here 0, owned elsewhere 0\n');
    expect(await h.runtime.services.phoneNumbers.count({ workspaceId: workspace.id, keyId: null, scopes: new Set(['admin']) }, {})).toBe(0);

    const terminal = fakeTerminal();
    const first = await numbersSync(h.runtime.services, { provider: 'twilio', workspace: workspace.name }, terminal.stream);
    expect(formatSyncSummary(first)).toBe('added 120, already here 0, owned elsewhere 0\n');
    expect(terminal.text()).toContain('120/120 numbers');
    const again = await numbersSync(h.runtime.services, { provider: 'twilio', workspace: workspace.name }, fakeTerminal().stream);
    expect(formatSyncSummary(again)).toBe('added 0, already here 120, owned elsewhere 0\n');
  });

  test('an unknown workspace or an unconfigured carrier is a clear error', async () => {
    await expect(numbersSync(h.runtime.services, { provider: 'twilio', workspace: 'no-such-workspace' })).rejects.toThrow(/no-such-workspace/);
    const workspace = await h.workspace();
    await expect(numbersSync(h.runtime.services, { provider: 'telnyx', workspace: workspace.name })).rejects.toThrow(/not a configured carrier \(configured: twilio\)/);
  });

  test('the command line: `numbers sync --provider twilio --workspace <w> [--dry-run]` prints the summary; a missing --provider is a usage error', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-sync-'));
    const store = await freshStore(tmp, 'store');
    const env = { TWILIO_ACCOUNT_SID: twilio.accountSid, TWILIO_AUTH_TOKEN: twilio.authToken, TWILIO_API_BASE_URL: twilio.http.url };
    const cli = (args: string[]) => runInProcess(args, { databaseUrl: store.databaseUrl, cwd: tmp, env });
    try {
      expect((await cli(['--create', 'keys', 'create', '--workspace', 'cli-carrier'])).code).toBe(0);
      const owned = twilio.owned.size;
      const dry = await cli(['numbers', 'sync', '--provider', 'twilio', '--workspace', 'cli-carrier', '--dry-run']);
      expect(dry).toMatchObject({ code: 0, stdout: `would add ${owned}, already here 0, owned elsewhere 0\n` });
      const real = await cli(['numbers', 'sync', '--provider', 'twilio', '--workspace', 'cli-carrier']);
      expect(real.stdout).toBe(`added ${owned}, already here 0, owned elsewhere 0\n`);
      expect((await cli(['numbers', 'sync', '--provider', 'twilio', '--workspace', 'cli-carrier'])).stdout).toBe(`added 0, already here ${owned}, owned elsewhere 0\n`);
      const usage = await cli(['numbers', 'sync', '--workspace', 'cli-carrier']);
      expect(usage.code).not.toBe(0);
      expect(usage.stderr).toContain('--provider');
    } finally {
      await store.drop();
    }
  });
});
