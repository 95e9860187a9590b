/** Runs a throwaway qbittorrent-nox on loopback for tests: its own profile, ports and WebUI password, stopped by its PID. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable, missingPeer, outputTail } from './peers.js';

const INSTALL_HINT = 'qbittorrent-nox not installed: apt-get install qbittorrent-nox';
const READY_TIMEOUT_MS = 20_000;
const READY_POLL_MS = 50;
const STOP_GRACE_MS = 10_000;

export interface QbittorrentNox {
  /** `http://127.0.0.1:PORT`, the WebUI. */
  url: string;
  port: number;
  username: string;
  password: string;
  /** The `--profile` directory (config, torrents, default save path under `downloads`). */
  profileDir: string;
  /** The BitTorrent listening port, on 127.0.0.1. */
  peerPort: number;
  /** The PID of the running process; undefined while stopped. */
  readonly pid: number | undefined;
  /** Stops the process (SIGTERM, SIGKILL past a grace period) and waits until it has exited. The profile stays, for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port and profile; resolves once the WebUI answers. */
  start(): Promise<void>;
  /** Stops it and removes the profile. */
  dispose(): Promise<void>;
}

export interface StartQbittorrentOptions {
  /** Extra `[Preferences]` entries, e.g. `{ 'WebUI\\MaxAuthenticationFailCount': 1 }`. */
  preferences?: Record<string, string | number | boolean>;
  /** Extra `[BitTorrent]` entries (the session's settings), e.g. `{ 'Session\\BTProtocol': 'TCP' }`. */
  bittorrent?: Record<string, string | number | boolean>;
}

/** The qbittorrent-nox binary: `$QBITTORRENT_NOX`, or the one on PATH; undefined when there is none. */
export function qbittorrentNoxPath(): string | undefined {
  return findExecutable('qbittorrent-nox', process.env.QBITTORRENT_NOX);
}

/**
 * Why tests that need qbittorrent-nox cannot run here (give it to `t.skip()` or to a suite's `skip`
 * option), or undefined when they can. On CI (`CI=true`) a missing binary throws: it must fail, not skip.
 */
export function qbittorrentSkipReason(): string | undefined {
  return qbittorrentNoxPath() ? undefined : missingPeer(INSTALL_HINT);
}

