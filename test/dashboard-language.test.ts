/**
 * The dashboard's own words in a real browser: Chinese for a zh-CN browser and English for an en-US one,
 * switched on the page and remembered, words that follow at once (header, panels, components, feed), and a
 * font stack that names the platforms' CJK faces.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildDashboard } from '../scripts/build-dashboard.js';
import { CHROMIUM_SKIP_REASON, chromiumInstalled, launchChromium, recordPageProblems, saveScreenshot } from './support/browser.js';
import { ADMIN_KEY, startServer, type TestServer } from './support/server.js';

const WAIT_MS = 10_000;
const DESKTOP = { width: 1360, height: 900 };
const STORED_KEY = 'qbt-monitor.api-key';

describe('dashboard language', { skip: chromiumInstalled() ? false : CHROMIUM_SKIP_REASON }, () => {
  let browser: Browser;
  let server: TestServer;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  before(async () => {
    await buildDashboard();
    server = await startServer({ locale: 'en', metrics: { sample_system: true, interval: 0.5 } });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A browser profile whose language is `locale` (navigator.languages), signed in when `signedIn`. */
  async function open(locale: string, signedIn = true): Promise<Page> {
    const context = await browser.newContext({ viewport: DESKTOP, locale });
    context.setDefaultTimeout(WAIT_MS);
    contexts.push(context);
    if (signedIn) await context.addInitScript(`localStorage.setItem(${JSON.stringify(STORED_KEY)}, ${JSON.stringify(ADMIN_KEY)})`);
    const page = await context.newPage();
    recordPageProblems(page, problems);
    await page.goto(server.url);
    return page;
  }

  const text = (page: Page, selector: string) => page.locator(selector).first().textContent();

  test('a zh-CN browser gets the page in Chinese, from the sign-in form on', async () => {
    const page = await open('zh-CN', false);
    assert.deepEqual(await page.evaluate(() => navigator.languages), ['zh-CN'], 'the profile speaks Chinese');
    await page.getByRole('heading', { name: '连接到 qbt-monitor' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    await page.getByLabel('API 密钥').fill(ADMIN_KEY);
    await page.getByRole('button', { name: '连接' }).click();
    await page.locator('#connection-text', { hasText: /^实时$/ }).waitFor();
    assert.equal(await text(page, '#role'), '管理员密钥');
    assert.equal(await text(page, '#alerts-title'), '告警 0');
    assert.equal(await text(page, '#no-alerts'), '没有活动告警。');
    assert.equal(await page.locator('#language').inputValue(), 'zh');
    await page.locator('#qbittorrent_client-status', { hasText: /^未配置$/ }).waitFor();
    await page.locator('#qbittorrent_client-details', { hasText: '在配置中设置 qbittorrent.url' }).waitFor();
    // The feed reads the event log: this server's start, in Chinese.
    await page.locator('#activity-feed .feed__title', { hasText: /^服务已启动（pid \d+）$/ }).waitFor();
    assert.equal(await page.getByRole('img', { name: '最近 10 分钟的 CPU 使用率' }).count(), 1, 'labels too');
    await saveScreenshot(page, 'language-zh');
  });

  test('an en-US browser gets English; switching to 中文 changes every word at once, and the choice is remembered', async () => {
    const page = await open('en-US');
    await page.locator('#connection-text', { hasText: /^Live$/ }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await text(page, '#no-alerts'), 'No active alerts.');
    await page.locator('#qbittorrent_client-status', { hasText: /^not configured$/ }).waitFor();
    const started = page.locator('#activity-feed .feed__title', { hasText: /^Service started \(pid \d+\)$/ });
    await started.waitFor();

    await page.locator('#language').selectOption('zh');
    await page.locator('#connection-text', { hasText: /^实时$/ }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    assert.equal(await text(page, '#no-alerts'), '没有活动告警。');
    assert.equal(await text(page, '#system-title'), '系统 最近 10 分钟');
    await page.locator('#qbittorrent_client-status', { hasText: /^未配置$/ }).waitFor();
    await page.locator('#activity-feed .feed__title', { hasText: /^服务已启动（pid \d+）$/ }).waitFor();
    assert.equal(await started.count(), 0, 'no English entry is left behind');
    assert.equal(await page.locator('#forget-key').textContent(), '忘记密钥');

    await page.reload();
    await page.locator('#connection-text', { hasText: /^实时$/ }).waitFor();
    assert.equal(await page.locator('#language').inputValue(), 'zh', 'remembered over the browser’s language');

    await page.locator('#language').selectOption('en');
    await page.locator('#connection-text', { hasText: /^Live$/ }).waitFor();
    assert.equal(await text(page, '#system-title'), 'System last 10 minutes');
    await started.waitFor();
  });

  test('the Chinese text is set in a font stack with the platforms’ CJK faces after the Latin ones', async () => {
    const page = await open('zh-CN');
    await page.locator('#connection-text', { hasText: /^实时$/ }).waitFor();
    const family = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
    const faces = family.split(',').map((face) => face.trim().replace(/^"|"$/g, ''));
    for (const cjk of ['PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei']) {
      assert.ok(faces.includes(cjk), `${cjk} in ${family}`);
    }
    assert.ok(faces.indexOf('Noto Sans') < faces.indexOf('Noto Sans CJK SC'), 'Latin text keeps its face');
    assert.equal(faces.at(-1), 'sans-serif');
  });

  test('nothing went wrong in any page', async () => {
    for (const context of contexts) await context.close();
    assert.deepEqual(problems, []);
  });
});
