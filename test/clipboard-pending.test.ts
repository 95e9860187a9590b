/**
 * Pending links with real parts: a real qbittorrent-nox stopped while links are copied under Xvfb
 * (xclip, XFIXES), the links kept and shown as pending, a repeated copy retrying them, the service
 * killed with SIGKILL and started again while they wait, and each torrent in qBittorrent where its
 * rule said, exactly once, when qBittorrent is back.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { DEFAULT_CONFIG } from '../src/config/defaults.js';
import type { ClipboardStatus } from '../src/protocol/index.js';
import { changeWatcherFor } from '../src/sources/clipboard/change-watcher.js';
import { createClipboardMonitor } from '../src/sources/clipboard/monitor.js';
import { createClipboardReader } from '../src/sources/clipboard/read-clipboard.js';
import { isTemporary } from '../src/sources/qbittorrent/errors.js';
import { createQbittorrentMonitor } from '../src/sources/qbittorrent/monitor.js';
import { QbittorrentWebUiClient, type TorrentInfo } from '../src/sources/qbittorrent/webui-client.js';
import { findExecutable, missingPeer } from './support/peers.js';
import { qbittorrentSkipReason, type QbittorrentNox, startQbittorrent } from './support/qbittorrent-nox.js';
import { createRecorder } from './support/recorder.js';
import { ADMIN_KEY } from './support/server.js';
import { newDataDir, runService, type ServiceProcess, writeConfig } from './support/service-process.js';
import { connectAuthed, type TestClient } from './support/ws-client.js';
import { startXvfb, type Xvfb, XVFB_SKIP_REASON, xvfbToolsInstalled } from './support/xvfb.js';

function xlibSkipReason(): string | undefined {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import Xlib.ext.xfixes'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return missingPeer('python3-xlib not installed: apt-get install python3-xlib');
  }
}

const skip =
  qbittorrentSkipReason() ??
  (xvfbToolsInstalled() ? xlibSkipReason() : XVFB_SKIP_REASON) ??
  (findExecutable('mktorrent') ? undefined : missingPeer('mktorrent not installed: apt-get install mktorrent'));

const hash = (n: number) => n.toString(16).padStart(8, '0').repeat(5);
const magnet = (infoHash: string, name: string) => `magnet:?xt=urn:btih:${infoHash}&dn=${encodeURIComponent(name)}`;
const RULES = [
  { name: 'tv', match: { name: '/S\\d{2}E\\d{2}/' }, category: 'tv', tags: ['series'], paused: true },
  { name: 'films', match: { name: '* 1080p*' }, category: 'movies' },
];

function makeTorrent(dir: string, name: string): string {
  const content = join(dir, name);
  mkdirSync(content);
  writeFileSync(join(content, 'video.mkv'), Buffer.alloc(200_000, name));
  const file = join(dir, `${name}.torrent`);
  // A tracker on a loopback port nothing listens on: nothing is announced anywhere else.
  execFileSync('mktorrent', ['-a', 'http://127.0.0.1:9/announce', '-l', '15', '-o', file, content], { stdio: 'ignore' });
  return file;
}

/** The torrents qBittorrent holds, once `count` of them are there (its API has no push). */
async function torrentsIn(api: QbittorrentWebUiClient, count: number): Promise<TorrentInfo[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const list = await api.listTorrents({});
    if (list.length >= count) return list;
    if (Date.now() > deadline) throw new Error(`qBittorrent holds ${list.length} torrents, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('links copied while qBittorrent is down are kept until it takes them', { skip }, () => {
  let qbt: QbittorrentNox;
  let xvfb: Xvfb;
  let work: string;
  let api: QbittorrentWebUiClient;

  before(async () => {
    [qbt, xvfb] = await Promise.all([startQbittorrent(), startXvfb()]);
    await xvfb.copy('nothing yet');
    work = mkdtempSync(join(tmpdir(), 'qbtm-pending-'));
    api = new QbittorrentWebUiClient({ url: qbt.url, username: qbt.username, password: qbt.password });
  });
  after(async () => {
    api?.close();
    await Promise.all([qbt?.dispose(), xvfb?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  test('a repeated copy of a pending or failed link tries it again at once', async (t) => {
    const qbittorrent = createQbittorrentMonitor({ url: qbt.url, username: qbt.username, password: qbt.password, publish: () => {} });
    const statuses = createRecorder<ClipboardStatus>();
    const monitor = createClipboardMonitor({
      checkIntervalSec: 3600,
      readClipboard: createClipboardReader({ env: xvfb.env }),
      startWatcher: changeWatcherFor('linux', xvfb.env),
      settings: () => ({ ...DEFAULT_CONFIG.clipboard, rules: RULES }),
      addTorrent: ({ url, file, ...placement }) =>
        file ? qbittorrent.addTorrentFile(file, placement) : qbittorrent.addTorrents([url], placement),
      isTemporary,
      // An hour before any retry on the backoff: every try below comes from a copy.
      retryBackoff: () => ({ initialDelayMs: 3_600_000, maxDelayMs: 3_600_000 }),
      publish: (_name, data) => statuses.record(data),
    });
    t.after(async () => {
      await monitor.close();
      await qbittorrent.stop();
    });
    await qbittorrent.start();
    monitor.start();
    await statuses.waitFor((status) => status.details.detection === 'xfixes', 'XFIXES change notifications');

    await qbt.stop();
    const episode = magnet(hash(21), 'Show.S03E04');
    await xvfb.copy(episode);
    let status = await statuses.waitFor((s) => s.details.pending[0]?.attempts === 1, 'the link pending after one try');
    assert.equal(status.details.pending_count, 1);
    assert.equal(status.details.failed_adds, 0);
    assert.match(status.details.pending[0]?.reason ?? '', /cannot reach qBittorrent|did not answer/);
    // The same text copied again: the clipboard's text does not change, the copy is noticed and retries.
    await xvfb.copy(episode);
    status = await statuses.waitFor((s) => s.details.pending[0]?.attempts === 2, 'a second try on the repeated copy');
    assert.equal(status.details.duplicates_skipped, 0);

    // A .torrent file that is broken when copied fails; fixed and copied again (the same path), it is added.
    await qbt.start();
    mkdirSync(join(work, 'downloads'));
    const broken = join(work, 'downloads', 'Film 2020 1080p.torrent');
    writeFileSync(broken, 'not a torrent');
    await xvfb.copy(broken);
    await statuses.waitFor((s) => s.details.failed_adds === 1, 'the broken file failed');
    writeFileSync(broken, readFileSync(makeTorrent(work, 'Film 2020 1080p')));
    await xvfb.copy(broken);
    status = await statuses.waitFor((s) => s.details.successful_adds === 1, 'the fixed file added');
    assert.equal(status.details.last_added?.rule, 'films');
    // The pending episode, copied again now that qBittorrent is back: added where its rule said.
    await xvfb.copy(episode);
    status = await statuses.waitFor((s) => s.details.successful_adds === 2, 'the pending link added');
    assert.equal(status.details.pending_count, 0);
    const list = await torrentsIn(api, 2);
    assert.equal(list.length, 2);
    const show = list.find((torrent) => torrent.hash === hash(21));
    assert.equal(show?.category, 'tv');
    assert.match(show?.state ?? '', /^(paused|stopped)/);
    assert.equal(list.find((torrent) => torrent.name === 'Film 2020 1080p')?.category, 'movies');
    // Copied once more: already added, nothing tried.
    await xvfb.copy(episode);
    await xvfb.copy(magnet(hash(22), 'marker'));
    status = await statuses.waitFor((s) => s.details.last_added?.info_hash === hash(22), 'the marker added');
    assert.equal(status.details.successful_adds, 3);
    assert.equal(status.details.duplicates_skipped, 0);
    assert.equal((await torrentsIn(api, 3)).length, 3);
  });

  describe('the service: pending across kill -9, added once qBittorrent is back', () => {
    let dataDir: string;
    let configPath: string;
    let service: ServiceProcess;
    let client: TestClient;
    const episodeHash = hash(31);

    before(() => {
      dataDir = newDataDir();
      configPath = writeConfig(dataDir, {
        check_interval: 3600,
        metrics: { sample_system: false },
        auth: { api_keys: [{ name: 'admin', key: ADMIN_KEY, role: 'admin' }] },
        qbittorrent: {
          url: qbt.url,
          username: qbt.username,
          password: qbt.password,
          health_check_interval: 0.5,
          reconnect_max_delay: 1,
        },
        clipboard: { enabled: true, rules: [{ ...RULES[0], save_path: join(work, 'tv') }, RULES[1]] },
      });
    });
    after(async () => {
      client?.close();
      await service?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    async function startService(): Promise<void> {
      client?.close();
      service = await runService(['--data-dir', dataDir, '--config', configPath], { DISPLAY: xvfb.display, WAYLAND_DISPLAY: '' });
      ({ client } = await connectAuthed(`ws://127.0.0.1:${service.port}/ws`, ADMIN_KEY));
    }
    const clipboardStatus = (predicate: (details: ClipboardStatus['details']) => boolean, what: string) =>
      client
        .next((m) => m.type === 'status' && m.data.component === 'clipboard_monitor' && predicate(m.data.details), 20_000)
        .catch((error: Error) => {
          throw new Error(`${what}: ${error.message}`);
        });

    test('copied while qBittorrent is stopped: pending with its placement, in SQLite with the file bytes, through a kill -9', async () => {
      await xvfb.copy('nothing yet');
      await startService();
      await clipboardStatus((details) => details.detection === 'xfixes', 'XFIXES change notifications');
      await qbt.stop();
      await xvfb.copy(magnet(episodeHash, 'Show.S01E01.720p'));
      const film = makeTorrent(work, 'Film 2019 1080p');
      await xvfb.copy(pathToFileURL(film).href);
      const pending = await clipboardStatus((details) => details.pending_count === 2, 'two links pending');
      const [episode, movie] = pending.data.details.pending;
      assert.deepEqual(
        { ...episode, at: null, attempts: null, next_retry_at: null, reason: null },
        {
          kind: 'magnet',
          info_hash: episodeHash,
          name: 'Show.S01E01.720p',
          rule: 'tv',
          category: 'tv',
          tags: ['series'],
          save_path: join(work, 'tv'),
          paused: true,
          source: 'clipboard',
          at: null,
          attempts: null,
          next_retry_at: null,
          reason: null,
        },
      );
      assert.ok(episode.attempts >= 1);
      assert.match(episode.next_retry_at ?? '', /Z$/);
      assert.equal(movie?.kind, 'torrent_file');
      assert.equal(movie?.rule, 'films');
      assert.deepEqual(pending.data.details.recent_failures, []);
      // The file goes away (and the user copies something else): what is sent later is the copy kept in the database.
      rmSync(film);
      await xvfb.copy('something else');

      assert.equal(await service.stop('SIGKILL'), 'SIGKILL');
      const db = new Database(join(dataDir, 'qbt-monitor.db'), { readonly: true, fileMustExist: true });
      try {
        const rows = db.prepare('SELECT info_hash, rule, length(file) AS file_bytes FROM clipboard_pending ORDER BY id').all() as any[];
        assert.equal(rows.length, 2);
        assert.equal(rows[0].info_hash, episodeHash);
        assert.ok(rows[1].file_bytes > 0, 'the .torrent file kept');
      } finally {
        db.close();
      }
    });

    test('started again while qBittorrent is still down: still pending; once it is back, each torrent where its rule said, once', async () => {
      await startService();
      const kept = await clipboardStatus((details) => details.pending_count === 2, 'the pending links after the restart');
      assert.deepEqual(
        kept.data.details.pending.map((link: { rule: string | null }) => link.rule),
        ['tv', 'films'],
      );
      await qbt.start();
      const done = await clipboardStatus((details) => details.successful_adds === 2 && details.pending_count === 0, 'both added');
      assert.equal(done.data.details.failed_adds, 0);
      assert.deepEqual(
        done.data.details.recent_adds.map((add: { rule: string | null }) => add.rule),
        ['films', 'tv'],
      );

      // Three from the test before, and these two, each once.
      const list = await torrentsIn(api, 5);
      assert.equal(list.length, 5, 'each torrent once');
      const episode = list.find((torrent) => torrent.hash === episodeHash);
      assert.equal(episode?.category, 'tv');
      assert.equal(episode?.tags, 'series');
      assert.equal(episode?.save_path.replace(/\/$/, ''), join(work, 'tv'));
      assert.match(episode?.state ?? '', /^(paused|stopped)/);
      assert.equal(list.find((torrent) => torrent.name === 'Film 2019 1080p')?.category, 'movies');

      // Restarted once more: nothing pending, nothing added again.
      await service.stop();
      await startService();
      const again = await clipboardStatus((details) => details.detection === 'xfixes', 'running again');
      assert.equal(again.data.details.pending_count, 0);
      assert.equal(again.data.details.successful_adds, 0);
      assert.equal((await api.listTorrents({})).length, 5);
    });
  });
});
