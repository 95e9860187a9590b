/**
 * Torrents live, on a real swarm on loopback (opentracker, mktorrent, a seeding qbittorrent-nox and the
 * one the service watches): a magnet copied under Xvfb is added, downloads and completes; clients see
 * it in their table (torrent.list + torrent.updated) exactly as qBittorrent's own API has it; deleting it
 * in qBittorrent removes it; errored and stalled torrents and low disk space raise alerts that resolve;
 * a client that was away gets the lifecycle back, once, in order, also what happened while the service
 * was down; a notification target for `torrent.completed` gets the real completion.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type QbittorrentNox, qbittorrentNoxVersion } from './support/qbittorrent-nox.js';
import { HttpError, QbtMonitorClient, TorrentsApi, TorrentTable } from '../src/client/node.js';
import { type Receiver, startReceiver } from './support/receiver.js';
import { rest } from './support/rest.js';
import { ADMIN_KEY, READ_KEY, startServer, type TestServer } from './support/server.js';
import { type SharedTorrent, type Swarm, startSwarm, swarmSkipReason, type WebUi, webUi } from './support/swarm.js';
import { connectAuthed, type Message, type TestClient, withTimeout } from './support/ws-client.js';
import { startXvfb, type Xvfb, XVFB_SKIP_REASON, xvfbToolsInstalled } from './support/xvfb.js';

const skip = swarmSkipReason() ?? (xvfbToolsInstalled() ? undefined : XVFB_SKIP_REASON);
const MiB = 1024 * 1024;
const HOOK_SECRET = 'torrents-webhook-secret';
const LIFECYCLE = ['torrent.added', 'torrent.completed', 'torrent.errored', 'torrent.stalled', 'torrent.removed'];

/** qBittorrent's `torrents/info` entry as the service's row should read (the documented mapping, written out independently). */
function expectedRow(info: Record<string, any>, source: string): Record<string, unknown> {
  const iso = (seconds: number) => (seconds > 0 ? new Date(seconds * 1000).toISOString() : null);
  return {
    hash: info.hash,
    name: info.name,
    state: info.state,
    progress: info.progress,
    size: info.size,
    category: info.category,
    tags: String(info.tags)
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean),
    save_path: info.save_path,
    added_on: iso(info.added_on),
    completion_on: iso(info.completion_on),
    source,
    dl_speed: info.dlspeed,
    up_speed: info.upspeed,
    eta: info.eta >= 0 && info.eta < 8_640_000 ? info.eta : null,
    ratio: Math.round(info.ratio * 1000) / 1000,
    num_seeds: info.num_seeds,
    num_leechs: info.num_leechs,
  };
}

/** A client's table as the protocol says to keep it: the last `torrent.list`, then each `torrent.updated` applied in order. */
function tableOf(messages: readonly Message[]): Map<string, Record<string, unknown>> {
  let table = new Map<string, Record<string, unknown>>();
  for (const message of messages) {
    if (message.meta?.event === 'torrent.list') table = new Map(message.data.torrents.map((row: any) => [row.hash, { ...row }]));
    if (message.meta?.event !== 'torrent.updated') continue;
    for (const hash of message.data.removed) table.delete(hash);
    for (const [hash, fields] of Object.entries(message.data.changed)) table.set(hash, { ...table.get(hash), ...(fields as object) });
  }
  return table;
}

const lifecycleOf = (messages: readonly Message[], hash: string) =>
  messages.filter((m) => LIFECYCLE.includes(String(m.meta?.event)) && m.data.hash === hash);

