/**
 * The `torrent` events and qBittorrent's transfer figures (docs/protocol.md, "Torrents"): the row of
 * the live table, the lifecycle events, the table's snapshot and deltas, the transfer figures.
 */
import { type Static, Type } from '@sinclair/typebox';
import { TORRENT_STATE_GROUPS, type TorrentStateGroup } from './torrent-groups.js';

const Open = { additionalProperties: true } as const;
const IsoTime = Type.String({ format: 'date-time' });

/** Who added a torrent, where the service knows: through the clipboard, `POST /api/v1/torrents`, or anyone else (qBittorrent itself). */
export const TorrentSource = Type.Union([Type.Literal('clipboard'), Type.Literal('api'), Type.Literal('qbittorrent')]);
export type TorrentSource = Static<typeof TorrentSource>;

/** The fields every torrent event carries: `data` of the lifecycle events, and the first half of a row. */
const lifecycleFields = {
  hash: Type.String({ description: "qBittorrent's id of the torrent: its v1 info-hash (or the truncated v2 one), lowercase hex." }),
  name: Type.String(),
  state: Type.String({
    description: "qBittorrent's own state name (`downloading`, `stalledDL`, `pausedDL` on 4.x, `stoppedDL` on 5.x, ...).",
  }),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  size: Type.Number({ description: 'Bytes selected for download.' }),
  category: Type.String(),
  tags: Type.Array(Type.String()),
  save_path: Type.String(),
  added_on: IsoTime,
  completion_on: Type.Union([IsoTime, Type.Null()], { description: 'When it completed; null while incomplete.' }),
  source: TorrentSource,
};

export const TorrentLifecycleData = Type.Object(lifecycleFields, {
  ...Open,
  description: 'torrent.added, .completed, .errored, .stalled, .removed: the torrent as it was at that moment.',
});
export type TorrentLifecycle = Static<typeof TorrentLifecycleData>;

export const TorrentRowSchema = Type.Object(
  {
    ...lifecycleFields,
    dl_speed: Type.Number({ description: 'Bytes per second.' }),
    up_speed: Type.Number({ description: 'Bytes per second.' }),
    eta: Type.Union([Type.Number(), Type.Null()], { description: 'Seconds to completion; null when qBittorrent cannot tell.' }),
    ratio: Type.Number(),
    num_seeds: Type.Integer({ description: 'Seeds connected to.' }),
    num_leechs: Type.Integer({ description: 'Leechers connected to.' }),
  },
  { additionalProperties: false },
);
export type TorrentRow = Static<typeof TorrentRowSchema>;
export type TorrentField = keyof TorrentRow;
/** Every field of a row, in order. */
export const TORRENT_FIELDS = Object.keys(TorrentRowSchema.properties) as readonly TorrentField[];

export const TorrentListData = Type.Object(
  { torrents: Type.Array(TorrentRowSchema) },
  { ...Open, description: 'torrent.list: the whole table, sent on connect (meta.snapshot).' },
);
export type TorrentList = Static<typeof TorrentListData>;

export const TorrentUpdatedData = Type.Object(
  {
    changed: Type.Record(Type.String(), Type.Partial(TorrentRowSchema), {
      description: 'By hash, the fields that changed; a new torrent with all its fields.',
    }),
    removed: Type.Array(Type.String(), { description: 'Hashes no longer in qBittorrent.' }),
  },
  { ...Open, description: 'torrent.updated: apply `removed`, then `changed`, in order of arrival.' },
);
export type TorrentUpdated = Static<typeof TorrentUpdatedData>;

const countFields = Object.fromEntries(['total', ...TORRENT_STATE_GROUPS].map((group) => [group, Type.Integer({ minimum: 0 })])) as Record<
  'total' | TorrentStateGroup,
  ReturnType<typeof Type.Integer>
>;

export const QbittorrentTransferData = Type.Object(
  {
    dl_speed: Type.Number({ description: 'Bytes per second, all torrents.' }),
    up_speed: Type.Number({ description: 'Bytes per second, all torrents.' }),
    dl_session_bytes: Type.Number({ description: 'Downloaded since qBittorrent started.' }),
    up_session_bytes: Type.Number({ description: 'Uploaded since qBittorrent started.' }),
    free_space_on_disk: Type.Union([Type.Number(), Type.Null()], {
      description: 'Bytes free where qBittorrent saves by default; null until qBittorrent has measured it.',
    }),
    connection_status: Type.Union([Type.Literal('connected'), Type.Literal('firewalled'), Type.Literal('disconnected')]),
    dht_nodes: Type.Integer({ minimum: 0 }),
    torrents: Type.Object(countFields, { ...Open, description: 'Torrents by state group; `total` is their sum.' }),
  },
  { ...Open, description: 'performance.qbittorrent: at each sync.' },
);
export type QbittorrentTransfer = Static<typeof QbittorrentTransferData>;

/** The figures of `performance.qbittorrent` kept as metric history (request_data, the history endpoint), named `qbittorrent.<figure>`. */
export const QBITTORRENT_HISTORY_FIGURES = [
  { figure: 'dl_speed', unit: 'bytes/s' },
  { figure: 'up_speed', unit: 'bytes/s' },
  { figure: 'dl_session_bytes', unit: 'bytes' },
  { figure: 'up_session_bytes', unit: 'bytes' },
  { figure: 'free_space_on_disk', unit: 'bytes' },
  { figure: 'dht_nodes', unit: 'nodes' },
] as const satisfies ReadonlyArray<{ figure: keyof QbittorrentTransfer; unit: string }>;

/** The metric-name prefix of qBittorrent's figures, reserved: custom metrics may not use it. */
export const QBITTORRENT_METRIC_PREFIX = 'qbittorrent';
