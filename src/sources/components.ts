/**
 * The monitored system: the qBittorrent WebUI client and the clipboard monitor that feeds it, built
 * from the config, kept in step with live config changes, and publishing their statuses to the bus.
 */
import type { Logger } from '../config/logger.js';
import type { Config } from '../config/schema.js';
import { EventName, type PublishEvent, type QbittorrentStatus } from '../protocol/index.js';
import type { ClipboardAddStore } from '../store/clipboard-add-store.js';
import type { PendingLinkStore } from '../store/pending-link-store.js';
import type { SeenStore } from '../store/seen-store.js';
import type { TorrentLifecycleStore } from '../store/torrent-lifecycle-store.js';
import { type ClipboardMonitor, createClipboardMonitor } from './clipboard/monitor.js';
import { apiResponseTimeEvent } from './custom-metrics/api-response-time.js';
import { isTemporary } from './qbittorrent/errors.js';
import { createQbittorrentMonitor, type QbittorrentMonitor, qbittorrentSettings } from './qbittorrent/monitor.js';
import { createTorrentSync, type TorrentSync, type TorrentSyncSettings } from './qbittorrent/torrent-sync.js';

export interface Components {
  qbittorrent: QbittorrentMonitor;
  clipboard: ClipboardMonitor;
  torrents: TorrentSync;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Applies a live config change to whichever component it concerns. */
  reconfigure(next: Config, fields: readonly string[]): void;
}

export interface ComponentsOptions {
  config: () => Config;
  publish: PublishEvent;
  /**
   * In a cluster: a component switched off on this node (no `qbittorrent.url`, `clipboard.enabled`
   * false) publishes no status, so that it does not bury the one another node runs; only the status
   * that says it was just switched off goes out.
   */
  quietWhenOff?: boolean;
  seen: SeenStore;
  /** The clipboard monitor's adds, with the rule that placed each. */
  clipboardAdds: ClipboardAddStore;
  /** What the torrent lifecycle announced so far, kept across restarts. */
  torrentLifecycle: TorrentLifecycleStore;
  /** Links qBittorrent could not take yet, kept until it does. */
  pendingLinks: PendingLinkStore;
  logger: Logger;
}

function torrentSyncSettings({ qbittorrent, torrents }: Config): TorrentSyncSettings {
  return { intervalMs: qbittorrent.sync_interval * 1000, stalledAfterMs: torrents.stalled_after * 1000 };
}

/** A component's status publisher that, when `quiet`, passes its statuses only while it is on and once as it goes off. */
function statusPublisher(publish: ComponentsOptions['publish'], quiet: boolean, isOn: () => boolean): ComponentsOptions['publish'] {
  if (!quiet) return publish;
  let wasOn = false;
  return (name, data) => {
    const on = isOn();
    if (on || wasOn) publish(name, data);
    wasOn = on;
  };
}

export function createComponents({
  config,
  publish,
  seen,
  clipboardAdds,
  torrentLifecycle,
  pendingLinks,
  logger,
  quietWhenOff = false,
}: ComponentsOptions): Components {
  const publishStatus = statusPublisher(publish, quietWhenOff, () => Boolean(config().qbittorrent.url));
  let qbittorrentConnected = false;
  const publishQbittorrent = (name: typeof EventName.statusQbittorrentClient, data: QbittorrentStatus) => {
    publishStatus(name, data);
    // qBittorrent (re)connected: the links it could not take meanwhile are tried now.
    const connected = data.status === 'connected';
    if (connected && !qbittorrentConnected) void clipboard.retryPending();
    qbittorrentConnected = connected;
  };
  const publishClipboard = statusPublisher(publish, quietWhenOff, () => config().clipboard.enabled);
  const qbittorrent = createQbittorrentMonitor({
    ...qbittorrentSettings(config().qbittorrent),
    publish: publishQbittorrent,
    logger: logger.child({ component: 'qbittorrent_client' }),
    // Every WebUI call's duration, like the REST API's own: the spec's api_response_time.
    onCall: ({ endpoint, method, durationMs }) => {
      const { name, data } = apiResponseTimeEvent('qbittorrent', endpoint, method, durationMs);
      publish(name, data);
    },
  });
  const clipboard = createClipboardMonitor({
    checkIntervalSec: config().check_interval,
    fastCheckIntervalSec: config().clipboard.fast_check_interval,
    watchChanges: config().clipboard.watch_changes,
    settings: () => config().clipboard,
    addTorrent: ({ url, file, ...placement }) =>
      file ? qbittorrent.addTorrentFile(file, placement) : qbittorrent.addTorrents([url], placement),
    publish: publishClipboard,
    seen,
    adds: clipboardAdds,
    pending: pendingLinks,
    isTemporary,
    retryBackoff: () => qbittorrentSettings(config().qbittorrent).backoff,
    logger: logger.child({ component: 'clipboard_monitor' }),
  });
  const torrents = createTorrentSync({
    ...torrentSyncSettings(config()),
    qbittorrent,
    publish,
    sourceOf: (key) => clipboard.sourceOf(key),
    store: torrentLifecycle,
    logger: logger.child({ component: 'torrents' }),
  });

  return {
    qbittorrent,
    clipboard,
    torrents,
    async start() {
      await qbittorrent.start();
      // Links kept from before (a restart, a kill): tried now, whatever qBittorrent's state.
      void clipboard.retryPending();
      torrents.start();
      if (config().clipboard.enabled) clipboard.start();
      else publishClipboard(EventName.statusClipboardMonitor, clipboard.status());
    },
    async stop() {
      await clipboard.close();
      await torrents.stop();
      await qbittorrent.stop();
    },
    reconfigure(next, fields) {
      if (['check_interval', 'clipboard.fast_check_interval', 'clipboard.watch_changes'].some((field) => fields.includes(field))) {
        clipboard.reconfigure({
          checkIntervalSec: next.check_interval,
          fastCheckIntervalSec: next.clipboard.fast_check_interval,
          watchChanges: next.clipboard.watch_changes,
        });
      }
      if (fields.includes('qbittorrent.sync_interval') || fields.includes('torrents.stalled_after')) {
        torrents.reconfigure(torrentSyncSettings(next));
      }
      if (fields.some((field) => field.startsWith('qbittorrent.'))) {
        qbittorrent
          .reconfigure(qbittorrentSettings(next.qbittorrent))
          .catch((err: unknown) => logger.error({ err }, 'qBittorrent reconfigure failed'));
      }
      if (fields.includes('clipboard.enabled')) {
        if (next.clipboard.enabled) clipboard.start();
        else void clipboard.stop().then(() => publishClipboard(EventName.statusClipboardMonitor, clipboard.status()));
      }
    },
  };
}
