/** The dashboard at `/` in a real browser: assets and headers, login and a wrong key, live figures, batching, components, an alert resolved from the page, a server restart. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildDashboard } from '../scripts/build-dashboard.js';
import { CHROMIUM_SKIP_REASON, chromiumInstalled, launchChromium, recordPageProblems, saveScreenshot } from './support/browser.js';
import { type QbittorrentNox, qbittorrentNoxVersion, qbittorrentSkipReason, startQbittorrent } from './support/qbittorrent-nox.js';
import { rest } from './support/rest.js';
import { ADMIN_KEY, READ_KEY, startServer, type TestServer } from './support/server.js';
import { lastSystemSample } from './support/system-sample.js';

const WAIT_MS = 10_000;
/** The server is restarted on the same port and data directory with this config. */
const SERVER_CONFIG = {
  // Alert texts in English: Debian's Chromium draws no Chinese without fonts-noto-cjk, and the screenshots should be legible.
  locale: 'en',
  metrics: { sample_system: true, interval: 0.2 },
};
const STORED_KEY = 'qbt-monitor.api-key';
const DESKTOP = { width: 1360, height: 900 };
const CPU_FIGURE = /^\d+\.\d%$/;

describe('dashboard', { skip: chromiumInstalled() ? false : CHROMIUM_SKIP_REASON }, () => {
  let browser: Browser;
  let server: TestServer;
  let dataDir: string;
  /** The admin's browser profile and page, signed in once and kept by the tests that follow. */
  let admin: BrowserContext;
  let page: Page;
  /** A real qBittorrent, once the test that connects to it has started it. */
  let qbittorrent: QbittorrentNox | undefined;
  const problems: string[] = [];

  before(async () => {
    await buildDashboard();
    dataDir = mkdtempSync(join(tmpdir(), 'qbtm-dashboard-'));
    server = await startServer(SERVER_CONFIG, { dataDir });
    browser = await launchChromium();
    admin = await newContext();
    page = await newPage(admin);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await qbittorrent?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    context.setDefaultTimeout(WAIT_MS);
    return context;
  }

  async function newPage(context: BrowserContext): Promise<Page> {
    const opened = await context.newPage();
    recordPageProblems(opened, problems);
    return opened;
  }

  async function signIn(target: Page, key: string): Promise<void> {
    await target.goto(server.url);
    await target.getByLabel('API key').fill(key);
    await target.getByRole('button', { name: 'Connect' }).click();
  }

  async function patchConfig(patch: object): Promise<void> {
    const response = await rest(server, 'PATCH', '/api/v1/config', { body: patch });
    assert.equal(response.status, 200, JSON.stringify(response.body));
  }

  const connectionState = (target: Page, text: string | RegExp) => target.locator('#connection-state', { hasText: text }).waitFor();
  const storedKey = (target: Page) => target.evaluate((name) => localStorage.getItem(name), STORED_KEY);
  const qbittorrentSettings = ({ url, username, password }: QbittorrentNox) => ({ url, username, password });

  test('serves the page and its hashed assets with content types, caching and a CSP that allows only itself and its WebSocket', async () => {
    const response = await fetch(server.url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${server.port} wss://127\\.0\\.0\\.1:${server.port}(;|$)`));
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const html = await response.text();
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from another origin');
    const assets = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((match) => match[1]!);
    assert.deepEqual(assets.map((asset) => asset.replace(/-[A-Z0-9]{8}\./, '-HASH.')).sort(), [
      'assets/app-HASH.js',
      'assets/favicon-HASH.svg',
      'assets/styles-HASH.css',
    ]);
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
    for (const asset of assets) {
      const served = await fetch(`${server.url}/${asset}`);
      assert.equal(served.status, 200, asset);
      assert.equal(served.headers.get('content-type'), types[asset.split('.').pop()!], asset);
      assert.equal(served.headers.get('cache-control'), 'public, max-age=31536000, immutable', asset);
    }
    for (const missing of ['/assets/nothing-00000000.js', '/assets/..%2Fpackage.json', '/assets/index.html']) {
      assert.equal((await fetch(`${server.url}${missing}`)).status, 404, missing);
    }
  });

  test('a wrong key gets a clear message, is not kept, and the page asks again', async () => {
    const context = await newContext();
    const stranger = await newPage(context);
    await signIn(stranger, 'not-the-key');
    await stranger.locator('#login-error', { hasText: 'The server refused this key (API key invalid)' }).waitFor();
    assert.equal(await stranger.getByLabel('API key').isVisible(), true, 'the form is back');
    assert.equal(await stranger.locator('#dashboard').isHidden(), true);
    assert.equal(await storedKey(stranger), null);
    await saveScreenshot(stranger, 'wrong-key');
    await context.close();
  });

  test('logs in with the key, keeps it, shows the sampled CPU figure, and follows each new sample', async () => {
    await page.goto(server.url);
    await page.getByLabel('API key').waitFor();
    await saveScreenshot(page, 'login');
    await signIn(page, ADMIN_KEY);
    await connectionState(page, 'Live');
    assert.equal(await storedKey(page), ADMIN_KEY);
    assert.equal(await page.locator('#role').textContent(), 'admin key');
    await page.locator('#cpu-value').filter({ hasText: CPU_FIGURE }).waitFor();
    assert.match((await page.locator('#process-count').textContent()) ?? '', /^[\d,]+$/);
    assert.equal(await page.locator('.chart__plot canvas').count(), 4, 'four charts');
    await saveScreenshot(page, 'live');

    // A busy machine reads 100.0% sample after sample (this one often does), so a figure that must change proves
    // nothing about the page: with real sampling paused, samples of known figures go through the real bus instead.
    await patchConfig({ metrics: { sample_system: false } });
    for (const cpu of [12.3, 45.6, 12.3]) {
      server.app.publish('performance.system', { ...(await lastSystemSample(server)), cpu_percent: cpu });
      await page.locator('#cpu-value', { hasText: `${cpu.toFixed(1)}%` }).waitFor();
    }
    await patchConfig({ metrics: { sample_system: true } });
  });

  test('batches DOM updates per animation frame: a burst of samples is written a few times, not once each', async (t) => {
    // Real sampling paused, so that the burst's last sample is the one left showing.
    await patchConfig({ metrics: { sample_system: false } });
    // A string, not a function: tsx would wrap the named closures in a helper the page lacks.
    await page.evaluate(`(() => {
      const counts = { writes: 0, frames: 0 };
      new MutationObserver((records) => (counts.writes += records.length))
        .observe(document.getElementById('cpu-value'), { childList: true, characterData: true, subtree: true });
      const countFrame = () => {
        counts.frames += 1;
        requestAnimationFrame(countFrame);
      };
      requestAnimationFrame(countFrame);
      window.burstCounts = counts;
    })()`);
    // Everything but the CPU figure as last measured, so that the charts show the burst only where it is.
    const sample = await lastSystemSample(server);
    const samples = 300;
    for (let i = 0; i < samples; i++) server.app.publish('performance.system', { ...sample, cpu_percent: 10 + i * 0.1 });
    await page.locator('#cpu-value', { hasText: `${(10 + (samples - 1) * 0.1).toFixed(1)}%` }).waitFor();
    const { writes, frames } = await page.evaluate<{ writes: number; frames: number }>('window.burstCounts');
    t.diagnostic(`${samples} samples: the CPU figure written ${writes} times in ${frames} frames`);
    // At most one write per frame is the rule; how many frames the burst spans depends on the machine's load.
    assert.ok(writes <= frames + 1, `${writes} writes in ${frames} frames`);
    assert.ok(writes < samples, `${writes} writes for ${samples} samples`);
    await patchConfig({ metrics: { sample_system: true } });
  });

  test('shows each component as the server reports it: qBittorrent not configured, plainly', async () => {
    await page.locator('#qbittorrent_client-status', { hasText: 'not configured' }).waitFor();
    await page.locator('#qbittorrent_client-details', { hasText: 'Set qbittorrent.url in the config' }).waitFor();
    // Running, or unavailable where there is no display: a status either way, not the placeholder.
    await page.locator('#clipboard_monitor-status', { hasText: /^(running|unavailable|stopped)$/ }).waitFor();
    await page.locator('#clipboard_monitor-details', { hasText: 'Links processed' }).waitFor();
  });

  test('pointed at qBittorrent through the API: connected with its version, and a magnet link added through the API is counted', {
    skip: qbittorrentSkipReason(),
  }, async () => {
    qbittorrent = await startQbittorrent();
    await patchConfig({ qbittorrent: qbittorrentSettings(qbittorrent) });
    await page.locator('#qbittorrent_client-status', { hasText: /^connected$/ }).waitFor();
    const details = page.locator('#qbittorrent_client-details');
    await details.filter({ hasText: qbittorrentNoxVersion() }).waitFor();
    assert.match(await details.innerText(), new RegExp(`WebUI\\s+127\\.0\\.0\\.1:${qbittorrent.port}`));

    const hash = randomBytes(20).toString('hex');
    const added = await rest(server, 'POST', '/api/v1/torrents', {
      body: { urls: [`magnet:?xt=urn:btih:${hash}&dn=qbt-monitor-dashboard-test`] },
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    await page.locator('#clipboard_monitor-details > div', { hasText: /^Added\s*1$/ }).waitFor();
    await saveScreenshot(page, 'components');
  });

  test('an alert fired by lowering a rule through the API shows with its figures, and the Resolve button resolves it', async () => {
    await patchConfig({ alerts: { rules: [{ metric: 'cpu_percent', comparison: '>=', threshold: 0, level: 'warning', for: 0 }] } });
    const card = page.locator('#alerts-container > li').first();
    await card.waitFor();
    const alertId = await card.getAttribute('data-alert-id');
    assert.ok(alertId);
    const text = await card.innerText();
    assert.match(text, /WARNING/i);
    assert.match(text, /Threshold\s+0%/);
    assert.match(text, /Value\s+[\d.]+%/);
    assert.match(text, /Raised\s+(just now|\d+ s ago)/);
    assert.match(text, /Suggestion: \S/);
    assert.match((await card.getAttribute('class')) ?? '', /alert--warning/);
    await page.locator('#activity-feed [data-event="config.updated"]', { hasText: 'alerts.rules' }).first().waitFor();
    await saveScreenshot(page, 'alert-active');

    // A read key sees the alert but gets no button: resolving is for admins.
    const readerContext = await newContext();
    const reader = await newPage(readerContext);
    await signIn(reader, READ_KEY);
    await reader.locator(`#alerts-container > li[data-alert-id="${alertId}"]`).waitFor();
    assert.equal(await reader.locator('#alerts-container').getByRole('button', { name: 'Resolve' }).count(), 0);
    assert.equal(await reader.locator('#role').textContent(), 'read-only key');
    await readerContext.close();

    await card.getByRole('button', { name: 'Resolve' }).click();
    await page.locator(`#alerts-container > li[data-alert-id="${alertId}"]`).waitFor({ state: 'detached' });
    const resolved = page.locator(`#resolved-alerts > li[data-alert-id="${alertId}"]`);
    await resolved.waitFor();
    assert.match(await resolved.innerText(), /resolved (just now|\d+ s ago) by test-admin/);
    // The condition goes on, so the engine may raise the alert again: removing the rule resolves that one too.
    await patchConfig({ alerts: { rules: [] } });
    await page.locator('#no-alerts').waitFor();
    await saveScreenshot(page, 'alert-resolved');
  });

  test('survives a server restart: shows it reconnecting, resumes, and shows an event published after the restart', async () => {
    const { port } = server;
    await server.stop();
    await connectionState(page, /Reconnecting/);
    await page.locator('#activity-feed [data-event="system.service_stopping"]').waitFor();
    await saveScreenshot(page, 'reconnecting', false);

    const restarted = { ...SERVER_CONFIG, server: { port }, ...(qbittorrent && { qbittorrent: qbittorrentSettings(qbittorrent) }) };
    server = await startServer(restarted, { dataDir });
    await connectionState(page, 'Live');
    await page.locator('#activity-feed [data-event="system.service_restart"]', { hasText: 'Reason: test' }).waitFor();
    await patchConfig({ check_interval: 2 });
    await page.locator('#activity-feed [data-event="config.updated"]', { hasText: /check_interval 1 → +changed to 2/ }).waitFor();
    await page.locator('#cpu-value').filter({ hasText: CPU_FIGURE }).waitFor();
    await saveScreenshot(page, 'after-restart');
  });

  test('opens signed in from the kept key, fits a phone-width screen, and follows a dark system theme', async () => {
    // Another tab of the admin's profile, where the key is kept.
    const phone = await newPage(admin);
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.emulateMedia({ colorScheme: 'dark' });
    await phone.goto(server.url);
    await connectionState(phone, 'Live');
    assert.equal(await phone.getByLabel('API key').isVisible(), false, 'not asked again');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${overflow} px wider than the screen`);
    const background = await phone.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(15, 18, 22)', 'dark background');
    await saveScreenshot(phone, 'phone-dark');
    await phone.close();

    await page.emulateMedia({ colorScheme: 'dark' });
    await saveScreenshot(page, 'desktop-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('Forget key signs out and asks again; nothing went wrong in any page', async () => {
    await page.getByRole('button', { name: 'Forget key' }).click();
    await page.getByLabel('API key').waitFor();
    assert.equal(await storedKey(page), null);
    await connectionState(page, 'Signed out');
    assert.deepEqual(problems, [], 'no uncaught errors, CSP violations or console errors');
  });
});
