/**
 * The clipboard end to end with real parts: text, links and files copied under Xvfb (xclip), read on
 * XFIXES change notifications, placed by the user's rules into a real qbittorrent-nox (read back
 * through its WebUI API), recorded with their rule in SQLite; and what is copied but is no link
 * (a password) found nowhere: DEBUG logs, events, the data directory.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { QbittorrentWebUiClient, type TorrentInfo } from '../src/sources/qbittorrent/webui-client.js';
import { findExecutable, missingPeer } from './support/peers.js';
import { qbittorrentSkipReason, type QbittorrentNox, startQbittorrent } from './support/qbittorrent-nox.js';
import { rest } from './support/rest.js';
import { ADMIN_KEY, startServer, type TestServer } from './support/server.js';
import { newDataDir, runService, type ServiceProcess, writeConfig } from './support/service-process.js';
import { connectAuthed, type TestClient } from './support/ws-client.js';
import { startXvfb, type Xvfb, XVFB_SKIP_REASON, xvfbToolsInstalled } from './support/xvfb.js';

/** python3-xlib for Debian's Python: what the XFIXES change notifications need. */
function xlibSkipReason(): string | undefined {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import Xlib.ext.xfixes'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return missingPeer('python3-xlib not installed: apt-get install python3-xlib');
  }
}

const clipboardSkip = xvfbToolsInstalled() ? xlibSkipReason() : XVFB_SKIP_REASON;
const skip =
  qbittorrentSkipReason() ??
  clipboardSkip ??
  (findExecutable('mktorrent') ? undefined : missingPeer('mktorrent not installed: apt-get install mktorrent'));

const hash = (n: number) => n.toString(16).padStart(8, '0').repeat(5);
const magnet = (infoHash: string, name: string, extra = '') => `magnet:?xt=urn:btih:${infoHash}&dn=${encodeURIComponent(name)}${extra}`;
const thunder = (url: string) => `thunder://${Buffer.from(`AA${url}ZZ`).toString('base64')}`;
// Trackers on loopback addresses nothing listens on: nothing is announced anywhere else.
const PRIVATE_TRACKER = 'http://127.0.0.2:9/announce';
const PUBLIC_TRACKER = 'http://127.0.0.1:9/announce';

/** Makes a small .torrent with mktorrent, as a user's download would be. */
function makeTorrent(dir: string, name: string): string {
  const content = join(dir, name);
  mkdirSync(content);
  writeFileSync(join(content, 'video.mkv'), Buffer.alloc(300_000, name));
  const file = join(dir, `${name}.torrent`);
  execFileSync('mktorrent', ['-a', PUBLIC_TRACKER, '-l', '15', '-o', file, content], { stdio: 'ignore' });
  return file;
}

