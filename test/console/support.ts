/**
 * Browser tests of the web console: the app in process, listening on 127.0.0.1 (port 0), and one
 * headless Debian Chromium per test file driven by playwright-core (never a downloaded browser).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { CONSOLE_DIST } from '../../src/http/console.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';

export const CHROMIUM = '/usr/bin/chromium';
const CONSOLE_ROOT = path.resolve(CONSOLE_DIST, '..');

function newestSource(dir: string): number {
  return Math.max(
    ...fs.readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs;
    }),
  );
}

/** `npm ci` builds the console (prepare); a checkout whose sources changed since is rebuilt here. */
export async function ensureConsoleBuilt(): Promise<void> {
  const index = path.join(CONSOLE_DIST, 'index.html');
  const sources = Math.max(newestSource(path.join(CONSOLE_ROOT, 'src')), fs.statSync(path.join(CONSOLE_ROOT, 'index.html')).mtimeMs);
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources) return;
  await build({ root: CONSOLE_ROOT, configFile: path.join(CONSOLE_ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

export interface ConsoleRig {
  harness: Harness;
  browser: Browser;
  page: Page;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Browser console errors and CSP violations seen so far. */
  pageErrors: string[];
  close(): Promise<void>;
}

export async function startConsole(options: { viewport?: { width: number; height: number } } = {}): Promise<ConsoleRig> {
  await ensureConsoleBuilt();
  const harness = await createHarness();
  await harness.app.listen({ host: '127.0.0.1', port: 0 });
  const origin = `http://127.0.0.1:${(harness.app.server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1366, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) pageErrors.push(message.text());
  });
  return {
    harness,
    browser,
    page,
    origin,
    pageErrors,
    async close() {
      await browser.close();
      await harness.close();
    },
  };
}

/** Signs in through the form (the key is kept in sessionStorage of this tab). */
export async function signIn(page: Page, origin: string, key: string): Promise<void> {
  await page.goto(`${origin}/console/`);
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
