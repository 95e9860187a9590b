/** Debian's Chromium driven by playwright-core for the dashboard tests: headless, nothing but loopback traffic, screenshots under test-artifacts/. */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_SKIP_REASON = `Chromium not installed at ${CHROMIUM_PATH}: apt-get install chromium`;
export const ARTIFACTS_DIR = resolve(import.meta.dirname, '../../test-artifacts/dashboard');

/** Whether Chromium is installed. In CI (CI=true) its absence throws: the tests must fail there, not skip. */
export function chromiumInstalled(): boolean {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error(`${CHROMIUM_SKIP_REASON} (required in CI)`);
    return false;
  }
}

/** A fresh headless browser (each context gets its own throwaway profile); close it with browser.close(). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** Saves test-artifacts/dashboard/<name>.png; returns its path. */
export async function saveScreenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage, animations: 'disabled' });
  return path;
}

/**
 * Adds to `problems` what goes wrong in a page: uncaught exceptions and console errors (a CSP violation is one).
 * Failed WebSocket connections while the server is down are expected, and left out.
 */
export function recordPageProblems(page: Page, problems: string[]): void {
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error' || /WebSocket connection to .* failed/.test(message.text())) return;
    problems.push(`console: ${message.text()}`);
  });
}