describe('torrents on a real swarm', { skip }, () => {
  let swarm: Swarm;
  let leecher: QbittorrentNox;
  let qbt: WebUi;
  let xvfb: Xvfb;
  let server: TestServer;
  let table: TestClient;
  let startSeq: number;
  let epoch: string;
  let fromClipboard: TestClient;
  let movies: TestClient;
  /** Told of each sync by `performance.qbittorrent`, which /ws/torrents does not deliver. */
  let syncs: TestClient;
  let alerts: TestClient;
  /** The TypeScript SDK following along: its live table helper, and the REST calls it offers. */
  let sdk: QbtMonitorClient;
  let sdkTable: TorrentTable;
  let sdkApi: TorrentsApi;
  /** A webhook receiver on loopback: the notification target for completions from the clipboard. */
  let hook: Receiver;
  let copied: SharedTorrent;
  let paused: SharedTorrent;
  let unwritable: string;
  let serviceConfig: Record<string, unknown>;
  /** Kept across the service's restart. */
  let dataDir: string;
  const savedDisplay = process.env.DISPLAY;
  const sources = new Map<string, string>();

  before(async () => {
    [swarm, xvfb, hook] = await Promise.all([startSwarm({ seedRateKiB: 1536 }), startXvfb(), startReceiver()]);
    leecher = await swarm.startPeer();
    qbt = await webUi(leecher);
    process.env.DISPLAY = xvfb.display;
    delete process.env.WAYLAND_DISPLAY;
    serviceConfig = {
      check_interval: 0.2,
      clipboard: { enabled: true, category: 'from-clipboard' },
      qbittorrent: {
        url: leecher.url,
        username: leecher.username,
        password: leecher.password,
        sync_interval: 0.25,
        health_check_interval: 0.5,
      },
      notifications: {
        targets: [
          {
            name: 'completed',
            url: `${hook.url}/completed`,
            secret: HOOK_SECRET,
            events: ['torrent.completed'],
            filters: { category: 'from-clipboard' },
          },
        ],
      },
    };
    dataDir = mkdtempSync(join(tmpdir(), 'qbtm-torrents-data-'));
    server = await startServer(serviceConfig, { dataDir });
    let ack: Message;
    ({ client: table, ack } = await connectAuthed(server.wsUrl('/ws/torrents'), READ_KEY));
    startSeq = ack.data.last_seq;
    epoch = ack.data.epoch;
    ({ client: fromClipboard } = await connectAuthed(server.wsUrl('/ws/torrents'), READ_KEY));
    await fromClipboard.request({ type: 'subscribe', data: { events: ['torrent.completed'], filters: { category: 'from-clipboard' } } });
    ({ client: movies } = await connectAuthed(server.wsUrl('/ws/torrents'), READ_KEY));
    ({ client: syncs } = await connectAuthed(server.wsUrl('/ws/performance'), READ_KEY));
    await syncs.request({ type: 'subscribe', data: { events: ['performance.qbittorrent'] } });
    ({ client: alerts } = await connectAuthed(server.wsUrl('/ws/alerts'), READ_KEY));
    sdk = new QbtMonitorClient({ url: server.wsUrl('/ws/torrents'), apiKey: READ_KEY });
    sdkTable = new TorrentTable(sdk);
    await sdk.connect();
    sdkApi = new TorrentsApi({ url: server.wsUrl('/ws'), apiKey: ADMIN_KEY });
    await movies.request({ type: 'subscribe', data: { events: ['torrent.completed'], filters: { category: ['movies'] } } });
  });

  after(async () => {
    for (const client of [table, fromClipboard, movies, syncs, alerts]) client?.close();
    await sdk?.close();
    await server?.stop();
    await Promise.all([swarm?.dispose(), xvfb?.stop(), hook?.close()]);
    for (const dir of [unwritable, dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
    if (savedDisplay === undefined) delete process.env.DISPLAY;
    else process.env.DISPLAY = savedDisplay;
  });

  /**
   * Waits until the client's table (and, while it runs, the SDK's TorrentTable) equals qBittorrent's
   * `torrents/info`, as seen by a sync that began after reading it.
   */
  async function assertTableMatchesQbittorrent(client: TestClient, withSdk = true): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const readAt = new Date().toISOString();
      const info = await qbt.get<Array<Record<string, any>>>('torrents/info');
      // Two syncs published after the read: the second one began after it.
      for (let n = 0; n < 2; n += 1) {
        await syncs.next((m) => m.meta?.event === 'performance.qbittorrent' && m.timestamp > readAt, 5000);
      }
      const expected = new Map(info.map((entry) => [entry.hash, expectedRow(entry, sources.get(entry.hash) ?? 'qbittorrent')]));
      const actual = tableOf(client.received);
      try {
        assert.deepEqual(actual, expected);
        if (withSdk) {
          assert.equal(sdkTable.ready, true);
          assert.deepEqual(new Map([...sdkTable.rows()].map((row) => [row.hash, { ...row }])), expected, 'the SDK table');
        }
        return;
      } catch (error) {
        // Speeds and peer counts move between two reads; equal once they hold still.
        if (Date.now() > deadline) throw error;
      }
    }
  }

  test('a new connection on /ws/torrents gets the table as torrent.list, marked snapshot', () => {
    const list = table.received.find((m) => m.meta?.event === 'torrent.list');
    assert.ok(list, 'torrent.list after the acknowledgement');
    assert.equal(list.type, 'torrent');
    assert.equal(list.meta?.snapshot, true);
    assert.equal(list.meta?.seq, undefined, 'the table is not durable');
    assert.deepEqual(list.data.torrents, []);
    assert.deepEqual(table.received.find((m) => m.type === 'connection')?.data.event_types, ['torrent']);
  });

  test('a copied magnet is added (source clipboard), progresses and completes', async () => {
    copied = await swarm.share({ name: 'copied-12m.iso', bytes: 12 * MiB });
    sources.set(copied.hash, 'clipboard');
    await xvfb.copy(`the new release: ${copied.magnet}`);

    const added = await table.next((m) => m.meta?.event === 'torrent.added' && m.data.hash === copied.hash, 20_000);
    assert.equal(added.data.source, 'clipboard');
    assert.equal(added.data.name, copied.name);
    assert.equal(added.data.category, 'from-clipboard');
    assert.equal(typeof added.meta?.seq, 'number');

    const midway = await table.next((m) => {
      const progress = m.meta?.event === 'torrent.updated' ? m.data.changed[copied.hash]?.progress : undefined;
      return progress > 0 && progress < 1;
    }, 30_000);
    assert.ok(midway, 'progress seen between 0 and 1');

    const completed = await table.next((m) => m.meta?.event === 'torrent.completed' && m.data.hash === copied.hash, 60_000);
    assert.equal(completed.data.progress, 1);
    assert.equal(completed.data.size, copied.bytes);
    assert.match(completed.data.completion_on, /Z$/);
    assert.ok(completed.meta!.seq! > added.meta!.seq!);

    const progress = table.received
      .filter((m) => m.meta?.event === 'torrent.updated' && m.data.changed[copied.hash]?.progress !== undefined)
      .map((m) => m.data.changed[copied.hash].progress as number);
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
      'progress only grows',
    );
    assert.equal(progress.at(-1), 1);
    assert.deepEqual(
      lifecycleOf(table.received, copied.hash).map((m) => m.meta?.event),
      ['torrent.added', 'torrent.completed'],
      'each once',
    );
  });

  test('subscriptions filter torrent events by their fields', async () => {
    const mine = await fromClipboard.next((m) => m.meta?.event === 'torrent.completed', 5000);
    assert.equal(mine.data.hash, copied.hash);
    // Delivered to every subscriber in one pass: a pong after it proves the other client was not sent it.
    await movies.request({ type: 'ping' });
    assert.equal(movies.received.filter((m) => m.type === 'torrent' && !m.meta?.snapshot).length, 0);
    assert.equal(
      fromClipboard.received.filter((m) => m.meta?.event === 'torrent.updated').length,
      0,
      'narrowed to torrent.completed: no deltas',
    );
  });

  test('a notification target for torrent.completed gets the real completion, signed, and nothing else', async () => {
    const completed = table.received.find((m) => m.meta?.event === 'torrent.completed' && m.data.hash === copied.hash)!;
    const request = await hook.requests.waitFor((r) => r.json?.meta?.event === 'torrent.completed', 'the completion at the webhook');
    assert.equal(request.path, '/completed');
    assert.deepEqual(request.json, completed, 'the envelope a WebSocket client got, with its seq');
    assert.equal(request.headers['x-qbtm-event'], 'torrent.completed');
    assert.equal(request.headers['x-qbtm-signature'], `sha256=${createHmac('sha256', HOOK_SECRET).update(request.raw).digest('hex')}`);
    assert.equal(hook.requests.items.length, 1, 'not torrent.added, not the deltas');
  });

  test('a torrent added in qBittorrent itself is announced with source qbittorrent; the table equals torrents/info', async () => {
    paused = await swarm.share({ name: 'paused-movie.mkv', bytes: 256 * 1024 });
    await qbt.post('torrents/add', { urls: paused.magnet, paused: 'true', category: 'movies', tags: 'hd,2024' });
    const added = await table.next((m) => m.meta?.event === 'torrent.added' && m.data.hash === paused.hash, 10_000);
    assert.equal(added.data.source, 'qbittorrent');
    assert.equal(added.data.category, 'movies');
    assert.deepEqual([...added.data.tags].sort(), ['2024', 'hd']);
    assert.match(added.data.state, /^(pausedDL|stoppedDL)$/);
    await assertTableMatchesQbittorrent(table);
    assert.equal(table.received.filter((m) => m.type === 'performance').length, 0, '/ws/torrents delivers torrent events only');
  });

  test('performance.qbittorrent carries the transfer figures and the counts by state', async () => {
    const now = new Date().toISOString();
    const figures = await syncs.next((m) => m.meta?.event === 'performance.qbittorrent' && m.timestamp > now, 5000);
    const { torrents, ...transfer } = figures.data;
    assert.equal(torrents.total, 2);
    assert.equal(torrents.stopped, 1);
    assert.equal(torrents.seeding, 1);
    assert.ok(transfer.dl_session_bytes >= copied.bytes, 'the download counted in the session');
    assert.ok(['connected', 'firewalled', 'disconnected'].includes(transfer.connection_status));
    assert.equal(transfer.dht_nodes, 0);

    // The same figures on /metrics, named as the popular qBittorrent exporters name them.
    const metrics = await rest(server, 'GET', '/metrics', { key: READ_KEY });
    const sample = (series: string) => {
      const line = String(metrics.body)
        .split('\n')
        .find((text) => text.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    assert.equal(sample(`qbittorrent_up{version="${qbittorrentNoxVersion()}"}`), 1);
    assert.ok(sample('qbittorrent_global_session_downloaded_bytes')! >= copied.bytes);
    assert.ok(sample('qbittorrent_global_free_space_on_disk_bytes')! > 0);
    assert.equal(sample('qbittorrent_dht_nodes'), 0);
    assert.equal(
      sample('qbittorrent_connected')! + sample('qbittorrent_firewalled')!,
      transfer.connection_status === 'disconnected' ? 0 : 1,
    );
    assert.equal(sample('qbittorrent_torrents_count{status="stopped",category="movies"}'), 1);
    assert.equal(sample('qbittorrent_torrents_count{status="seeding",category="from-clipboard"}'), 1);
    assert.ok(sample('qbittorrent_global_download_speed_bytes')! >= 0 && sample('qbittorrent_global_upload_speed_bytes')! >= 0);
  });

  test('GET /api/v1/torrents filters, sorts and pages the table', async () => {
    const list = async (query: string) => {
      const response = await rest(server, 'GET', `/api/v1/torrents${query}`, { key: READ_KEY });
      assert.equal(response.status, 200, `${query}: ${JSON.stringify(response.body)}`);
      return response.body as { total: number; offset: number; torrents: Array<Record<string, any>> };
    };
    const all = await list('');
    assert.equal(all.total, 2);
    assert.deepEqual(all.torrents.map((row) => row.hash).sort(), [...tableOf(table.received).keys()].sort());
    assert.deepEqual(
      Object.keys(all.torrents[0]!),
      Object.keys(tableOf(table.received).get(all.torrents[0]!.hash)!),
      'rows as on the socket',
    );
    const hashes = async (query: string) => (await list(query)).torrents.map((row) => row.hash);
    assert.deepEqual(await hashes('?state=stopped'), [paused.hash]);
    assert.deepEqual(await hashes('?state=pausedDL,stoppedDL'), [paused.hash]);
    assert.deepEqual(await hashes('?state=seeding,downloading,stalled'), [copied.hash]);
    assert.deepEqual(await hashes('?category=movies'), [paused.hash]);
    assert.deepEqual(await hashes('?tag=hd'), [paused.hash]);
    assert.deepEqual(await hashes('?search=COPIED'), [copied.hash]);
    assert.deepEqual(await hashes('?sort=name'), [copied.hash, paused.hash]);
    assert.deepEqual(await hashes('?sort=name&reverse=true'), [paused.hash, copied.hash]);
    const page = await list('?sort=name&limit=1&offset=1');
    assert.deepEqual([page.total, page.offset, page.torrents.map((row) => row.hash)], [2, 1, [paused.hash]]);
    for (const bad of ['?sort=nope', '?limit=0', '?limit=10001', '?offset=-1', '?reverse=maybe']) {
      assert.equal((await rest(server, 'GET', `/api/v1/torrents${bad}`, { key: READ_KEY })).status, 400, bad);
    }
    assert.equal((await rest(server, 'GET', '/api/v1/torrents', { key: null })).status, 401);
  });

  test('row actions: start and stop a torrent (admin keys only)', async () => {
    const url = `/api/v1/torrents/${paused.hash}`;
    assert.equal((await rest(server, 'POST', `${url}/start`, { key: READ_KEY })).status, 403);
    assert.equal((await rest(server, 'POST', `/api/v1/torrents/${'0'.repeat(40)}/start`)).status, 404);
    assert.equal((await rest(server, 'POST', `${url}/explode`)).status, 400);
    assert.equal((await rest(server, 'POST', '/api/v1/torrents/not-a-hash/start')).status, 400);

    const started = await rest(server, 'POST', `${url}/start`);
    assert.deepEqual(started.body, { hash: paused.hash, action: 'start' });
    const completed = await table.next((m) => m.meta?.event === 'torrent.completed' && m.data.hash === paused.hash, 30_000);
    assert.equal(completed.data.progress, 1);
    const forMovies = await movies.next((m) => m.meta?.event === 'torrent.completed', 5000);
    assert.equal(forMovies.data.hash, paused.hash, 'the movies subscriber gets its category');
    // The webhook's filter is the clipboard's category: past this completion, it still has sent one.
    const deadline = Date.now() + 5000;
    for (;;) {
      const { body } = await rest(server, 'GET', '/api/v1/notifications', { key: READ_KEY });
      const target = body.targets.find((t: { name: string }) => t.name === 'completed');
      if (target.position >= forMovies.meta!.seq!) {
        assert.equal(target.sent, 1);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the target did not pass the movies completion: ${JSON.stringify(target)}`);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the target's state has no push
    }
    assert.equal(hook.requests.items.length, 1, 'a completion in another category is not sent');
    assert.equal((await rest(server, 'POST', `${url}/pause`)).status, 200);
    await table.next(
      (m) => m.meta?.event === 'torrent.updated' && /^(pausedUP|stoppedUP)$/.test(m.data.changed[paused.hash]?.state),
      10_000,
    );

    // The same through the SDK: the table it keeps, the REST calls it offers.
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          if (!/^(pausedUP|stoppedUP)$/.test(sdkTable.get(paused.hash)?.state ?? '')) return;
          stop();
          resolve();
        };
        const stop = sdkTable.onChange(check);
        check();
      }),
      5000,
      'the SDK table did not see the torrent stopped',
    );
    assert.equal(sdkTable.counts().stopped, 1);
    const page = await sdkApi.list({ state: ['stopped'], sort: 'name' });
    assert.deepEqual(
      page.torrents.map((row) => row.hash),
      [paused.hash],
    );
    await sdkApi.recheck(paused.hash);
    const refused = await new TorrentsApi({ url: server.url, apiKey: READ_KEY }).start(paused.hash).catch((error: unknown) => error);
    assert.ok(refused instanceof HttpError);
    assert.deepEqual([refused.status, refused.code], [403, 'FORBIDDEN']);
  });

  test('a torrent that cannot be written is announced as errored', async () => {
    unwritable = mkdtempSync(join(tmpdir(), 'qbtm-unwritable-'));
    writeFileSync(join(unwritable, 'file'), 'a file where a directory should be');
    const broken = await swarm.share({ name: 'cannot-write.bin', bytes: 256 * 1024 });
    await qbt.post('torrents/add', { urls: broken.magnet, savepath: join(unwritable, 'file', 'sub') });
    const errored = await table.next((m) => m.meta?.event === 'torrent.errored' && m.data.hash === broken.hash, 30_000);
    assert.match(errored.data.state, /^(error|missingFiles)$/);
    assert.equal(typeof errored.meta?.seq, 'number');
    const raised = await alerts.next((m) => m.meta?.event === 'alert.torrent' && m.data.metadata?.hash === broken.hash, 5000);
    assert.equal(raised.data.status, 'active');
    assert.equal(raised.data.level, 'critical');
    assert.equal(raised.data.metadata.reason, 'errored');
    assert.equal(raised.data.metadata.name, broken.name);
    assert.match(raised.data.message, new RegExp(broken.name.replace('.', '\\.')));

    const deleted = await rest(server, 'DELETE', `/api/v1/torrents/${broken.hash}?delete_files=false`);
    assert.deepEqual(deleted.body, { hash: broken.hash, action: 'delete', delete_files: false });
    await table.next((m) => m.meta?.event === 'torrent.removed' && m.data.hash === broken.hash, 10_000);
    const resolved = await alerts.next((m) => m.data?.alert_id === raised.data.alert_id && m.data.status === 'resolved', 5000);
    assert.equal(resolved.data.resolved_by, 'system');
  });

  test('a download without progress is announced stalled; its alert resolves when it is stopped', async () => {
    assert.equal((await rest(server, 'PATCH', '/api/v1/config', { body: { torrents: { stalled_after: 1 } } })).status, 200);
    // Nobody seeds this one (the tracker does not even know it): its progress never moves.
    const hash = randomBytes(20).toString('hex');
    await qbt.post('torrents/add', { urls: `magnet:?xt=urn:btih:${hash}&dn=nobody-seeds&tr=${encodeURIComponent(swarm.announceUrl)}` });
    const stalled = await table.next((m) => m.meta?.event === 'torrent.stalled' && m.data.hash === hash, 15_000);
    assert.equal(stalled.data.progress, 0);
    const raised = await alerts.next((m) => m.meta?.event === 'alert.torrent' && m.data.metadata?.hash === hash, 5000);
    assert.deepEqual([raised.data.level, raised.data.metadata.reason, raised.data.threshold], ['warning', 'stalled', 1]);
    assert.equal((await rest(server, 'POST', `/api/v1/torrents/${hash}/stop`)).status, 200);
    const resolved = await alerts.next((m) => m.data?.alert_id === raised.data.alert_id && m.data.status === 'resolved', 10_000);
    assert.match(resolved.data.resolution, /nobody-seeds/);
    assert.equal(lifecycleOf(table.received, hash).filter((m) => m.meta?.event === 'torrent.stalled').length, 1, 'once');
    assert.equal((await rest(server, 'DELETE', `/api/v1/torrents/${hash}`)).status, 200);
    await rest(server, 'PATCH', '/api/v1/config', { body: { torrents: { stalled_after: 300 } } });
  });

  test("qBittorrent's free space below the configured bytes raises alert.disk, resolved when it is enough again", async () => {
    const patch = (bytes: number) => rest(server, 'PATCH', '/api/v1/config', { body: { alerts: { qbittorrent_free_space_below: bytes } } });
    assert.equal((await patch(2 ** 60)).status, 200);
    // The one raised for this threshold (the default 5 GB one may have come and gone while qBittorrent first measured its disk).
    const raised = await alerts.next(
      (m) => m.meta?.event === 'alert.disk' && m.data.metadata?.subject === 'qbittorrent_free_space' && m.data.threshold === 2 ** 60,
      10_000,
    );
    assert.equal(raised.data.status, 'active');
    assert.equal(raised.data.threshold, 2 ** 60);
    const transfer = await syncs.next((m) => m.meta?.event === 'performance.qbittorrent' && m.timestamp > raised.timestamp, 5000);
    assert.ok(
      transfer.data.free_space_on_disk > 0 && Math.abs(raised.data.value - transfer.data.free_space_on_disk) < 2 ** 30,
      'the real free space',
    );
    assert.equal((await patch(1024)).status, 200);
    const resolved = await alerts.next((m) => m.data?.alert_id === raised.data.alert_id && m.data.status === 'resolved', 10_000);
    assert.equal(resolved.data.resolved_by, 'system');
  });

  test('deleting a torrent in qBittorrent sends it removed, in the table and as torrent.removed', async () => {
    await qbt.post('torrents/delete', { hashes: copied.hash, deleteFiles: 'true' });
    const removed = await table.next((m) => m.meta?.event === 'torrent.removed' && m.data.hash === copied.hash, 10_000);
    assert.equal(removed.data.name, copied.name);
    assert.ok(table.received.some((m) => m.meta?.event === 'torrent.updated' && m.data.removed.includes(copied.hash)));
    assert.equal(tableOf(table.received).has(copied.hash), false);
    await assertTableMatchesQbittorrent(table);
  });

  test('a client that was away gets the table anew and every lifecycle event it missed, once, in order', async () => {
    const { client: back } = await connectAuthed(server.wsUrl('/ws/torrents', { since: startSeq, epoch }), READ_KEY);
    try {
      const resumed = await withTimeout(back.next('resumed', 10_000), 10_000, 'no resumed');
      assert.equal(resumed.data.gap, false);
      assert.equal(resumed.data.epoch, epoch);
      const list = back.received.find((m) => m.meta?.event === 'torrent.list');
      assert.ok(list && back.received.indexOf(list) < back.received.indexOf(resumed), 'the table comes first');
      const replayed = lifecycleOf(back.received, copied.hash);
      assert.deepEqual(
        replayed.map((m) => m.meta?.event),
        ['torrent.added', 'torrent.completed', 'torrent.removed'],
      );
      assert.ok(replayed.every((m) => m.meta?.replay === true));
      const original = lifecycleOf(table.received, copied.hash);
      assert.deepEqual(
        replayed.map((m) => [m.id, m.meta?.seq]),
        original.map((m) => [m.id, m.meta?.seq]),
        'the same events, not new ones',
      );
      await assertTableMatchesQbittorrent(back, false);
    } finally {
      back.close();
    }
  });

  test('what happened while the service was down is announced when it is back, and nothing twice', async () => {
    const seen = table.received.filter((m) => m.meta?.seq !== undefined);
    const lastSeq = seen.at(-1)!.meta!.seq!;
    const remaining = [...tableOf(table.received).keys()];
    assert.deepEqual(remaining, [paused.hash]);
    await sdk.close();
    await server.stop();

    // While it is down: one torrent deleted, another added and downloaded, all in qBittorrent itself.
    await qbt.post('torrents/delete', { hashes: paused.hash, deleteFiles: 'true' });
    const meanwhile = await swarm.share({ name: 'while-down.bin', bytes: 128 * 1024 });
    await qbt.post('torrents/add', { urls: meanwhile.magnet });
    const deadline = Date.now() + 20_000;
    while ((await qbt.get<Array<{ progress: number }>>('torrents/info', { hashes: meanwhile.hash }))[0]?.progress !== 1) {
      if (Date.now() > deadline) throw new Error('the torrent added while down did not complete');
      await new Promise((resolve) => setTimeout(resolve, 200)); // qBittorrent's own API has no push
    }

    server = await startServer(serviceConfig, { dataDir });
    const { client: back } = await connectAuthed(server.wsUrl('/ws/torrents', { since: lastSeq, epoch }), READ_KEY);
    try {
      const completed = await back.next((m) => m.meta?.event === 'torrent.completed' && m.data.hash === meanwhile.hash, 15_000);
      assert.equal(completed.data.source, 'qbittorrent');
      const after = (hash: string) => lifecycleOf(back.received, hash).map((m) => m.meta?.event);
      assert.deepEqual(after(paused.hash), ['torrent.removed']);
      assert.deepEqual(after(meanwhile.hash), ['torrent.added', 'torrent.completed']);
      assert.ok(
        back.received.every((m) => m.meta?.seq === undefined || m.meta.seq > lastSeq),
        'nothing from before the restart again',
      );
    } finally {
      back.close();
    }
  });
});
