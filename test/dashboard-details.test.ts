/**
 * The dashboard's details in a real browser: the Activity feed read back from the event log on open,
 * each core and the load average, the network legend, values on hover, a gap where the service was
 * down, and the clipboard's last real check (a real clipboard monitor on an Xvfb display).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildDashboard } from '../scripts/build-dashboard.js';
import { gapThreshold } from '../src/dashboard/system-history.js';
import type { SystemMetrics } from '../src/protocol/index.js';
import { CHROMIUM_SKIP_REASON, chromiumInstalled, launchChromium, recordPageProblems, saveScreenshot } from './support/browser.js';
import { rest } from './support/rest.js';
import { ADMIN_KEY, startServer, type TestServer } from './support/server.js';
import { lastSystemSample } from './support/system-sample.js';
import { startXvfb, XVFB_SKIP_REASON, type Xvfb, xvfbToolsInstalled } from './support/xvfb.js';

const WAIT_MS = 10_000;
const SAMPLE_INTERVAL = 0.2;
const SERVER_CONFIG = { locale: 'en', metrics: { sample_system: true, interval: SAMPLE_INTERVAL } };
const DESKTOP = { width: 1360, height: 900 };

describe('dashboard details', { skip: chromiumInstalled() ? false : CHROMIUM_SKIP_REASON }, () => {
  let browser: Browser;
  let server: TestServer;
  let dataDir: string;
  let context: BrowserContext;
  let page: Page;
  let xvfb: Xvfb | undefined;
  const problems: string[] = [];

  before(async () => {
    await buildDashboard();
    if (xvfbToolsInstalled()) {
      xvfb = await startXvfb();
      // The server runs in this process: its clipboard monitor reads this display once it is enabled.
      process.env.DISPLAY = xvfb.display;
      delete process.env.WAYLAND_DISPLAY;
    }
    dataDir = mkdtempSync(join(tmpdir(), 'qbtm-dashboard-details-'));
    server = await startServer(SERVER_CONFIG, { dataDir });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    context.setDefaultTimeout(WAIT_MS);
    // Kept for every page of this profile: each opens signed in.
    await context.addInitScript(`localStorage.setItem('qbt-monitor.api-key', ${JSON.stringify(ADMIN_KEY)})`);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await xvfb?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(): Promise<Page> {
    const opened = await context.newPage();
    recordPageProblems(opened, problems);
    await opened.goto(server.url);
    await opened.locator('#connection-state', { hasText: 'Live' }).waitFor();
    return opened;
  }

  async function patchConfig(patch: object): Promise<void> {
    const response = await rest(server, 'PATCH', '/api/v1/config', { body: patch });
    assert.equal(response.status, 200, JSON.stringify(response.body));
  }

  /** Publishes a system sample through the real bus (real sampling paused by the caller): the figures as last measured, and `sample`. */
  async function publishSample(sample: Partial<SystemMetrics>): Promise<void> {
    server.app.publish('performance.system', { ...(await lastSystemSample(server)), ...sample });
  }

  test('the Activity feed opens with what the event log holds, and adds what follows once', async () => {
    await patchConfig({ check_interval: 3 });
    page = await open();
    const feed = page.locator('#activity-feed');
    await feed.locator('[data-event="system.service_start"]').waitFor();
    await feed.locator('[data-event="config.updated"]', { hasText: /check_interval 1 → +changed to 3/ }).waitFor();
    await patchConfig({ check_interval: 4 });
    await feed.locator('[data-event="config.updated"]', { hasText: /check_interval 3 → +changed to 4/ }).waitFor();
    const events = await feed.locator('> li').evaluateAll((items) => items.map((item) => item.getAttribute('data-event')));
    assert.deepEqual(events, ['config.updated', 'config.updated', 'system.service_start'], 'newest first, each once');
  });

  test('each core as a bar, the load average, and the network legend naming sent and received', async () => {
    await patchConfig({ metrics: { sample_system: false } });
    await publishSample({ cpu_percent: 42.4, cpu_per_core: [10, 90, 27.2], load_average: [1.5, 1.25, 0.75] });
    await page.locator('#cpu-value', { hasText: '42.4%' }).waitFor();
    const cores = await page.locator('#cpu-cores > li').evaluateAll((items) => items.map((item) => item.getAttribute('aria-label')));
    assert.deepEqual(cores, ['Core 1: 10.0%', 'Core 2: 90.0%', 'Core 3: 27.2%']);
    const heights = await page
      .locator('#cpu-cores .core__bar')
      .evaluateAll((bars) => bars.map((bar) => bar.getBoundingClientRect().height));
    assert.ok(heights[1]! > heights[2]! && heights[2]! > heights[0]!, `bars as tall as busy: ${heights}`);
    assert.equal(await page.locator('#load-average').textContent(), '1.50 · 1.25 · 0.75');
    const legend = await page.locator('.chart:has(#network-chart) .legend').innerText();
    assert.match(legend, /Sent\s+[\d.]+ (B|KB|MB|GB)\/s\s+Received\s+[\d.]+ (B|KB|MB|GB)\/s/);
  });

  test('the values under the pointer show beside it, with their time', async () => {
    await publishSample({ cpu_percent: 61.7 });
    await page.locator('#cpu-value', { hasText: '61.7%' }).waitFor();
    const over = page.locator('#cpu-chart .u-over');
    const box = (await over.boundingBox())!;
    await over.hover({ position: { x: box.width - 1, y: box.height / 2 } });
    const tip = page.locator('#cpu-chart .chart__tip');
    await tip.filter({ hasText: /^\d\d:\d\d:\d\d\s+CPU 61\.7%$/ }).waitFor();
    const network = page.locator('#network-chart .u-over');
    const networkBox = (await network.boundingBox())!;
    await network.hover({ position: { x: networkBox.width - 1, y: networkBox.height / 2 } });
    await page
      .locator('#network-chart .chart__tip', { hasText: /^\d\d:\d\d:\d\d\s+Sent [\d.]+ (B|KB)\/s\s+Received [\d.]+ (B|KB)\/s$/ })
      .waitFor();
    await saveScreenshot(page, 'details-hover', false);
    await page.mouse.move(0, 0);
    await tip.waitFor({ state: 'hidden' });
    await patchConfig({ metrics: { sample_system: true } });
  });

  test('while the service is down no samples are drawn: the charts break there and the gap is named', async () => {
    const { port } = server;
    await page
      .locator('#cpu-value')
      .filter({ hasText: /^\d+\.\d%$/ })
      .waitFor();
    await server.stop();
    await page.locator('#connection-state', { hasText: 'Reconnecting' }).waitFor();
    // Time passing is what is tested: down for longer than the dashboard takes samples to be missing.
    await delay(gapThreshold(SAMPLE_INTERVAL) * 1000 + 500);
    server = await startServer({ ...SERVER_CONFIG, server: { port } }, { dataDir });
    await page.locator('#connection-state', { hasText: 'Live' }).waitFor();
    const note = page.locator('#gap-note');
    await note.filter({ hasText: /^No samples \d\d:\d\d:\d\d–\d\d:\d\d:\d\d: the service was not running or not sampling\.$/ }).waitFor();
    // The history kept by the server is what the page drew again: the samples from before the stop are there, then the gap.
    const [from, to] = ((await note.textContent()) ?? '').match(/\d\d:\d\d:\d\d/g)!;
    assert.ok(from! < to!, `${from} before ${to}`);
    await saveScreenshot(page, 'details-gap', false);
  });

  test("the clipboard's last check is the monitor's last real check, not the one its last event carried", async (t) => {
    if (!xvfb) return t.skip(XVFB_SKIP_REASON);
    await patchConfig({ clipboard: { enabled: true }, check_interval: 1 });
    await page.locator('#clipboard_monitor-status', { hasText: /^running$/ }).waitFor();
    const lastCheck = page.locator('#clipboard_monitor-details > div', { hasText: 'Last check' }).locator('time');
    await lastCheck.waitFor();
    const first = Date.parse((await lastCheck.getAttribute('datetime'))!);
    // Nothing is copied, so no status event follows: only the page's reading of GET /api/v1/status can move it on.
    await page.waitForFunction(
      (since) => {
        const time = [...document.querySelectorAll('#clipboard_monitor-details > div')]
          .find((fact) => fact.textContent?.includes('Last check'))
          ?.querySelector('time');
        return time !== undefined && time !== null && Date.parse(time.getAttribute('datetime') ?? '') > since + 2000;
      },
      first,
      { timeout: 15_000 },
    );
    assert.match((await lastCheck.textContent()) ?? '', /^(just now|\d s ago)$/);
    await saveScreenshot(page, 'details-clipboard');
  });

  test('nothing went wrong in any page', () => {
    assert.deepEqual(problems, [], 'no uncaught errors, CSP violations or console errors');
  });
});
