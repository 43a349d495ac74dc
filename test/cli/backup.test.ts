import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHarness, onPostgres, type Harness } from '../helpers/harness.ts';
import { runInProcess } from './run.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-backup-'));
const databaseUrl = `sqlite:${path.join(tmp, 'data', 'switchboard.db')}`;
let h: Harness;
let key: string;
let kept: { id: string; phone_number: string };

const cli = (args: string[], url = databaseUrl) => runInProcess(args, { databaseUrl: url, cwd: tmp });

// The server stays up during the backup: it is an online copy of a live file.
describe.skipIf(onPostgres)('switchboard backup (embedded SQLite)', () => {
  beforeAll(async () => {
    h = await createHarness({ databaseUrl });
    key = await (await h.workspace('acme')).key();
    const created = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: '+14155550100', nickname: 'kept', sip: { termination_uri: 'sip.example.com', auth_username: 'u', auth_password: 'trunk-Secr3t' } } });
    kept = created.json();
    const gone = await h.request('POST', '/v1/phone-numbers', { key, json: { phone_number: '+14155550101' } });
    expect((await h.request('DELETE', `/v1/phone-numbers/${gone.json().id}`, { key })).status).toBe(204);
  });
  afterAll(async () => {
    await h.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('copies the live database while it is served; the copy starts as the same installation', async () => {
    const backup = await cli(['backup', 'backups/copy.db']);
    expect(backup.stderr).toContain('backing up SQLite');
    expect(backup.stdout).toMatch(new RegExp(`^backed up 1 numbers in 1 workspaces to ${path.join(tmp, 'backups', 'copy.db').replace(/[.\\/]/g, '\\$&')} \\(\\d+\\.\\d MB\\)\\n$`));
    expect(backup.stderr).toContain('sealed with the secret key (SWITCHBOARD_SECRET_KEY)');
    expect(backup.code).toBe(0);
    // Written under another name, then renamed: nothing partial is left beside it.
    expect(fs.readdirSync(path.join(tmp, 'backups'))).toEqual(['copy.db']);

    // A write after the backup is not in it.
    await h.request('PATCH', `/v1/phone-numbers/${kept.id}`, { key, json: { nickname: 'changed later' } });
    const restored = await createHarness({ databaseUrl: `sqlite:${path.join(tmp, 'backups', 'copy.db')}` });
    try {
      const read = await restored.request('GET', `/v1/phone-numbers/${kept.id}`, { key });
      expect(read.status).toBe(200);
      expect(read.json()).toMatchObject({ phone_number: '+14155550100', nickname: 'kept', sip: { has_password: true } });
      // Sealed with the installation's key, which the copy is started with: it opens.
      const actor = await restored.runtime.services.workspaces.authenticate(key);
      expect(await restored.runtime.services.phoneNumbers.sipPassword(actor, kept.id)).toBe('trunk-Secr3t');
    } finally {
      await restored.close();
    }
  });

  test('an existing file is kept unless --force', async () => {
    const target = path.join(tmp, 'existing.db');
    fs.writeFileSync(target, 'not a database');
    const refused = await cli(['backup', 'existing.db']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`backup failed: ${target} already exists; pass --force to replace it`);
    expect(fs.readFileSync(target, 'utf8')).toBe('not a database');
    const forced = await cli(['backup', 'existing.db', '--force']);
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(target).subarray(0, 15).toString()).toBe('SQLite format 3');
  });

  test('nothing to copy: a missing database, the database itself, PostgreSQL', async () => {
    const missing = await cli(['backup', 'x.db'], `sqlite:${path.join(tmp, 'nowhere', 'sb.db')}`);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('no Switchboard database at SQLite') });
    expect(fs.existsSync(path.join(tmp, 'nowhere'))).toBe(false);
    const itself = await cli(['backup', 'data/switchboard.db', '--force']);
    expect(itself).toMatchObject({ code: 1, stderr: expect.stringContaining('another file than the database itself') });
    const postgres = await cli(['backup', 'x.db'], 'postgres://postgres@127.0.0.1:5432/test');
    expect(postgres).toMatchObject({ code: 1, stderr: expect.stringContaining('use its own tools, e.g. pg_dump') });
    expect(fs.existsSync(path.join(tmp, 'x.db'))).toBe(false);
  });
});
