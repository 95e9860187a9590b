/**
 * The dashboard's Torrents panel in a real browser against the real server: 5,000 torrents published
 * through the server's bus (windowed rows, counts by state, sort, filters, search, an update repainting
 * only the rows it changed, a burst drawn once per frame, phone width, read keys without actions), and a
 * real qbittorrent-nox (a magnet added through the Add box shows in the table; stop, resume and delete
 * from its row reach qBittorrent), and a stand-in of qBittorrent 5.x, which cannot run here (its state
 * names and stop/start).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildDashboard } from '../scripts/build-dashboard.js';
import { EventName, type TorrentRow, torrentStateGroup } from '../src/protocol/index.js';
import { CHROMIUM_SKIP_REASON, chromiumInstalled, launchChromium, recordPageProblems, saveScreenshot } from './support/browser.js';
import { type QbittorrentNox, qbittorrentSkipReason, startQbittorrent } from './support/qbittorrent-nox.js';
import { type Standin, startQbittorrentStandin } from './support/qbittorrent-standin.js';
import { rest } from './support/rest.js';
import { ADMIN_KEY, READ_KEY, startServer, type TestServer } from './support/server.js';
import { webUi } from './support/swarm.js';
import { waitUntil } from './support/wait.js';

const WAIT_MS = 10_000;
const DESKTOP = { width: 1360, height: 900 };
const ROWS = 5000;
const STATES = ['downloading', 'stalledDL', 'pausedDL', 'uploading', 'stalledUP', 'queuedDL', 'checkingDL', 'error'];
const CATEGORIES = ['movies', 'music', 'linux', ''];

const hashOf = (i: number) => createHash('sha1').update(`panel-${i}`).digest('hex');
const nameOf = (i: number) => `torrent-${String(i).padStart(4, '0')}`;

/** Row i of the published table: states, categories and figures in fixed patterns, so that the counts are known. */
function syntheticRow(i: number): TorrentRow {
  const progress = (i % 101) / 100;
  return {
    hash: hashOf(i),
    name: nameOf(i),
    state: STATES[i % STATES.length]!,
    progress,
    size: (i + 1) * 1_000_000,
    category: CATEGORIES[i % CATEGORIES.length]!,
    tags: [],
    save_path: '/downloads',
    added_on: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
    completion_on: progress === 1 ? new Date(Date.UTC(2024, 5, 1) + i * 60_000).toISOString() : null,
    source: 'qbittorrent',
    dl_speed: (i % 7) * 1000,
    up_speed: (i % 5) * 1000,
    eta: progress === 1 ? null : i * 10,
    ratio: (i % 30) / 10,
    num_seeds: 0,
    num_leechs: 0,
  };
}

