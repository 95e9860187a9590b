/**
 * The torrents source: one `sync/maindata` request per `qbittorrent.sync_interval` while qBittorrent is
 * connected (none while it is away: the `qbittorrent_client` component backs off and reconnects), each
 * answer applied to the table and published as `torrent.updated` (when something changed), the
 * lifecycle events it calls for, and `performance.qbittorrent`.
 */
import {
  EventName,
  type QbittorrentTransfer,
  type TorrentLifecycle,
  type TorrentSource,
  type TorrentUpdated,
} from '../../protocol/index.js';
import type { TorrentLifecycleStore } from '../../store/torrent-lifecycle-store.js';
import { type RawTorrent, v2Key } from './maindata.js';
import type { QbittorrentMonitor } from './monitor.js';
import { TorrentLifecycleTracker } from './torrent-lifecycle.js';
import { TorrentTable } from './torrent-table.js';

/** What the source publishes, by event name. */
export type TorrentSyncPublish = {
  (name: typeof EventName.torrentUpdated, data: TorrentUpdated): void;
  (name: typeof EventName.performanceQbittorrent, data: QbittorrentTransfer): void;
  (
    name: (typeof EventName)['torrentAdded' | 'torrentCompleted' | 'torrentErrored' | 'torrentStalled' | 'torrentRemoved'],
    data: TorrentLifecycle,
  ): void;
};

export interface TorrentSyncSettings {
  intervalMs: number;
  stalledAfterMs: number;
}

export interface TorrentSyncOptions extends TorrentSyncSettings {
  qbittorrent: Pick<QbittorrentMonitor, 'maindata' | 'status' | 'clientGeneration'>;
  publish: TorrentSyncPublish;
  /** Who added the torrent with this key (info-hash, or `1220…` v2 key), if the service did. */
  sourceOf: (key: string) => TorrentSource | undefined;
  store: TorrentLifecycleStore;
  logger: { warn(details: object, message: string): void };
}

export interface TorrentSync {
  /** The table as of the last sync (the service's view of qBittorrent's torrents). */
  readonly table: TorrentTable;
  start(): void;
  /** Stops the loop and waits for a sync in progress. */
  stop(): Promise<void>;
  reconfigure(settings: TorrentSyncSettings): void;
  /** Runs one sync now (when connected); resolves once its events are published. */
  syncNow(): Promise<void>;
}

export function createTorrentSync(options: TorrentSyncOptions): TorrentSync {
  const { qbittorrent, publish, logger } = options;
  let settings: TorrentSyncSettings = { intervalMs: options.intervalMs, stalledAfterMs: options.stalledAfterMs };
  const table = new TorrentTable();
  const lifecycle = new TorrentLifecycleTracker(options.store, settings.stalledAfterMs);
  const serverState: Record<string, unknown> = {};
  let rid = 0;
  let generation = qbittorrent.clientGeneration;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let lastFailure: string | undefined;

  const sourceOf = (hash: string, raw: RawTorrent): TorrentSource => {
    const v2 = v2Key(raw);
    return options.sourceOf(hash) ?? (v2 === undefined ? undefined : options.sourceOf(v2)) ?? 'qbittorrent';
  };

  async function syncOnce(): Promise<void> {
    if (qbittorrent.status().status !== 'connected') return;
    if (qbittorrent.clientGeneration !== generation) {
      // Another qBittorrent (or account): its answers do not follow from our rid.
      generation = qbittorrent.clientGeneration;
      rid = 0;
    }
    let maindata: Awaited<ReturnType<typeof qbittorrent.maindata>>;
    try {
      maindata = await qbittorrent.maindata(rid);
      lastFailure = undefined;
    } catch (error) {
      // The component reports qBittorrent's health; a sync that fails is retried at the next tick with the same rid.
      const reason = error instanceof Error ? error.message : String(error);
      if (reason !== lastFailure) logger.warn({ err: error }, 'torrent sync failed');
      lastFailure = reason;
      return;
    }
    const changes = await table.apply(maindata, sourceOf);
    const previousFree = serverState.free_space_on_disk;
    if (maindata.fullUpdate) for (const key of Object.keys(serverState)) delete serverState[key];
    Object.assign(serverState, maindata.serverState);
    rid = maindata.rid;
    if (changes.delta.removed.length > 0 || Object.keys(changes.delta.changed).length > 0) {
      publish(EventName.torrentUpdated, changes.delta);
    }
    for (const event of lifecycle.observe(table, changes, Date.now())) publish(event.name, event.data);
    publish(EventName.performanceQbittorrent, transferFigures(serverState, table, previousFree));
  }

  function schedule(): void {
    timer = setTimeout(() => {
      timer = undefined;
      void tick();
    }, settings.intervalMs);
  }

  async function tick(): Promise<void> {
    await syncNow();
    if (running && timer === undefined) schedule();
  }

  function syncNow(): Promise<void> {
    inFlight ??= syncOnce()
      .catch((error: unknown) => logger.warn({ err: error }, 'torrent sync failed'))
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  return {
    table,
    start() {
      if (running) return;
      running = true;
      void tick();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
    reconfigure(next) {
      const intervalChanged = next.intervalMs !== settings.intervalMs;
      settings = { ...next };
      lifecycle.stalledAfterMs = next.stalledAfterMs;
      if (intervalChanged && timer !== undefined) {
        clearTimeout(timer);
        schedule();
      }
    },
    syncNow,
  };
}

/**
 * `performance.qbittorrent` from qBittorrent's server state (kept whole from partial answers) and the table's counts.
 * `previousFree` is the free space the previous sync had.
 */
function transferFigures(state: Readonly<Record<string, unknown>>, table: TorrentTable, previousFree: unknown): QbittorrentTransfer {
  const number = (key: string) => (typeof state[key] === 'number' ? (state[key] as number) : 0);
  const free = state.free_space_on_disk;
  const status = state.connection_status;
  const counts = table.counts();
  return {
    dl_speed: number('dl_info_speed'),
    up_speed: number('up_info_speed'),
    dl_session_bytes: number('dl_info_data'),
    up_session_bytes: number('up_info_data'),
    free_space_on_disk: measuredFreeSpace(free, previousFree),
    connection_status: status === 'connected' || status === 'firewalled' ? status : 'disconnected',
    dht_nodes: number('dht_nodes'),
    torrents: { total: table.size, ...counts },
  };
}

/**
 * qBittorrent answers -1, or 0 right after it starts, until it has measured the disk: a 0 counts once a
 * second sync still has it (a full disk is reported one sync later, and a start raises no disk alert).
 */
function measuredFreeSpace(free: unknown, previousFree: unknown): number | null {
  if (typeof free !== 'number' || free < 0) return null;
  return free === 0 && previousFree !== 0 ? null : free;
}
