/**
 * A real BitTorrent swarm on loopback for tests: Debian's `opentracker` as the tracker, `mktorrent` to
 * make a `.torrent` of a file the test writes, and a seeding `qbittorrent-nox`; other qbittorrent-nox
 * peers (the one the service watches) download from it. Nothing leaves 127.0.0.1: every peer is bound
 * there with DHT, LSD, PeX, UPnP and the GeoIP download off (see qbittorrent-nox.ts), and speaks TCP
 * only (uTP proved less reliable on loopback).
 *
 * Use:
 *
 *   if (swarmSkipReason()) ... skip (by hand) — under CI=true it throws instead
 *   const swarm = await startSwarm({ seedRateKiB: 2048 });  // tracker + seeder, upload capped at 2 MiB/s
 *   const leecher = await swarm.startPeer();                // a qbittorrent-nox to point the service at
 *   const shared = await swarm.share({ name: 'big.iso', bytes: 12 * 1024 * 1024 });
 *   shared.magnet      // magnet:?xt=urn:btih:<hash>&dn=big.iso&tr=<the tracker>: copy it, post it
 *   shared.hash        // the v1 info-hash, lowercase hex, as qBittorrent names the torrent
 *   shared.torrentFile // the .torrent on disk (for tests that add files)
 *   const api = await webUi(leecher);                       // the WebUI of any peer, logged in
 *   await api.post('torrents/delete', { hashes: shared.hash, deleteFiles: 'true' });
 *   await swarm.dispose();                                  // every process it started, by PID, and its files
 *
 * `share()` resolves once the tracker lists the seeder as a complete peer, so a leecher that asks
 * afterwards finds it at once. Opentracker (Debian's build) serves only whitelisted info-hashes:
 * `share()` adds each new hash to the whitelist file and has opentracker reload it (SIGHUP).
 * The seeder's upload cap makes a download of a few megabytes last long enough to watch it progress.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { findExecutable, missingPeer, outputTail } from './peers.js';
import { freePorts, type QbittorrentNox, qbittorrentNoxPath, startQbittorrent } from './qbittorrent-nox.js';

const INSTALL_HINT =
  'a loopback swarm needs qbittorrent-nox, opentracker and mktorrent: apt-get install qbittorrent-nox opentracker mktorrent';
const READY_TIMEOUT_MS = 15_000;
const POLL_MS = 100;
const STOP_GRACE_MS = 5_000;

/** Why swarm tests cannot run here, or undefined when they can; under CI=true a missing program throws. */
export function swarmSkipReason(): string | undefined {
  const ready = qbittorrentNoxPath() && findExecutable('opentracker') && findExecutable('mktorrent');
  return ready ? undefined : missingPeer(INSTALL_HINT);
}

export interface SwarmOptions {
  /** The seeder's upload cap in KiB/s; 0 for none. Default 2048. */
  seedRateKiB?: number;
}

export interface ShareOptions {
  /** The file's (and the torrent's) name. Default `file-<random>.bin`. */
  name?: string;
  /** The file's size; its content is random. Default 1 MiB. */
  bytes?: number;
  /** Piece size as a power of two. Default 16 (64 KiB: many pieces, so progress moves in small steps). */
  pieceLengthLog2?: number;
}

export interface SharedTorrent {
  name: string;
  bytes: number;
  /** The v1 info-hash, lowercase hex: qBittorrent's id of the torrent. */
  hash: string;
  magnet: string;
  torrentFile: string;
}

export interface Swarm {
  /** `http://127.0.0.1:PORT/announce`. */
  announceUrl: string;
  seeder: QbittorrentNox;
  /** Writes a file, makes its torrent, whitelists it, seeds it; resolves once the tracker lists the seeder. */
  share(options?: ShareOptions): Promise<SharedTorrent>;
  /** Another qbittorrent-nox on loopback, TCP only, no upload cap; disposed with the swarm. */
  startPeer(): Promise<QbittorrentNox>;
  /** Stops every process the swarm started (by PID) and removes its files. */
  dispose(): Promise<void>;
}

