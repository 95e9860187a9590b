/**
 * qBittorrent's series on /metrics, named as the popular qBittorrent exporters name them (so that their
 * Grafana dashboards work): up and connection status, speeds, session bytes, free space, DHT nodes, and
 * torrents counted by state group and category. Each appears once its source has said something.
 */
import { Gauge, type Registry } from 'prom-client';
import type { EventData } from '../hub/event.js';
import { type QbittorrentTransfer, type TorrentRow, torrentStateGroup } from '../protocol/index.js';

export interface QbittorrentSeries {
  /** From `status.qbittorrent_client`. */
  recordStatus(data: EventData): void;
  /** From `performance.qbittorrent`. */
  recordTransfer(data: QbittorrentTransfer): void;
}

const TRANSFER_SERIES = [
  {
    name: 'qbittorrent_global_download_speed_bytes',
    help: 'Download speed of all torrents, bytes per second.',
    read: (t: QbittorrentTransfer) => t.dl_speed,
  },
  {
    name: 'qbittorrent_global_upload_speed_bytes',
    help: 'Upload speed of all torrents, bytes per second.',
    read: (t: QbittorrentTransfer) => t.up_speed,
  },
  {
    name: 'qbittorrent_global_session_downloaded_bytes',
    help: 'Bytes downloaded since qBittorrent started.',
    read: (t: QbittorrentTransfer) => t.dl_session_bytes,
  },
  {
    name: 'qbittorrent_global_session_uploaded_bytes',
    help: 'Bytes uploaded since qBittorrent started.',
    read: (t: QbittorrentTransfer) => t.up_session_bytes,
  },
  {
    name: 'qbittorrent_global_free_space_on_disk_bytes',
    help: 'Free bytes where qBittorrent saves by default (absent until qBittorrent has measured it).',
    read: (t: QbittorrentTransfer) => t.free_space_on_disk,
  },
  { name: 'qbittorrent_dht_nodes', help: 'DHT nodes qBittorrent is connected to.', read: (t: QbittorrentTransfer) => t.dht_nodes },
  {
    name: 'qbittorrent_connected',
    help: 'Whether qBittorrent is connected to the BitTorrent network (1) or not (0).',
    read: (t: QbittorrentTransfer) => Number(t.connection_status === 'connected'),
  },
  {
    name: 'qbittorrent_firewalled',
    help: 'Whether qBittorrent is reachable only outwards, behind a firewall (1) or not (0).',
    read: (t: QbittorrentTransfer) => Number(t.connection_status === 'firewalled'),
  },
] as const;

export function createQbittorrentSeries(registry: Registry, torrents: () => ReadonlyMap<string, Readonly<TorrentRow>>): QbittorrentSeries {
  let up: Gauge | undefined;
  let transfer: Array<{ gauge: Gauge; read: (t: QbittorrentTransfer) => number | null }> | undefined;
  return {
    recordStatus(data) {
      up ??= new Gauge({
        name: 'qbittorrent_up',
        help: "Whether the service is connected to qBittorrent's WebUI (1) or not (0), with qBittorrent's version.",
        labelNames: ['version'],
        registers: [registry],
      });
      const info = data.connection_info as { version?: unknown } | undefined;
      up.reset();
      up.set({ version: typeof info?.version === 'string' ? info.version : '' }, Number(data.status === 'connected'));
    },
    recordTransfer(data) {
      transfer ??= [
        ...TRANSFER_SERIES.map(({ name, help, read }) => ({ gauge: new Gauge({ name, help, registers: [registry] }), read })),
        {
          // Counted from the live table at each scrape.
          gauge: new Gauge({
            name: 'qbittorrent_torrents_count',
            help: 'Torrents by state group (downloading, seeding, stopped, stalled, errored, checking, queued, other) and category.',
            labelNames: ['status', 'category'],
            registers: [registry],
            collect() {
              this.reset();
              for (const row of torrents().values()) this.inc({ status: torrentStateGroup(row.state), category: row.category });
            },
          }),
          read: () => null,
        },
      ];
      for (const { gauge, read } of transfer) {
        const value = read(data);
        if (value !== null) gauge.set(value);
      }
    },
  };
}