describe('copied links and files land in qBittorrent where the rules say', { skip }, () => {
  let qbt: QbittorrentNox;
  let xvfb: Xvfb;
  let server: TestServer;
  let client: TestClient;
  let qbtApi: QbittorrentWebUiClient;
  let work: string;
  const savedDisplay = process.env.DISPLAY;
  const savedWayland = process.env.WAYLAND_DISPLAY;

  before(async () => {
    [qbt, xvfb] = await Promise.all([startQbittorrent(), startXvfb()]);
    work = mkdtempSync(join(tmpdir(), 'qbtm-clipboard-'));
    // The service reads the clipboard of the display it runs under, as on a desktop.
    process.env.DISPLAY = xvfb.display;
    delete process.env.WAYLAND_DISPLAY;
    await xvfb.copy('nothing yet');
    server = await startServer({
      // An hour between polls: anything read sooner came with a change notification.
      check_interval: 3600,
      qbittorrent: { url: qbt.url, username: qbt.username, password: qbt.password },
      clipboard: {
        enabled: true,
        category: 'clipboard',
        rules: [
          { name: 'private tracker', match: { tracker: '127.0.0.2' }, paused: true, tags: ['private'] },
          { name: 'tv', match: { name: '/S\\d{2}E\\d{2}/' }, category: 'tv', save_path: join(work, 'tv'), tags: ['series'] },
          { name: 'films', match: { name: '* 1080p*' }, category: 'movies' },
        ],
      },
    });
    ({ client } = await connectAuthed(server.wsUrl(), ADMIN_KEY));
    qbtApi = new QbittorrentWebUiClient({ url: qbt.url, username: qbt.username, password: qbt.password });
  });
  after(async () => {
    client?.close();
    qbtApi?.close();
    await server?.stop();
    await Promise.all([qbt?.dispose(), xvfb?.stop()]);
    rmSync(work, { recursive: true, force: true });
    for (const [name, value] of [
      ['DISPLAY', savedDisplay],
      ['WAYLAND_DISPLAY', savedWayland],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const clipboardStatus = (predicate: (details: any) => boolean) =>
    client.next((m) => m.type === 'status' && m.data.component === 'clipboard_monitor' && predicate(m.data.details), 15_000);

  /** The torrent qBittorrent holds under this hash (or name), once it has it. */
  async function inQbittorrent(find: { hash?: string; name?: string }): Promise<TorrentInfo> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const list = await qbtApi.listTorrents(find.hash ? { hashes: [find.hash] } : {});
      const torrent = list.find((t) => (find.hash ? t.hash === find.hash : t.name === find.name));
      if (torrent) return torrent;
      if (Date.now() > deadline) throw new Error(`${JSON.stringify(find)} not in qBittorrent`);
      await new Promise((resolve) => setTimeout(resolve, 100)); // qBittorrent's API has no push
    }
  }

  test('the clipboard is read on XFIXES change notifications, not polled', async () => {
    const status = await clipboardStatus((details) => details.detection === 'xfixes');
    assert.equal(status.data.details.detection_reason, null);
  });

  test('three rules: TV to tv in one folder, films to movies, everything from one tracker paused; each torrent where its rule said', async () => {
    const tvShow = hash(1);
    // A browser: a magnet link.
    await xvfb.copy(magnet(tvShow, 'Show.Name.S01E02.720p.WEB'));
    // A user copies one thing after another: each is read before the next replaces it.
    await clipboardStatus((details) => details.successful_adds === 1);
    // A file manager: a .torrent file copied, as x-special/gnome-copied-files text with a percent-encoded URI.
    const film = makeTorrent(work, 'Film 2019 1080p');
    await xvfb.copy(`copy\n${pathToFileURL(film).href}`);
    await clipboardStatus((details) => details.successful_adds === 2);
    // A Chinese download site: a thunder:// link wrapping a magnet from the private tracker (a TV show, but the tracker rule comes first).
    const privateShow = hash(2);
    await xvfb.copy(thunder(magnet(privateShow, 'Other.Show.S02E01', `&tr=${encodeURIComponent(PRIVATE_TRACKER)}`)));
    await clipboardStatus((details) => details.successful_adds === 3);
    // Several links in one copy: another episode, something no rule matches, and the first episode again.
    const [episode, iso] = [hash(3), hash(4)];
    await xvfb.copy(`${magnet(episode, 'Show.Name.S01E03')}\n${magnet(iso, 'debian-12.iso')}\n${magnet(tvShow.toUpperCase(), 'again')}`);

    const done = await clipboardStatus((details) => details.successful_adds === 5);
    const { details } = done.data;
    assert.equal(details.failed_adds, 0, JSON.stringify(details.recent_failures));
    assert.equal(details.duplicates_skipped, 1);
    assert.deepEqual(details.rules, [
      { rule: 'private tracker', added: 1, skipped: 0, failed: 0 },
      { rule: 'tv', added: 2, skipped: 0, failed: 0 },
      { rule: 'films', added: 1, skipped: 0, failed: 0 },
      { rule: null, added: 1, skipped: 0, failed: 0 },
    ]);
    // What the dashboard shows: each add, why (the rule) and where it went.
    const recent = new Map(details.recent_adds.map((add: any) => [add.name, add]));
    assert.deepEqual(
      details.recent_adds.map((add: any) => add.name),
      ['debian-12.iso', 'Show.Name.S01E03', 'Other.Show.S02E01', 'Film 2019 1080p', 'Show.Name.S01E02.720p.WEB'],
    );
    assert.deepEqual(recent.get('Other.Show.S02E01'), {
      kind: 'magnet',
      info_hash: privateShow,
      name: 'Other.Show.S02E01',
      rule: 'private tracker',
      category: null,
      tags: ['private'],
      save_path: null,
      paused: true,
      source: 'clipboard',
      at: (recent.get('Other.Show.S02E01') as any).at,
    });

    // Read back from qBittorrent itself.
    const tv = await inQbittorrent({ hash: tvShow });
    assert.equal(tv.category, 'tv');
    assert.equal(tv.save_path.replace(/\/$/, ''), join(work, 'tv'));
    assert.equal(tv.tags, 'series');
    assert.doesNotMatch(tv.state, /^(paused|stopped)/);
    const next = await inQbittorrent({ hash: episode });
    assert.equal(next.category, 'tv');
    assert.equal(next.save_path.replace(/\/$/, ''), join(work, 'tv'));
    const movie = await inQbittorrent({ name: 'Film 2019 1080p' });
    assert.equal(movie.category, 'movies');
    assert.equal((recent.get('Film 2019 1080p') as any).kind, 'torrent_file');
    assert.equal(
      (recent.get('Film 2019 1080p') as any).info_hash,
      movie.hash,
      'the info-hash read from the file is the one qBittorrent computed',
    );
    const paused = await inQbittorrent({ hash: privateShow });
    assert.match(paused.state, /^(paused|stopped)/);
    assert.equal(paused.tags, 'private');
    assert.equal(paused.category, '');
    const other = await inQbittorrent({ hash: iso });
    assert.equal(other.category, 'clipboard');

    // Each add recorded in SQLite with the rule that chose its place.
    const db = new Database(join(server.dataDir, 'qbt-monitor.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT info_hash, rule, category, save_path, paused FROM clipboard_adds ORDER BY id').all();
      assert.deepEqual(rows, [
        { info_hash: tvShow, rule: 'tv', category: 'tv', save_path: join(work, 'tv'), paused: 0 },
        { info_hash: movie.hash, rule: 'films', category: 'movies', save_path: null, paused: 0 },
        { info_hash: privateShow, rule: 'private tracker', category: null, save_path: null, paused: 1 },
        { info_hash: episode, rule: 'tv', category: 'tv', save_path: join(work, 'tv'), paused: 0 },
        { info_hash: iso, rule: null, category: 'clipboard', save_path: null, paused: 0 },
      ]);
    } finally {
      db.close();
    }
  });

  test('a copied path of a file that is no .torrent: a failure with its reason, and no path in the status', async () => {
    const broken = join(work, 'broken.torrent');
    writeFileSync(broken, 'd4:infodee');
    await xvfb.copy(broken);
    const failed = await clipboardStatus((details) => details.failed_adds === 1);
    assert.equal(failed.data.details.last_failure.kind, 'torrent_file');
    assert.match(failed.data.details.last_failure.reason, /not a \.torrent file: neither v1 pieces nor a v2 meta version/);
    assert.doesNotMatch(JSON.stringify(failed.data.details.last_failure), /broken/);
  });

  test('a rule with a regular expression that could hang the service is refused; the running rules stay', async () => {
    const current = JSON.parse(readFileSync(server.configPath, 'utf8'));
    const rules = [...current.clipboard.rules, { name: 'hostile', match: { name: '/^(\\w+\\s?)+$/' }, category: 'x' }];
    const response = await rest(server, 'PATCH', '/api/v1/config', { body: { clipboard: { rules } } });
    assert.equal(response.status, 400);
    assert.match(response.body.error.message, /clipboard\.rules\.3\.match\.name: refused: it could backtrack catastrophically/);
    assert.equal(server.app.liveConfig.current.clipboard.rules.length, 3);
  });
});

describe('privacy: what is copied but is no link never leaves the monitor', { skip: clipboardSkip }, () => {
  const PASSWORD = 'Tr0ub4dor&3-correct-horse-7731';
  // A TOTP secret is 32 base32 characters, like a v1 info-hash in base32: not taken while accept_bare_hashes is off.
  const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ';
  const CREDENTIAL_URL_SECRET = 'S3cr3t-P4ssw0rd-in-a-URL';
  const secrets = [PASSWORD, TOTP_SECRET, CREDENTIAL_URL_SECRET];

  let xvfb: Xvfb;
  let service: ServiceProcess;
  let dataDir: string;
  let client: TestClient;

  before(async () => {
    xvfb = await startXvfb();
    await xvfb.copy('nothing yet');
    dataDir = newDataDir();
    const config = writeConfig(dataDir, {
      log_level: 'DEBUG',
      check_interval: 3600,
      metrics: { sample_system: false },
      auth: { api_keys: [{ name: 'admin', key: ADMIN_KEY, role: 'admin' }] },
    });
    // qBittorrent is not configured: the links are kept as pending, which is all this test needs of them.
    service = await runService(['--data-dir', dataDir, '--config', config], { DISPLAY: xvfb.display, WAYLAND_DISPLAY: '' });
    ({ client } = await connectAuthed(`ws://127.0.0.1:${service.port}/ws`, ADMIN_KEY));
  });
  after(async () => {
    client?.close();
    await service?.stop();
    await xvfb?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a copied password appears nowhere: DEBUG logs, events, the database and every file of the data directory', async () => {
    const marker = hash(7);
    await xvfb.copy(
      `user: bob\npassword: ${PASSWORD}\n2FA secret: ${TOTP_SECRET}\nhttps://bob:${CREDENTIAL_URL_SECRET}@mail.example.com/login\n${magnet(marker, 'marker')}`,
    );
    // The marker is in the same copy: once it is reported, the whole text was read and gone through.
    const pendingWith = (infoHash: string) =>
      client.next(
        (m) => m.data?.component === 'clipboard_monitor' && m.data.details.pending.some((link: any) => link.info_hash === infoHash),
        15_000,
      );
    const seen = await pendingWith(marker);
    assert.match(seen.data.details.pending[0].reason, /not configured/);
    // The password alone, then a second marker: read on its own change notification before the marker.
    await xvfb.copy(PASSWORD);
    const second = hash(8);
    await xvfb.copy(magnet(second, 'second marker'));
    await pendingWith(second);
    await service.stop();

    const logs = service.stdout() + service.stderr();
    const checked = logs.split('\n').filter((line) => line.includes('"msg":"text checked for links"'));
    assert.ok(checked.length >= 3, 'a DEBUG entry for each text read, the password-only copy among them');
    assert.ok(checked.every((line) => line.includes('"level":"debug"')));
    assert.ok(logs.includes(marker), 'the link itself was logged (matched links may be)');
    const events = JSON.stringify(client.received);
    assert.ok(events.includes(marker));
    const files = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    assert.ok(files.some((entry) => entry.name === 'qbt-monitor.db'));
    for (const secret of secrets) {
      assert.ok(!logs.includes(secret), `logs hold ${secret}`);
      assert.ok(!events.includes(secret), `events hold ${secret}`);
      for (const entry of files) {
        const bytes = readFileSync(join(entry.parentPath, entry.name));
        assert.ok(!bytes.includes(secret), `${entry.name} holds ${secret}`);
        assert.ok(!bytes.includes(Buffer.from(secret, 'utf16le')), `${entry.name} holds ${secret} (UTF-16)`);
      }
    }
  });
});