/** The version the installed qbittorrent-nox reports, e.g. `v4.5.2`. */
export function qbittorrentNoxVersion(): string {
  const home = mkdtempSync(join(tmpdir(), 'qbtm-qbittorrent-version-'));
  try {
    const output = execFileSync(requireBinary(), ['--version'], { encoding: 'utf8', env: isolatedEnv(home) });
    const version = /\bv\d+\.\d+\S*/.exec(output)?.[0];
    if (!version) throw new Error(`unexpected output of qbittorrent-nox --version: ${output}`);
    return version;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Free TCP ports on 127.0.0.1, distinct from one another. */
export async function freePorts(count: number): Promise<number[]> {
  // All held open at once, so that the system cannot hand out the same port twice.
  const servers = await Promise.all(Array.from({ length: count }, listenOnAnyPort));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export async function startQbittorrent(options: StartQbittorrentOptions = {}): Promise<QbittorrentNox> {
  const binary = requireBinary();
  const profileDir = mkdtempSync(join(tmpdir(), 'qbtm-qbittorrent-'));
  // qBittorrent measures free_space_on_disk where it saves by default: it must exist from the start.
  mkdirSync(join(profileDir, 'downloads'));
  const [port, peerPort] = (await freePorts(2)) as [number, number];
  const username = 'admin';
  // Our own password rather than the default: only up to 4.6.0 is the default admin/adminadmin.
  const password = randomBytes(12).toString('base64url');
  writeConfig({
    profileDir,
    port,
    peerPort,
    username,
    password,
    preferences: options.preferences ?? {},
    bittorrent: options.bittorrent ?? {},
  });

  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  // If the test process dies without dispose(), do not leave qbittorrent-nox behind.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  async function start(): Promise<void> {
    if (child) return;
    const spawned = spawn(binary, [`--profile=${profileDir}`, `--webui-port=${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: isolatedEnv(profileDir),
    });
    child = spawned;
    const output = outputTail(spawned);
    try {
      await waitUntilAnswering(url, spawned, output);
    } catch (error) {
      await stop();
      throw error;
    }
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    const forceKill = setTimeout(() => running.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(forceKill);
  }

  async function dispose(): Promise<void> {
    await stop();
    process.removeListener('exit', killOnExit);
    rmSync(profileDir, { recursive: true, force: true });
  }

  try {
    await start();
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    url,
    port,
    peerPort,
    username,
    password,
    profileDir,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
    dispose,
  };
}

function requireBinary(): string {
  const binary = qbittorrentNoxPath();
  if (!binary) throw new Error(INSTALL_HINT);
  return binary;
}

/** HOME and the XDG directories inside `dir`: qbittorrent-nox writes under ~/.config and ~/.local/share otherwise, even for --version. */
function isolatedEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, '.config'),
    XDG_DATA_HOME: join(dir, '.local', 'share'),
    XDG_CACHE_HOME: join(dir, '.cache'),
  };
}

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

interface ProfileSettings {
  profileDir: string;
  port: number;
  peerPort: number;
  username: string;
  password: string;
  preferences: Record<string, string | number | boolean>;
  bittorrent: Record<string, string | number | boolean>;
}

/** Writes `<profile>/qBittorrent/config/qBittorrent.conf`. */
function writeConfig(settings: ProfileSettings): void {
  const configDir = join(settings.profileDir, 'qBittorrent', 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'qBittorrent.conf'), configText(settings));
}

/** A config that keeps qbittorrent-nox on loopback: no DHT, PeX, LSD, UPnP/NAT-PMP, nor GeoIP database download. */
function configText({ profileDir, port, peerPort, username, password, preferences, bittorrent }: ProfileSettings): string {
  const sections: Record<string, Record<string, string | number | boolean>> = {
    LegalNotice: { Accepted: true },
    BitTorrent: {
      'Session\\DHTEnabled': false,
      'Session\\PeXEnabled': false,
      'Session\\LSDEnabled': false,
      'Session\\Port': peerPort,
      'Session\\InterfaceAddress': '127.0.0.1',
      'Session\\DefaultSavePath': join(profileDir, 'downloads'),
      ...bittorrent,
    },
    Network: { PortForwardingEnabled: false },
    Preferences: {
      // The pre-4.4 names of the same switches, in case an older build reads these.
      'Bittorrent\\DHT': false,
      'Bittorrent\\PeX': false,
      'Bittorrent\\LSD': false,
      'Connection\\UPnP': false,
      'Connection\\PortRangeMin': peerPort,
      // Otherwise qBittorrent downloads the DB-IP country database from the internet.
      'Connection\\ResolvePeerCountries': false,
      'WebUI\\Address': '127.0.0.1',
      'WebUI\\Port': port,
      'WebUI\\LocalHostAuth': true,
      'WebUI\\UseUPnP': false,
      'WebUI\\Username': username,
      'WebUI\\Password_PBKDF2': `"${passwordHash(password)}"`,
      ...preferences,
    },
  };
  return Object.entries(sections)
    .map(([section, entries]) => [`[${section}]`, ...Object.entries(entries).map(([key, value]) => `${key}=${value}`)].join('\n'))
    .join('\n\n')
    .concat('\n');
}

/** The WebUI password as qBittorrent (4.2+) stores it: PBKDF2-HMAC-SHA512, 100 000 iterations, 16-byte salt, 64-byte key. */
function passwordHash(password: string): string {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(password, salt, 100_000, 64, 'sha512');
  return `@ByteArray(${salt.toString('base64')}:${key.toString('base64')})`;
}

/** Polls the WebUI until it answers anything (403 without a session), the process exits, or the deadline passes. */
async function waitUntilAnswering(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`qbittorrent-nox exited (${child.signalCode ?? child.exitCode}) before its WebUI answered:\n${output()}`);
    }
    try {
      const response = await fetch(`${url}/api/v2/app/version`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`qbittorrent-nox WebUI did not answer within ${READY_TIMEOUT_MS} ms:\n${output()}`);
      await sleep(READY_POLL_MS);
    }
  }
}
