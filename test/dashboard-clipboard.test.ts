/**
 * The clipboard card in a real browser: links added through a real qbittorrent-nox listed with the rule that
 * chose each and where it went (category, save path, tags, paused), a rule's skip, counts per rule, a copied
 * file that is no .torrent (Xvfb + xclip) listed as a failure with its reason, and pending links with their tries.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildDashboard } from '../scripts/build-dashboard.js';
import type { ClipboardStatus, PendingLink } from '../src/protocol/index.js';
import { CHROMIUM_SKIP_REASON, chromiumInstalled, launchChromium, recordPageProblems, saveScreenshot } from './support/browser.js';
import { type QbittorrentNox, qbittorrentSkipReason, startQbittorrent } from './support/qbittorrent-nox.js';
import { rest } from './support/rest.js';
import { ADMIN_KEY, startServer, type TestServer } from './support/server.js';
import { startXvfb, XVFB_SKIP_REASON, type Xvfb, xvfbToolsInstalled } from './support/xvfb.js';

const WAIT_MS = 15_000;
const STORED_KEY = 'qbt-monitor.api-key';
const skip = !chromiumInstalled() ? CHROMIUM_SKIP_REASON : qbittorrentSkipReason();

const magnet = (name: string) => {
  const hash = randomBytes(20).toString('hex');
  return { hash, url: `magnet:?xt=urn:btih:${hash}&dn=${encodeURIComponent(name)}` };
};

describe('dashboard clipboard card', { skip: skip ?? false }, () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let server: TestServer;
  let qbittorrent: QbittorrentNox;
  let xvfb: Xvfb | undefined;
  let work: string;
  const savedDisplay = process.env.DISPLAY;
  const problems: string[] = [];

  before(async () => {
    await buildDashboard();
    work = mkdtempSync(join(tmpdir(), 'qbtm-dashboard-clipboard-'));
    if (xvfbToolsInstalled()) {
      xvfb = await startXvfb();
      // The server runs in this process: its clipboard monitor reads this display.
      process.env.DISPLAY = xvfb.display;
      await xvfb.copy('nothing yet');
    }
    qbittorrent = await startQbittorrent();
    server = await startServer({
      locale: 'en',
      qbittorrent: { url: qbittorrent.url, username: qbittorrent.username, password: qbittorrent.password },
      clipboard: {
        enabled: xvfb !== undefined,
        category: 'clipboard',
        rules: [
          { name: 'tv', match: { name: '/S\\d{2}E\\d{2}/' }, category: 'tv', save_path: join(work, 'tv') },
          { name: 'films', match: { name: '*1080p*' }, category: 'movies', tags: ['film'], paused: true },
          { name: 'samples', match: { name: 'sample' }, skip: true },
        ],
      },
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1360, height: 1100 }, locale: 'en-US' });
    context.setDefaultTimeout(WAIT_MS);
    await context.addInitScript(`localStorage.setItem(${JSON.stringify(STORED_KEY)}, ${JSON.stringify(ADMIN_KEY)})`);
    page = await context.newPage();
    recordPageProblems(page, problems);
    await page.goto(server.url);
    await page.locator('#connection-text', { hasText: /^Live$/ }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await qbittorrent?.dispose();
    await xvfb?.stop();
    if (savedDisplay === undefined) delete process.env.DISPLAY;
    else process.env.DISPLAY = savedDisplay;
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const lists = () => page.locator('#clipboard_monitor-lists');
  const added = (hash: string) => lists().locator(`.clipboard__list--adds li[data-info-hash="${hash}"]`);
  /** A row of the per-rule table as its cells read: rule, added, skipped, failed. */
  const ruleRow = async (rule: string) =>
    (await lists().locator(`.rule-counts tr[data-rule="${rule}"]`).locator('th, td').allTextContents()).join(' ');

  test('recent adds show the rule that chose each and where it went; a skip and the counts per rule', async () => {
    const episode = magnet('Show S01E02 720p');
    const film = magnet('A Film 1080p');
    const other = magnet('debian-12.iso');
    const sample = magnet('a sample clip');
    const posted = await rest(server, 'POST', '/api/v1/torrents', {
      body: { urls: [episode.url, film.url, other.url, sample.url] },
    });
    assert.equal(posted.status, 200, JSON.stringify(posted.body));

    await added(episode.hash).waitFor();
    assert.match(await added(episode.hash).innerText(), new RegExp(`^Show S01E02 720p\\s+→ tv / ${join(work, 'tv')}\\s+rule “tv”`));
    assert.match(await added(film.hash).innerText(), /^A Film 1080p\s+→ movies \/ qBittorrent’s save path\s+rule “films” · film · paused/);
    assert.match(await added(other.hash).innerText(), /^debian-12\.iso\s+→ clipboard \/ qBittorrent’s save path\s+no rule: the defaults/);
    assert.equal(await added(sample.hash).count(), 0, 'skipped, not added');

    assert.equal(await ruleRow('tv'), 'tv 1 0 0');
    assert.equal(await ruleRow('films'), 'films 1 0 0');
    assert.equal(await ruleRow('samples'), 'samples 0 1 0');
    assert.equal(await ruleRow(''), '(no rule) 1 0 0');
    await page.locator('#clipboard_monitor-details > div', { hasText: /^Skipped by rules\s*1$/ }).waitFor();
    await saveScreenshot(page, 'clipboard-adds');
  });

  test('a copied file that is no .torrent is listed among the failures with its reason', async (t) => {
    if (!xvfb) return t.skip(XVFB_SKIP_REASON);
    const broken = join(work, 'broken.torrent');
    writeFileSync(broken, 'd4:infodee');
    await xvfb.copy(broken);
    const failure = lists().locator('.clipboard__list--failures li').first();
    await failure.waitFor();
    assert.match(await failure.innerText(), /^a \.torrent file\s+just now\s+not a \.torrent file: /);
    assert.doesNotMatch(await failure.innerText(), /broken/, 'no path on the page');
  });

  test('pending links show with their placement, tries, next try and why', async () => {
    // The pending list as the monitor publishes it, through the real bus (the monitor's own pending links are tested in its files).
    const current = (await rest(server, 'GET', '/api/v1/status')).body.components.find(
      (component: { component: string }) => component.component === 'clipboard_monitor',
    ) as ClipboardStatus;
    const hash = randomBytes(20).toString('hex');
    const nextTry = new Date(Date.now() + 60_000);
    const pending: PendingLink = {
      kind: 'magnet',
      info_hash: hash,
      name: 'Show S01E03 720p',
      rule: 'tv',
      category: 'tv',
      tags: [],
      save_path: join(work, 'tv'),
      paused: false,
      source: 'clipboard',
      at: new Date().toISOString(),
      attempts: 2,
      next_retry_at: nextTry.toISOString(),
      reason: 'qBittorrent unreachable',
    };
    const details = { ...current.details, pending: [pending], pending_count: 3 };
    server.app.publish('status.clipboard_monitor', { ...current, details });
    const item = lists().locator(`.clipboard__list--pending li[data-info-hash="${hash}"]`);
    await item.waitFor();
    assert.equal(await lists().locator('.clipboard__list--pending h4').textContent(), 'Pending (3)');
    assert.match(await item.innerText(), new RegExp(`^Show S01E03 720p\\s+→ tv / ${join(work, 'tv')}\\s+rule “tv”`));
    assert.match(await item.innerText(), /2 tries · next at \d\d:\d\d:\d\d · qBittorrent unreachable/);
    await saveScreenshot(page, 'clipboard-pending');
  });

  test('nothing went wrong in the page', async () => {
    await context.close();
    assert.deepEqual(problems, []);
  });
});
