/**
 * Torrents benchmark: qbt-monitor's sync (maindata deltas in, `torrent.updated` deltas out) against the
 * naive approach (the full `torrents/info` list fetched and every row sent again at each sync), for N
 * torrents of which 1% change per step (a step is one second of qBittorrent's changes). The server
 * under test runs in this process and nothing else does: the stand-in qBittorrent replaying the
 * sequence and the client counting bytes are another process (torrents-peer.ts), so this process's CPU
 * time over the steps is the server's. Bytes per step are what one client receives per second at the
 * default 1 s sync interval (the bench syncs faster so that a round takes seconds).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { validateConfig } from '../src/config/validate.js';
import { createApp } from '../src/server/app.js';
import type { PeerCounts, PeerRequest } from './torrents-peer.js';

// The server under test runs here, under tsx: as shipped (compiled, run by node) it has source maps off.
process.setSourceMapsEnabled(false);

const KEY = 'bench-key-0123456789abcdef';
/** How often each target syncs during the bench. */
const SYNC_SECONDS = Number(process.env.BENCH_TORRENT_SYNC_SECONDS ?? 0.2);
const WAIT_MS = 120_000;

export type TorrentsTarget = 'qbt-monitor' | 'naive';

export interface TorrentsResult {
  cpuMsPerSync: number;
  bytesPerSync: number;
  /** The table sent once on connect. */
  tableBytes: number;
  /** The longest the event loop was held from the server's start to the client having its table: the first (full) sync and the table sent. */
  fullSyncBlockMs: number;
}

class Peer {
  readonly #child: ChildProcess;
  constructor() {
    this.#child = fork(new URL('./torrents-peer.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
  }
  async ask<T>(request: PeerRequest, answer: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<T>((resolve, reject) => {
      const listener = (message: { type: string }) => {
        if (message.type !== answer) return;
        this.#child.off('message', listener);
        clearTimeout(timer);
        resolve(message as T);
      };
      this.#child.on('message', listener);
      timer = setTimeout(() => {
        this.#child.off('message', listener);
        reject(new Error(`bench peer: no ${answer} within ${WAIT_MS} ms`));
      }, WAIT_MS);
    });
    this.#child.send(request);
    return reply;
  }
  /** Resolves with the counts once `served` sequence answers were served and `messages` messages received. */
  reached(served: number, messages: number): Promise<PeerCounts> {
    return this.ask<PeerCounts>({ type: 'await', served, messages }, 'counts');
  }
  async stop(): Promise<void> {
    const exited = once(this.#child, 'exit');
    this.#child.send({ type: 'stop' } satisfies PeerRequest);
    await exited;
  }
}

/** A server under test: where a client connects, and how to stop it. */
interface Server {
  url: string;
  headers: Record<string, string>;
  stop(): Promise<void>;
}

/** The event-loop monitor the bench enables once the server has started, before its first sync has answered. */
type Loop = ReturnType<typeof monitorEventLoopDelay>;

async function startQbtMonitor(qbittorrentUrl: string, count: number, loop: Loop): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'qbtm-bench-torrents-'));
  const config = validateConfig(
    {
      log_level: 'ERROR',
      server: { host: '127.0.0.1', port: 0 },
      metrics: { sample_system: false },
      clipboard: { enabled: false },
      auth: { api_keys: [{ name: 'bench', key: KEY, role: 'admin' }] },
      qbittorrent: { url: qbittorrentUrl, username: 'admin', password: 'x', sync_interval: SYNC_SECONDS },
    },
    'bench',
  );
  const app = await createApp({ config, dataDir, configPath: join(dataDir, 'config.json'), logger: pino({ level: 'silent' }) });
  const { port } = await app.start();
  loop.enable();
  // The first (full) sync applied: the client's table on connect is whole.
  const deadline = Date.now() + WAIT_MS;
  while (app.hub.torrents().size < count) {
    if (Date.now() > deadline) throw new Error(`qbt-monitor: ${count} torrents not in the table within ${WAIT_MS} ms`);
    await sleep(10);
  }
  return {
    url: `ws://127.0.0.1:${port}/ws/torrents`,
    headers: { Authorization: `Bearer ${KEY}` },
    async stop() {
      await app.stop('bench');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Fields of a row, as the naive server sends them: the same 17 as qbt-monitor's rows. */
const row = (t: Record<string, any>) => ({
  hash: t.hash,
  name: t.name,
  state: t.state,
  progress: t.progress,
  size: t.size,
  category: t.category,
  tags: String(t.tags).split(',').filter(Boolean),
  save_path: t.save_path,
  added_on: new Date(t.added_on * 1000).toISOString(),
  completion_on: t.completion_on > 0 ? new Date(t.completion_on * 1000).toISOString() : null,
  source: 'qbittorrent',
  dl_speed: t.dlspeed,
  up_speed: t.upspeed,
  eta: t.eta < 8_640_000 ? t.eta : null,
  ratio: t.ratio,
  num_seeds: t.num_seeds,
  num_leechs: t.num_leechs,
});

/** The naive server: every sync fetches `torrents/info` whole and sends every row to every client. */
async function startNaive(qbittorrentUrl: string, monitor: Loop): Promise<Server> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  monitor.enable();
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const rows = ((await (await fetch(`${qbittorrentUrl}/api/v2/torrents/info`)).json()) as Array<Record<string, any>>).map(row);
      const text = JSON.stringify({ type: 'torrent', data: { torrents: rows } });
      for (const socket of wss.clients) socket.send(text);
      await sleep(Math.max(0, SYNC_SECONDS * 1000 - (Date.now() - started)));
    }
  })();
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    headers: {},
    async stop() {
      running = false;
      await loop;
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

/** BENCH_PROFILE=<dir>: starts profiling the measured window; the function returned writes it to <dir>/<name>-<pid>.cpuprofile. */
async function startProfile(): Promise<((name: string) => Promise<void>) | undefined> {
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (name) => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(profile));
  };
}

/** One round of one target: N torrents, then `steps` steps measured after a client has its table. */
export async function torrentsOnce(target: TorrentsTarget, count: number, steps: number): Promise<TorrentsResult> {
  const peer = new Peer();
  let server: Server | undefined;
  // Off during the measured window: its timer would be counted as the server's CPU.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  try {
    const { url } = await peer.ask<{ url: string }>({ type: 'start', count, steps: steps + 2 }, 'ready');
    server = target === 'naive' ? await startNaive(url, loop) : await startQbtMonitor(url, count, loop);
    await peer.ask({ type: 'connect', url: server.url, headers: server.headers }, 'connected');
    loop.disable();
    const before = await peer.ask<PeerCounts>({ type: 'counts' }, 'counts');
    const profiler = await startProfile();
    const cpu = process.cpuUsage();
    const last = await peer.reached(before.served + steps, before.messages + steps);
    const used = process.cpuUsage(cpu);
    await profiler?.(`torrents-${target}-${count}`);
    return {
      cpuMsPerSync: (used.user + used.system) / 1000 / (last.served - before.served),
      // One message per sync (each step changes something): bytes per message are bytes per sync.
      bytesPerSync: (last.bytes - before.bytes) / (last.messages - before.messages),
      tableBytes: before.firstBytes,
      fullSyncBlockMs: loop.max / 1e6,
    };
  } finally {
    await server?.stop();
    await peer.stop();
  }
}
