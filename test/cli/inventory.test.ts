import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatSummary } from '../../src/cli/inventory.ts';
import { expandRange, MAX_RANGE_SIZE, parseStockSpecs } from '../../src/cli/inventory-specs.ts';
import { runInProcess } from './run.ts';

describe('inventory add arguments', () => {
  test('a number, an inclusive range and a CSV with a phone_number column', () => {
    const csv = 'Phone_Number,provider,provider_sid\n+12125550100,telnyx,PN1\n+1 (212) 555-0101,,\n';
    const entries = parseStockSpecs(['14155550100', '+14155550108-+14155550110', 'dids.csv'], 'twilio', () => csv);
    expect(entries).toEqual([
      { e164: '+14155550100', provider: 'twilio' },
      { e164: '+14155550108', provider: 'twilio' },
      { e164: '+14155550109', provider: 'twilio' },
      { e164: '+14155550110', provider: 'twilio' },
      { e164: '+12125550100', provider: 'telnyx', provider_sid: 'PN1' },
      { e164: '+12125550101', provider: 'twilio', provider_sid: null },
    ]);
  });

  test('ranges must be ordered, of one length and bounded; a CSV needs its column', () => {
    expect(() => expandRange('r', '+14155550199', '+14155550100')).toThrow(/ends before it starts/);
    expect(() => expandRange('r', '+14155550100', '+441234567890')).toThrow(/same number of digits/);
    expect(() => expandRange('r', '+14150000000', '+14159999999')).toThrow(new RegExp(`at most ${MAX_RANGE_SIZE}`));
    expect(() => parseStockSpecs(['x.csv'], null, () => 'number\n+14155550100\n')).toThrow(/phone_number column/);
  });
});

describe('switchboard inventory (the CLI, in process, on an SQLite file)', () => {
  test('add a range and a CSV, then list counts per country and area code', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-inventory-'));
    const cli = async (...args: string[]) => {
      const result = await runInProcess(['inventory', ...args, '--create'], { databaseUrl: 'sqlite:sb.db', cwd: dir });
      expect(result.stderr.split('\n')[0]).toBe(`switchboard: using SQLite sqlite:${path.join(dir, 'sb.db')}`);
      return result;
    };
    fs.writeFileSync(path.join(dir, 'dids.csv'), 'phone_number\n+18005550100\n+14155550100\n');
    expect((await cli('add', '+14155550100-+14155550149', '--provider', 'twilio')).stdout).toBe('added 50 numbers\n');
    // A relative file name is the operator's working directory's.
    expect((await cli('add', 'dids.csv')).stdout).toBe('added 1 number (1 already in stock)\n');
    const listed = JSON.parse((await cli('list', '--json')).stdout);
    expect(listed).toEqual([
      { country: 'US', area_code: '415', toll_free: false, provider: 'twilio', total: 50, available: 50 },
      { country: 'US', area_code: '800', toll_free: true, provider: null, total: 1, available: 1 },
    ]);
    expect(formatSummary(listed)).toMatch(/^country +area_code +toll_free +provider +total +available\nUS +415 +no +twilio +50 +50\nUS +800 +yes +- +1 +1\nall +51 +51$/);
    expect((await cli('list')).stdout).toBe(`${formatSummary(listed)}\n`);
    const failed = await cli('add', '+19990001234');
    expect(failed).toMatchObject({ code: 1 });
    expect(failed.stderr).toContain('is not a valid phone number');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
