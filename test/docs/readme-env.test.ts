import fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ConfigSchema } from '../../src/config.ts';
import { README, renderEnvTable, withEnvTable } from '../../scripts/docs-env.ts';

describe('README configuration table', () => {
  test('matches ConfigSchema (run `npm run docs:env` after changing src/config.ts)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(withEnvTable(readme), 'README.md is stale: run npm run docs:env').toBe(readme);
    for (const name of Object.keys(ConfigSchema.properties)) expect(renderEnvTable()).toContain(`\`${name}\``);
  });
});