/** Peer settings every swarm member shares (the `[BitTorrent]` section of qBittorrent.conf). */
const PEER_SESSION = {
  'Session\\BTProtocol': 'TCP',
  // Loopback counts as LAN: without this the seeder's cap would not apply to the leecher.
  'Session\\IgnoreLimitsOnLAN': false,
  // Every peer is 127.0.0.1: libtorrent otherwise keeps one peer per address and takes the seeder for itself.
  'Session\\MultiConnectionsPerIp': true,
  // Past a handful of torrents qBittorrent queues the rest, and a queued seed does not announce.
  'Session\\QueueingSystemEnabled': false,
};

export async function startSwarm(options: SwarmOptions = {}): Promise<Swarm> {
  const root = mkdtempSync(join(tmpdir(), 'qbtm-swarm-'));
  const peers: QbittorrentNox[] = [];
  let tracker: Tracker | undefined;
  const dispose = async () => {
    await Promise.all(peers.map((peer) => peer.dispose()));
    await tracker?.stop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    tracker = await startTracker(join(root, 'tracker'));
    const seeder = await startQbittorrent({
      bittorrent: { ...PEER_SESSION, 'Session\\GlobalUPSpeedLimit': options.seedRateKiB ?? 2048 },
    });
    peers.push(seeder);
    const seederApi = await webUi(seeder);
    const filesDir = join(root, 'files');
    mkdirSync(filesDir);
    const running = tracker;
    return {
      announceUrl: running.announceUrl,
      seeder,
      async share(shareOptions = {}) {
        const shared = await makeTorrent(filesDir, running.announceUrl, shareOptions);
        await running.whitelist(shared.hash);
        const form = new FormData();
        form.append('torrents', new Blob([readFileSync(shared.torrentFile)]), `${shared.name}.torrent`);
        form.append('savepath', filesDir);
        form.append('skip_checking', 'true');
        await seederApi.post('torrents/add', form);
        await running.waitForSeed(shared.hash);
        return shared;
      },
      async startPeer() {
        const peer = await startQbittorrent({ bittorrent: PEER_SESSION });
        peers.push(peer);
        return peer;
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** A logged-in caller of one qbittorrent-nox's WebUI API (`api/v2/<path>`), for tests to act as the user. */
export interface WebUi {
  get<T = unknown>(path: string, query?: Record<string, string>): Promise<T>;
  /** Posts a form (urlencoded from a record, multipart from FormData); resolves with the answer's text. */
  post(path: string, body?: Record<string, string> | FormData): Promise<string>;
}

export async function webUi(nox: Pick<QbittorrentNox, 'url' | 'username' | 'password'>): Promise<WebUi> {
  const headers = { Referer: nox.url };
  const login = await fetch(`${nox.url}/api/v2/auth/login`, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ username: nox.username, password: nox.password }),
    signal: AbortSignal.timeout(5000),
  });
  const text = await login.text();
  const cookie = login.headers.getSetCookie()[0]?.split(';', 1)[0];
  if (!login.ok || text.trim() === 'Fails.' || !cookie) throw new Error(`qbittorrent-nox login failed: ${login.status} ${text}`);
  const call = async (path: string, init: RequestInit & { query?: Record<string, string> }) => {
    const url = new URL(`${nox.url}/api/v2/${path}`);
    url.search = new URLSearchParams(init.query ?? {}).toString();
    const response = await fetch(url, { ...init, headers: { ...headers, Cookie: cookie }, signal: AbortSignal.timeout(5000) });
    const body = await response.text();
    if (!response.ok) throw new Error(`qbittorrent-nox ${path}: HTTP ${response.status} ${body}`);
    return body;
  };
  return {
    get: async <T>(path: string, query?: Record<string, string>) => JSON.parse(await call(path, { method: 'GET', query })) as T,
    post: (path, body = {}) => call(path, { method: 'POST', body: body instanceof FormData ? body : new URLSearchParams(body) }),
  };
}

async function makeTorrent(dir: string, announceUrl: string, options: ShareOptions): Promise<SharedTorrent> {
  const name = options.name ?? `file-${randomBytes(4).toString('hex')}.bin`;
  const bytes = options.bytes ?? 1024 * 1024;
  const dataFile = join(dir, name);
  writeFileSync(dataFile, randomBytes(bytes));
  const torrentFile = join(dir, `${name}.torrent`);
  await promisify(execFile)('mktorrent', [
    '-a',
    announceUrl,
    '-l',
    String(options.pieceLengthLog2 ?? 16),
    '-t',
    '1',
    '-o',
    torrentFile,
    dataFile,
  ]);
  const hash = infoHash(readFileSync(torrentFile));
  const magnet = `magnet:?xt=urn:btih:${hash}&dn=${encodeURIComponent(name)}&tr=${encodeURIComponent(announceUrl)}`;
  return { name, bytes, hash, magnet, torrentFile };
}

/** The v1 info-hash of a .torrent: the SHA-1 of the bencoded `info` value, as it appears in the file. */
export function infoHash(torrent: Buffer): string {
  // Walks the bencoding to find where the top-level dictionary's `info` value starts and ends.
  const end = (at: number): number => {
    const c = torrent[at];
    if (c === 0x69) return torrent.indexOf(0x65, at) + 1; // i<digits>e
    if (c === 0x6c || c === 0x64) {
      let next = at + 1;
      while (torrent[next] !== 0x65) next = end(next);
      return next + 1;
    }
    const colon = torrent.indexOf(0x3a, at);
    return colon + 1 + Number(torrent.subarray(at, colon).toString('latin1'));
  };
  for (let at = 1; torrent[at] !== 0x65; ) {
    const keyEnd = end(at);
    const key = torrent.subarray(torrent.indexOf(0x3a, at) + 1, keyEnd).toString('latin1');
    const valueEnd = end(keyEnd);
    if (key === 'info') return createHash('sha1').update(torrent.subarray(keyEnd, valueEnd)).digest('hex');
    at = valueEnd;
  }
  throw new Error('no info dictionary in the .torrent');
}

interface Tracker {
  announceUrl: string;
  whitelist(hash: string): Promise<void>;
  /** Resolves once the tracker counts a complete peer (the seeder) for the hash. */
  waitForSeed(hash: string): Promise<void>;
  stop(): Promise<void>;
}

async function startTracker(dir: string): Promise<Tracker> {
  mkdirSync(dir);
  // opentracker chroots into its directory and drops to user nobody, which must be able to read the whitelist.
  chmodSync(dir, 0o755);
  const whitelistFile = join(dir, 'whitelist.txt');
  writeFileSync(whitelistFile, '');
  const [port] = (await freePorts(1)) as [number];
  const base = `http://127.0.0.1:${port}`;
  const child = spawn('opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-d', dir, '-w', 'whitelist.txt'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = outputTail(child);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  async function stop(): Promise<void> {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(force);
  }

  /** Polls `check` until it holds, the tracker exits, or the deadline passes. */
  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`opentracker exited while waiting for ${what}:\n${output()}`);
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`opentracker: no ${what} within ${READY_TIMEOUT_MS} ms:\n${output()}`);
      await sleep(POLL_MS);
    }
  }

  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(1000) });
    return Buffer.from(await response.arrayBuffer()).toString('latin1');
  };
  const escaped = (hash: string) => hash.replace(/../g, '%$&');

  try {
    await until('answer', async () => (await get('/scrape')).startsWith('d'));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    announceUrl: `${base}/announce`,
    async whitelist(hash) {
      appendFileSync(whitelistFile, `${hash}\n`);
      child.kill('SIGHUP');
      // A `stopped` announce of a made-up peer is refused until the reload took the hash, and leaves no peer behind.
      const probe = `/announce?info_hash=${escaped(hash)}&peer_id=-QBTMPROBE-000000000&port=1&uploaded=0&downloaded=0&left=0&event=stopped&compact=1`;
      await until(`whitelisting of ${hash}`, async () => !(await get(probe)).includes('failure reason'));
    },
    async waitForSeed(hash) {
      await until(`seeder of ${hash}`, async () => /completei[1-9]/.test(await get(`/scrape?info_hash=${escaped(hash)}`)));
    },
    stop,
  };
}
