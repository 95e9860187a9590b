/**
 * The monitored system for real: a magnet copied under Xvfb lands in a real qbittorrent-nox, clients
 * see the counters move; qBittorrent stopped and started shows in its status and its alert; a config
 * edit changes the clipboard poll rate at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { validateConfig } from '../src/config/validate.js';
import { createInMemoryClipboardAddStore } from '../src/store/clipboard-add-store.js';
import { createInMemoryPendingLinkStore } from '../src/store/pending-link-store.js';
import { createInMemorySeenStore } from '../src/store/seen-store.js';
import { createComponents } from '../src/sources/components.js';
import { QbittorrentWebUiClient } from '../src/sources/qbittorrent/webui-client.js';
import { openDatabase } from '../src/store/database.js';
import { createSqliteTorrentLifecycleStore } from '../src/store/torrent-lifecycle-store.js';
import { qbittorrentNoxVersion, qbittorrentSkipReason, type QbittorrentNox, startQbittorrent } from './support/qbittorrent-nox.js';
import { rest } from './support/rest.js';
import { READ_KEY, startServer, type TestServer } from './support/server.js';
import { connectAuthed, type Message, type TestClient, withTimeout } from './support/ws-client.js';
import { startXvfb, type Xvfb, XVFB_SKIP_REASON, xvfbToolsInstalled } from './support/xvfb.js';

const skip = qbittorrentSkipReason() ?? (xvfbToolsInstalled() ? undefined : XVFB_SKIP_REASON);
const magnet = (hash: string, name: string) => `magnet:?xt=urn:btih:${hash}&dn=${name}`;
const HASH_A = `${'a'.repeat(8)}0123456789abcdef0123456789abcdef`;
const HASH_B = `${'b'.repeat(8)}0123456789abcdef0123456789abcdef`;
const HASH_C = `${'c'.repeat(8)}0123456789abcdef0123456789abcdef`;

describe('components against real qBittorrent and a real clipboard', { skip }, () => {
  let qbt: QbittorrentNox;
  let xvfb: Xvfb;
  let server: TestServer;
  let client: TestClient;
  let qbtApi: QbittorrentWebUiClient;
  const savedDisplay = process.env.DISPLAY;

  before(async () => {
    [qbt, xvfb] = await Promise.all([startQbittorrent(), startXvfb()]);
    // The service reads the clipboard of the display it runs under, as on a desktop.
    process.env.DISPLAY = xvfb.display;
    delete process.env.WAYLAND_DISPLAY;
    server = await startServer({
      check_interval: 0.2,
      // Polling, which the check_interval test below is about (change notifications: test/clipboard-qbittorrent.test.ts).
      clipboard: { enabled: true, category: 'from-clipboard', watch_changes: false },
      qbittorrent: { url: qbt.url, username: qbt.username, password: qbt.password, health_check_interval: 0.2, reconnect_max_delay: 0.5 },
      alerts: { qbittorrent_unreachable_seconds: 1 },
    });
    ({ client } = await connectAuthed(server.wsUrl(), READ_KEY));
    qbtApi = new QbittorrentWebUiClient({ url: qbt.url, username: qbt.username, password: qbt.password });
  });
  after(async () => {
    client?.close();
    qbtApi?.close();
    await server?.stop();
    await Promise.all([qbt?.dispose(), xvfb?.stop()]);
    process.env.DISPLAY = savedDisplay;
    if (savedDisplay === undefined) delete process.env.DISPLAY;
  });

  const clipboardStatus = (predicate: (details: any, message: Message) => boolean) =>
    client.next((m) => m.type === 'status' && m.data.component === 'clipboard_monitor' && predicate(m.data.details, m), 15_000);
  const qbtStatus = (status: string) =>
    client.next((m) => m.type === 'status' && m.data.component === 'qbittorrent_client' && m.data.status === status, 15_000);

  async function torrentInQbittorrent(hash: string): Promise<{ name: string; category: string }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [torrent] = await qbtApi.listTorrents({ hashes: [hash] });
      if (torrent) return torrent as { name: string; category: string };
      if (Date.now() > deadline) throw new Error(`torrent ${hash} not in qBittorrent`);
      await new Promise((resolve) => setTimeout(resolve, 100)); // polling qBittorrent's own API: it has no push
    }
  }

  test('connects to qBittorrent and reports its real version', async () => {
    const connected =
      client.received.find((m) => m.data?.component === 'qbittorrent_client' && m.data.status === 'connected') ??
      (await qbtStatus('connected'));
    assert.equal(connected.data.connection_info.host, '127.0.0.1');
    assert.equal(connected.data.connection_info.port, qbt.port);
    assert.equal(connected.data.connection_info.version, qbittorrentNoxVersion());
    assert.match(connected.data.last_activity, /Z$/);
  });

  test('a magnet copied to the clipboard is added to qBittorrent, and subscribers see the counters move', async () => {
    await xvfb.copy(`look at this: ${magnet(HASH_A, 'clipboard-test')} thanks`);
    const status = await clipboardStatus((details) => details.successful_adds >= 1);
    assert.equal(status.data.status, 'running');
    assert.equal(status.data.details.processed_count, status.data.details.successful_adds + status.data.details.failed_adds);
    assert.equal(status.data.details.last_added.info_hash, HASH_A);
    assert.match(status.data.last_check, /Z$/);
    const torrent = await torrentInQbittorrent(HASH_A);
    assert.equal(torrent.category, 'from-clipboard');
  });

  test('copying the same torrent again does not add it twice; an invalid magnet counts as a failure', async () => {
    await xvfb.copy(`${magnet(HASH_A.toUpperCase(), 'again')}\nmagnet:?xt=urn:btih:tooshort`);
    const status = await clipboardStatus((details) => details.failed_adds >= 1);
    assert.equal(status.data.details.successful_adds, 1);
    assert.ok(status.data.details.duplicates_skipped >= 1);
    assert.match(status.data.details.last_failure.reason, /hash/i);
  });

  test('POST /api/v1/torrents adds by hand, counted the same way', async () => {
    const response = await rest(server, 'POST', '/api/v1/torrents', { body: { urls: [magnet(HASH_B, 'by-hand')] } });
    assert.equal(response.status, 200);
    assert.deepEqual(
      response.body.added.map((t: { info_hash: string }) => t.info_hash),
      [HASH_B],
    );
    await torrentInQbittorrent(HASH_B);
    await clipboardStatus((details) => details.successful_adds === 2);
    assert.equal((await rest(server, 'POST', '/api/v1/torrents', { body: { text: 'nothing here' } })).status, 400);
    assert.equal((await rest(server, 'POST', '/api/v1/torrents', { key: READ_KEY, body: { urls: [magnet(HASH_C, 'x')] } })).status, 403);
  });

  test('qBittorrent stopped: disconnected, then alert.qbittorrent; started again: connected, alert resolved', async () => {
    await qbt.stop();
    const down = await qbtStatus('disconnected');
    assert.ok(down.data.error, 'says why');
    const alert = await client.next((m) => m.type === 'alert' && m.data.type === 'qbittorrent' && m.data.status === 'active', 15_000);
    assert.equal(alert.data.level, 'critical');
    await qbt.start();
    await qbtStatus('connected');
    const resolved = await client.next(
      (m) => m.type === 'alert' && m.data.alert_id === alert.data.alert_id && m.data.status === 'resolved',
      15_000,
    );
    assert.equal(resolved.data.resolved_by, 'system');
  });

  test('editing check_interval in the config file changes the poll rate at once', async () => {
    const config = JSON.parse(readFileSync(server.configPath, 'utf8'));
    config.check_interval = 3600;
    writeFileSync(server.configPath, JSON.stringify(config));
    await client.next((m) => m.type === 'config' && m.data.new_values?.check_interval === 3600);
    await xvfb.copy(magnet(HASH_C, 'slow-poll'));
    config.check_interval = 0.2;
    writeFileSync(server.configPath, JSON.stringify(config));
    await client.next((m) => m.type === 'config' && m.data.new_values?.check_interval === 0.2);
    // Within an hour's poll this could only be the new interval cutting the wait short.
    const status = await clipboardStatus((details) => details.last_added?.info_hash === HASH_C);
    assert.equal(status.data.details.successful_adds, 3);
    await torrentInQbittorrent(HASH_C);
  });

  test('a new client gets every component status in its snapshot', async () => {
    const { client: late } = await connectAuthed(server.wsUrl('/ws/status'), READ_KEY);
    const sentinel = await late.next((m) => m.meta?.snapshot === true && m.data.component === 'clipboard_monitor');
    assert.ok(sentinel);
    const components = late.received
      .filter((m) => m.meta?.snapshot)
      .map((m) => m.data.component)
      .sort();
    assert.deepEqual(components, ['clipboard_monitor', 'qbittorrent_client']);
    late.close();
  });
});

describe('without qBittorrent configured or a clipboard', () => {
  test('qbittorrent_client says not_configured; the clipboard monitor says why it cannot read; the service runs on', async () => {
    const savedDisplay = process.env.DISPLAY;
    const savedWayland = process.env.WAYLAND_DISPLAY;
    delete process.env.DISPLAY;
    delete process.env.WAYLAND_DISPLAY;
    const server = await startServer({ clipboard: { enabled: true } });
    try {
      const { client } = await connectAuthed(server.wsUrl('/ws/status'), READ_KEY);
      const qbt = await client.next((m) => m.data?.component === 'qbittorrent_client');
      assert.equal(qbt.data.status, 'not_configured');
      const clip = await client.next((m) => m.data?.component === 'clipboard_monitor' && m.data.status === 'unavailable');
      assert.match(clip.data.details.reason, /DISPLAY/);
      const response = await rest(server, 'POST', '/api/v1/torrents', { body: { text: magnet(HASH_A, 'nowhere') } });
      assert.equal(response.status, 200);
      // Kept until qBittorrent is configured and takes it.
      assert.deepEqual(response.body.failed, []);
      assert.equal(response.body.pending[0].info_hash, HASH_A);
      const pending = await client.next((m) => m.data?.component === 'clipboard_monitor' && m.data.details.pending_count === 1);
      assert.match(pending.data.details.pending[0].reason, /not configured/i);
      client.close();
    } finally {
      await server.stop();
      if (savedDisplay !== undefined) process.env.DISPLAY = savedDisplay;
      if (savedWayland !== undefined) process.env.WAYLAND_DISPLAY = savedWayland;
    }
  });

  test('in a cluster, a component switched off on a node says nothing, but for the status that says it went off', async () => {
    const savedDisplay = process.env.DISPLAY;
    const savedWayland = process.env.WAYLAND_DISPLAY;
    delete process.env.DISPLAY;
    delete process.env.WAYLAND_DISPLAY;
    let config = validateConfig({ clipboard: { enabled: true } }, 'test');
    const published: Array<[string, unknown]> = [];
    let clipboardSeen = () => {};
    const dataDir = mkdtempSync(join(tmpdir(), 'qbtm-components-'));
    const db = openDatabase(dataDir);
    const components = createComponents({
      config: () => config,
      publish: (name: string, data: object) => {
        published.push([name, 'status' in data ? data.status : undefined]);
        if (name === 'status.clipboard_monitor') clipboardSeen();
      },
      seen: createInMemorySeenStore(),
      clipboardAdds: createInMemoryClipboardAddStore(),
      torrentLifecycle: createSqliteTorrentLifecycleStore(db),
      pendingLinks: createInMemoryPendingLinkStore(),
      logger: pino({ level: 'silent' }),
      quietWhenOff: true,
    });
    try {
      await withTimeout(
        new Promise<void>((resolve) => {
          clipboardSeen = resolve;
          void components.start();
        }),
        4000,
        'no clipboard status',
      );
      config = { ...config, clipboard: { ...config.clipboard, enabled: false } };
      components.reconfigure(config, ['clipboard.enabled']);
      await withTimeout(
        new Promise<void>((resolve) => {
          clipboardSeen = resolve;
        }),
        4000,
        'no stopped status',
      );
      // Counted while off, and not announced.
      await components.clipboard.submit(magnet(HASH_A, 'off'), 'api');
      assert.deepEqual(published, [
        ['status.clipboard_monitor', 'unavailable'],
        ['status.clipboard_monitor', 'stopped'],
      ]);
    } finally {
      await components.stop();
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (savedDisplay !== undefined) process.env.DISPLAY = savedDisplay;
      if (savedWayland !== undefined) process.env.WAYLAND_DISPLAY = savedWayland;
    }
  });
});
