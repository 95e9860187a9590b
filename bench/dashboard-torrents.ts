/**
 * The dashboard's Torrents panel with 5,000 torrents in Chromium: main-thread time (scripts, style,
 * layout: Chrome's own Performance metrics) and DOM mutations per `torrent.updated` that changes 1% of
 * the rows, side by side with the naive approach (the whole table drawn again per update) in the same
 * page. Updates are published through the real server's bus; each is awaited until drawn.
 * Usage: npx tsx bench/dashboard-torrents.ts [--rows 5000] [--updates 10] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import type { CDPSession, Page } from 'playwright-core';
import { buildDashboard } from '../scripts/build-dashboard.js';
import { bytesPerSecond } from '../src/dashboard/format.js';
import { EventName, type TorrentRow } from '../src/protocol/index.js';
import { launchChromium } from '../test/support/browser.js';
import { ADMIN_KEY, startServer } from '../test/support/server.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '5000' },
    updates: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
  },
});
const ROWS = Number(values.rows);
const UPDATES = Number(values.updates);
const ROUNDS = Number(values.rounds);
const CHANGED = Math.max(1, Math.round(ROWS / 100));
const STATES = ['downloading', 'stalledDL', 'pausedDL', 'uploading', 'queuedDL'];

const hashOf = (i: number) => i.toString(16).padStart(40, '0');
function row(i: number): TorrentRow {
  return {
    hash: hashOf(i),
    name: `torrent-${String(i).padStart(5, '0')}`,
    state: STATES[i % STATES.length]!,
    progress: (i % 100) / 100,
    size: (i + 1) * 1_000_000,
    category: ['movies', 'music', ''][i % 3]!,
    tags: [],
    save_path: '/downloads',
    added_on: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
    completion_on: null,
    source: 'qbittorrent',
    dl_speed: (i % 7) * 1000,
    up_speed: (i % 5) * 1000,
    eta: i * 10,
    ratio: (i % 30) / 10,
    num_seeds: 0,
    num_leechs: 0,
  };
}

/** Update n: 1% of the rows (row 0, in view, always among them) get new speeds and progress. */
function update(n: number): Record<string, Partial<TorrentRow>> {
  const changed: Record<string, Partial<TorrentRow>> = {};
  for (let k = 0; k < CHANGED; k++) {
    const i = k === 0 ? 0 : (n * 7919 + k * 104_729) % ROWS;
    changed[hashOf(i)] = { dl_speed: 1_000_000 + n * 1024 + k, up_speed: 2000 + n, progress: ((n + k) % 100) / 100 };
  }
  return changed;
}

/** The naive approach, in the page: a plain table of every row, built again on each update. */
const NAIVE = `(() => {
  const fields = ['name', 'size', 'progress', 'state', 'dl_speed', 'up_speed', 'eta', 'ratio', 'category'];
  const table = document.createElement('table');
  document.body.append(table);
  window.naive = {
    rows: new Map(),
    load(rows) { for (const row of rows) this.rows.set(row.hash, row); this.draw(); },
    apply(changed) { for (const [hash, fields] of Object.entries(changed)) Object.assign(this.rows.get(hash), fields); this.draw(); },
    draw() {
      const body = document.createElement('tbody');
      for (const row of this.rows.values()) {
        const tr = document.createElement('tr');
        for (const field of fields) {
          const td = document.createElement('td');
          td.textContent = String(row[field]);
          tr.append(td);
        }
        body.append(tr);
      }
      table.replaceChildren(body);
    },
  };
})()`;

const MUTATIONS = `(() => {
  window.mutations = 0;
  // Elements and texts added or removed (each with what it holds: a replaced table counts every cell), attributes written.
  const size = (node) => 1 + (node.querySelectorAll ? node.querySelectorAll('*').length : 0);
  const nodes = (list) => [...list].reduce((sum, node) => sum + size(node), 0);
  const count = (record) => (record.type === 'childList' ? nodes(record.addedNodes) + nodes(record.removedNodes) : 1);
  new MutationObserver((records) => records.forEach((record) => (window.mutations += count(record)))).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
})()`;

const twoFrames = (page: Page) => page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');

async function mainThreadMs(cdp: CDPSession): Promise<number> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  const seconds = (name: string) => metrics.find((metric) => metric.name === name)?.value ?? 0;
  return (seconds('ScriptDuration') + seconds('RecalcStyleDuration') + seconds('LayoutDuration')) * 1000;
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;

await buildDashboard();
const server = await startServer({ locale: 'en' });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(30_000);
  const rows = Array.from({ length: ROWS }, (_, i) => row(i));
  server.app.publish(EventName.torrentUpdated, { changed: Object.fromEntries(rows.map((r) => [r.hash, r])), removed: [] });
  await page.goto(server.url);
  await page.getByLabel('API key').fill(ADMIN_KEY);
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.locator('#torrent-total', { hasText: ROWS.toLocaleString('en') }).waitFor();
  await page.evaluate(NAIVE);
  await page.evaluate((all) => (window as unknown as { naive: { load(rows: unknown[]): void } }).naive.load(all), rows);
  await page.evaluate(MUTATIONS);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');

  const results: Record<'panel' | 'naive', { ms: number[]; mutations: number[] }> = {
    panel: { ms: [], mutations: [] },
    naive: { ms: [], mutations: [] },
  };
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of ['panel', 'naive'] as const) {
      await twoFrames(page);
      const startMs = await mainThreadMs(cdp);
      const startMutations = await page.evaluate<number>('window.mutations');
      for (let u = 0; u < UPDATES; u++) {
        n += 1;
        const changed = update(n);
        if (target === 'panel') {
          server.app.publish(EventName.torrentUpdated, { changed, removed: [] });
          const speed = bytesPerSecond(changed[hashOf(0)]!.dl_speed);
          await page.locator(`[data-hash="${hashOf(0)}"] .tcell--dl_speed`, { hasText: speed }).waitFor();
        } else {
          await page.evaluate((c) => (window as unknown as { naive: { apply(c: unknown): void } }).naive.apply(c), changed);
        }
        await twoFrames(page);
      }
      results[target].ms.push(((await mainThreadMs(cdp)) - startMs) / UPDATES);
      results[target].mutations.push(((await page.evaluate<number>('window.mutations')) - startMutations) / UPDATES);
    }
  }
  console.log(`${ROWS} torrents, ${CHANGED} changed per update, ${UPDATES} updates x ${ROUNDS} rounds; medians per update\n`);
  console.log('| approach | main-thread ms (script + style + layout) | DOM nodes added or removed, attributes and texts written |');
  console.log('| --- | ---: | ---: |');
  for (const [name, label] of [
    ['panel', 'Torrents panel (windowed, changed cells only)'],
    ['naive', 'naive (every row drawn again)'],
  ] as const) {
    console.log(`| ${label} | ${median(results[name].ms).toFixed(2)} | ${Math.round(median(results[name].mutations))} |`);
  }
  console.log(`\nratio naive / panel: ${(median(results.naive.ms) / median(results.panel.ms)).toFixed(1)}x`);
} finally {
  await browser.close();
  await server.stop();
}