describe('dashboard: Torrents panel', { skip: chromiumInstalled() ? false : CHROMIUM_SKIP_REASON }, () => {
  let browser: Browser;
  let server: TestServer;
  let admin: BrowserContext;
  let page: Page;
  let qbittorrent: QbittorrentNox | undefined;
  let standin: Standin | undefined;
  const problems: string[] = [];

  before(async () => {
    await buildDashboard();
    server = await startServer({ locale: 'en' });
    browser = await launchChromium();
    admin = await browser.newContext({ viewport: DESKTOP });
    admin.setDefaultTimeout(WAIT_MS);
    page = await admin.newPage();
    recordPageProblems(page, problems);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await qbittorrent?.dispose();
    await standin?.stop();
  });

  async function signIn(target: Page, key: string): Promise<void> {
    await target.goto(server.url);
    await target.getByLabel('API key').fill(key);
    await target.getByRole('button', { name: 'Connect' }).click();
    await target.locator('#connection-state', { hasText: 'Live' }).waitFor();
  }

  const shown = (target: Page, text: string) => target.locator('#torrent-shown', { hasText: text }).waitFor();
  /** The hashes of the rows in the DOM, top to bottom. */
  const drawnHashes = (target: Page) =>
    target.evaluate<string[]>(`[...document.querySelectorAll('#torrent-table .torrent-table__body .trow')]
      .map((row) => [row.dataset.hash, new DOMMatrix(getComputedStyle(row).transform).m42])
      .sort((a, b) => a[1] - b[1]).map(([hash]) => hash)`);
  const nextFrames = (target: Page) => target.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');

  test('5,000 torrents: rows windowed, counts by state, sorted by a clicked header, filtered by state, category and search', async (t) => {
    const rows = Array.from({ length: ROWS }, (_, i) => syntheticRow(i));
    // Through the real bus: the hub keeps the table, and the page gets it as torrent.list when it connects.
    server.app.publish(EventName.torrentUpdated, { changed: Object.fromEntries(rows.map((row) => [row.hash, row])), removed: [] });
    await signIn(page, ADMIN_KEY);
    await page.locator('#torrent-total', { hasText: '5,000' }).waitFor();
    await shown(page, '5,000 of 5,000');

    const drawn = await drawnHashes(page);
    t.diagnostic(`${drawn.length} rows in the DOM for ${ROWS}`);
    assert.ok(drawn.length > 5 && drawn.length < 80, `${drawn.length} rows in the DOM for ${ROWS}`);
    assert.deepEqual(drawn.slice(0, 3), [hashOf(0), hashOf(1), hashOf(2)], 'sorted by name');
    const byGroup = new Map<string, number>();
    for (const row of rows) byGroup.set(torrentStateGroup(row.state), (byGroup.get(torrentStateGroup(row.state)) ?? 0) + 1);
    for (const [group, expected] of byGroup) {
      const button = page.locator(`.torrent-groups__button[data-group="${group}"] .torrent-groups__count`);
      assert.equal(await button.textContent(), expected.toLocaleString('en'), group);
    }
    const first = page.locator(`[data-hash="${hashOf(0)}"]`);
    assert.equal(await first.locator('.tcell--name').textContent(), 'torrent-0000');
    assert.equal(await first.locator('.tcell--state').textContent(), 'Downloading');
    assert.equal(await first.locator('.tcell__percent').textContent(), '0.0%');
    assert.equal(await first.locator('.tcell--category').textContent(), 'movies');
    assert.equal(await first.getByRole('button', { name: 'Stop' }).count(), 1, 'admin: row actions');
    await saveScreenshot(page, 'torrents-5000');

    // In Chinese at once when the language is switched, rows too; then back.
    await page.locator('#language').selectOption('zh');
    await page.locator('#torrents-title', { hasText: /^种子/ }).waitFor();
    await first.locator('.tcell--state', { hasText: /^下载中$/ }).waitFor();
    assert.equal(await page.locator('.tsort[data-sort="name"]').textContent(), '名称');
    assert.equal(await first.getByRole('button', { name: '停止' }).count(), 1);
    await page.locator('#language').selectOption('en');
    await first.locator('.tcell--state', { hasText: /^Downloading$/ }).waitFor();
    assert.equal(await page.locator('.tsort[data-sort="name"]').textContent(), 'Name');

    // Sorted by a clicked header: download speed high to low, then the name from Z to A.
    await page.locator('.tsort[data-sort="dl_speed"]').click();
    const fastest = rows.filter((row) => row.dl_speed === 6000).sort((a, b) => (a.hash < b.hash ? -1 : 1))[0]!;
    await waitUntil(async () => (await drawnHashes(page))[0] === fastest.hash, WAIT_MS, 'fastest first');
    assert.equal(await page.locator('[role="columnheader"][aria-sort="descending"] .tsort').textContent(), 'Down');
    await page.locator('.tsort[data-sort="name"]').click();
    await page.locator('.tsort[data-sort="name"]').click();
    await page.locator('[role="columnheader"][aria-sort="descending"] .tsort', { hasText: 'Name' }).waitFor();
    await waitUntil(async () => (await drawnHashes(page))[0] === hashOf(ROWS - 1), WAIT_MS, 'name Z to A');

    // Scrolled to the end: the last rows are drawn, still only a window of them.
    await page.locator('.torrent-table__viewport').evaluate((viewport) => viewport.scrollTo(0, viewport.scrollHeight));
    await page.locator(`[data-hash="${hashOf(0)}"]`).waitFor();
    assert.ok((await drawnHashes(page)).length < 80);

    // Filters: a state group, then a category, then a search, each narrowing what shows.
    await page.locator('.torrent-groups__button[data-group="stopped"]').click();
    await shown(page, `${byGroup.get('stopped')!.toLocaleString('en')} of 5,000`);
    const states = await page.locator('.torrent-table__body .tstate').allTextContents();
    assert.ok(states.length > 0 && states.every((state) => state === 'Paused'), states.join());
    await page.locator('#torrent-category').selectOption('movies');
    const stoppedMovies = rows.filter((row) => row.state === 'pausedDL' && row.category === 'movies');
    await shown(page, `${stoppedMovies.length} of 5,000`);
    await page.locator('.torrent-groups__button[data-group="all"]').click();
    await page.locator('#torrent-search').fill('TORRENT-12');
    const searched = rows.filter((row) => row.name.includes('torrent-12') && row.category === 'movies');
    await shown(page, `${searched.length} of 5,000`);
    await page.locator('#torrent-search').fill('');
    await page.locator('#torrent-category').selectOption('*');
    await shown(page, '5,000 of 5,000');

    // Recently completed: newest completion first.
    const completed = rows.filter((row) => row.completion_on !== null).sort((a, b) => b.completion_on!.localeCompare(a.completion_on!));
    const listed = await page.locator('#torrents-completed .torrent-completed__name').allTextContents();
    assert.deepEqual(
      listed,
      completed.slice(0, 8).map((row) => row.name),
    );
  });

  test('one update of 5,000 rows repaints only the rows it changed, and a burst of updates is drawn once per frame', async (t) => {
    await page.locator('.tsort[data-sort="name"]').click();
    await page.locator('[role="columnheader"][aria-sort="ascending"] .tsort', { hasText: 'Name' }).waitFor();
    await page.locator('.torrent-table__viewport').evaluate((viewport) => viewport.scrollTo(0, 0));
    await waitUntil(async () => (await drawnHashes(page))[0] === hashOf(0), WAIT_MS, 'back at the top');
    await nextFrames(page);
    // A string, not a function: tsx would wrap the named closures in a helper the page lacks.
    await page.evaluate(`(() => {
      window.panelRecords = [];
      window.panelObserver = new MutationObserver((records) => window.panelRecords.push(...records));
      window.panelObserver.observe(document.getElementById('torrents-panel'), { subtree: true, childList: true, attributes: true, characterData: true });
    })()`);
    // Three rows in view and two far outside it change speed and progress (no field the order or the counts depend on).
    const changed = [1, 2, 3, 4000, 4500].map(hashOf);
    server.app.publish(EventName.torrentUpdated, {
      changed: Object.fromEntries(changed.map((hash) => [hash, { dl_speed: 7_654_321, progress: 0.5 }])),
      removed: [],
    });
    await page.locator(`[data-hash="${hashOf(3)}"] .tcell--dl_speed`, { hasText: '7.3 MB/s' }).waitFor();
    await nextFrames(page);
    const touched = await page.evaluate<{ rows: string[]; outside: string[]; rowsAddedOrRemoved: number; records: number }>(`(() => {
      const records = [...window.panelRecords, ...window.panelObserver.takeRecords()];
      window.panelObserver.disconnect();
      const elementOf = (node) => (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
      const rows = new Set();
      const outside = [];
      let rowsAddedOrRemoved = 0;
      for (const record of records) {
        const element = elementOf(record.target);
        // Relative times ("3 d ago") refresh once a second, whatever the table does.
        if (element.closest('time')) continue;
        if (element.classList.contains('torrent-table__body')) rowsAddedOrRemoved += 1;
        const row = element.closest('[data-hash]');
        if (row) rows.add(row.dataset.hash);
        else outside.push(record.type + ' ' + element.className);
      }
      return { rows: [...rows], outside, rowsAddedOrRemoved, records: records.length };
    })()`);
    assert.deepEqual(touched.rows.sort(), changed.slice(0, 3).sort(), 'only the changed rows in view were written');
    assert.deepEqual(touched.outside, [], 'nothing outside those rows changed');
    assert.equal(touched.rowsAddedOrRemoved, 0, 'no row added to or removed from the DOM');
    // Per row: the down speed, the ETA where shown, the percentage and the bar's width.
    t.diagnostic(`${touched.records} DOM mutations for 5 changed rows of ${ROWS}, 3 of them drawn`);
    assert.ok(touched.records <= 3 * 4, `${touched.records} DOM mutations for 3 changed rows`);

    await page.evaluate(`(() => {
      const counts = { writes: 0, frames: 0 };
      new MutationObserver((records) => (counts.writes += records.length))
        .observe(document.querySelector('[data-hash="${hashOf(1)}"] .tcell--dl_speed'), { childList: true, characterData: true, subtree: true });
      const countFrame = () => {
        counts.frames += 1;
        requestAnimationFrame(countFrame);
      };
      requestAnimationFrame(countFrame);
      window.burstCounts = counts;
    })()`);
    const updates = 200;
    for (let i = 1; i <= updates; i++)
      server.app.publish(EventName.torrentUpdated, { changed: { [hashOf(1)]: { dl_speed: i * 1024 } }, removed: [] });
    await page.locator(`[data-hash="${hashOf(1)}"] .tcell--dl_speed`, { hasText: '200 KB/s' }).waitFor();
    const { writes, frames } = await page.evaluate<{ writes: number; frames: number }>('window.burstCounts');
    t.diagnostic(`${updates} updates of one row: its down speed written ${writes} times in ${frames} frames`);
    assert.ok(writes <= frames + 1, `${writes} writes in ${frames} frames`);
    assert.ok(writes < updates, `${writes} writes for ${updates} updates`);
  });

  test('fits a phone-width screen as cards, still windowed; a read key gets no Add box and no row actions', async () => {
    const phone = await admin.newPage();
    recordPageProblems(phone, problems);
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(server.url);
    await phone.locator('#torrent-total', { hasText: '5,000' }).waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${overflow} px wider than the screen`);
    const row = phone.locator(`[data-hash="${hashOf(0)}"]`);
    const box = await row.boundingBox();
    assert.ok(box && box.width <= 390, `row ${box?.width} px wide`);
    assert.ok((await row.getByRole('button', { name: 'Stop' }).boundingBox())!.x + 20 <= 390, 'the row actions are on screen');
    assert.ok((await drawnHashes(phone)).length < 60);
    await phone.locator('#torrents-panel').scrollIntoViewIfNeeded();
    await saveScreenshot(phone, 'torrents-phone', false);
    await phone.close();

    const readerContext = await browser.newContext({ viewport: DESKTOP });
    readerContext.setDefaultTimeout(WAIT_MS);
    const reader = await readerContext.newPage();
    recordPageProblems(reader, problems);
    await signIn(reader, READ_KEY);
    await reader.locator(`[data-hash="${hashOf(0)}"]`).waitFor();
    assert.equal(await reader.locator('.torrent-table__body button').count(), 0, 'no row actions');
    assert.equal(await reader.locator('#torrent-add').isHidden(), true, 'no Add box');
    await reader.getByText('A read-only key can watch').waitFor();
    await readerContext.close();

    // The table emptied through the bus: every row goes, and the page says why it is empty.
    server.app.publish(EventName.torrentUpdated, { changed: {}, removed: Array.from({ length: ROWS }, (_, i) => hashOf(i)) });
    await page.locator('#torrents-empty', { hasText: 'Not connected to qBittorrent: see Components.' }).waitFor();
    assert.equal(await page.locator('.torrent-table__body .trow').count(), 0);
  });

  test('with qbittorrent-nox: a magnet added in the Add box shows in the table; pause, resume and delete from its row reach qBittorrent', {
    skip: qbittorrentSkipReason(),
  }, async () => {
    qbittorrent = await startQbittorrent();
    const { url, username, password } = qbittorrent;
    const patched = await rest(server, 'PATCH', '/api/v1/config', {
      body: { qbittorrent: { url, username, password, sync_interval: 0.2 } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const qbt = await webUi(qbittorrent);
    const stateInQbittorrent = async (hash: string) =>
      (await qbt.get<Array<{ state: string }>>('torrents/info', { hashes: hash }))[0]?.state;

    // qBittorrent's transfer figures arrive with each sync: its free space, and the chart drawn.
    await page.locator('#transfer-free', { hasText: /\d/ }).waitFor();
    await page.locator('#transfer-down', { hasText: /B\/s$/ }).waitFor();
    assert.equal(await page.locator('#transfer-chart canvas').count(), 1);

    const hash = randomBytes(20).toString('hex');
    const name = `qbtm-panel-${hash.slice(0, 8)}`;
    await page.locator('#torrent-add-input').fill(`magnet:?xt=urn:btih:${hash}&dn=${name}`);
    await page.locator('#torrent-add').getByRole('button', { name: 'Add' }).click();
    await page.locator('#torrent-add-status', { hasText: `Added: ${name}` }).waitFor();
    assert.equal(await page.locator('#torrent-add-input').inputValue(), '', 'the box is cleared');
    const row = page.locator(`.torrent-table__body [data-hash="${hash}"]`);
    await row.locator('.tcell--name', { hasText: name }).waitFor();
    await page.locator('#torrent-total', { hasText: /^1$/ }).waitFor();

    // qBittorrent 4.x words it pause and resume (5.x: stop and start).
    await row.getByRole('button', { name: 'Pause' }).click();
    await waitUntil(async () => (await stateInQbittorrent(hash)) === 'pausedDL', WAIT_MS, 'paused in qBittorrent');
    await row.locator('.tcell--state', { hasText: 'Paused' }).waitFor();
    await row.getByRole('button', { name: 'Resume' }).click();
    await waitUntil(async () => !String(await stateInQbittorrent(hash)).startsWith('paused'), WAIT_MS, 'resumed in qBittorrent');
    await row.getByRole('button', { name: 'Pause' }).waitFor();
    await saveScreenshot(page, 'torrents-qbittorrent');

    // Delete asks first: cancelled, nothing happens; confirmed with the files, qBittorrent removes it.
    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.locator('#torrent-delete-dialog');
    await dialog.getByText(`Delete “${name}” from qBittorrent?`).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.ok(await stateInQbittorrent(hash), 'still in qBittorrent');
    await row.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByLabel('Also delete the downloaded files').check();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal(await stateInQbittorrent(hash), undefined, 'gone from qBittorrent');
    await page.locator('#torrents-empty', { hasText: 'qBittorrent has no torrents.' }).waitFor();
  });

  test('with qBittorrent 5.x (a stand-in replaying recorded answers with 5.x state names): stopped reads Stopped, and Start asks qBittorrent to start', async () => {
    const recorded = JSON.parse(readFileSync(new URL('./fixtures/maindata-qbittorrent-4.5.2.json', import.meta.url), 'utf8')) as unknown[];
    const answers = JSON.parse(JSON.stringify(recorded).replaceAll('"pausedDL"', '"stoppedDL"').replaceAll('"pausedUP"', '"stoppedUP"'));
    standin = await startQbittorrentStandin({ version: 'v5.0.4', webApiVersion: '2.11.2', maindata: answers });
    const patched = await rest(server, 'PATCH', '/api/v1/config', {
      body: { qbittorrent: { url: standin.url, username: 'admin', password: 'x', sync_interval: 0.2 } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const stopped = page.locator('.torrent-table__body .trow', { has: page.locator('.tstate', { hasText: /^Stopped$/ }) });
    await stopped.waitFor();
    const hash = await stopped.getAttribute('data-hash');
    await page.locator('.torrent-groups__button[data-group="stopped"] .torrent-groups__count', { hasText: /^1$/ }).waitFor();
    await stopped.getByRole('button', { name: 'Start' }).click();
    await waitUntil(
      () => standin!.actions.some(({ action, form }) => action === 'start' && form.hashes === hash),
      WAIT_MS,
      'start asked of qBittorrent',
    );
    const running = page.locator('.torrent-table__body .trow', { has: page.locator('.tstate', { hasText: /^Seeding$/ }) });
    await running.getByRole('button', { name: 'Stop' }).waitFor();
  });

  test('nothing went wrong in any page', () => {
    assert.deepEqual(problems, [], 'no uncaught errors, CSP violations or console errors');
  });
});
