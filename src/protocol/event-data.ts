/**
 * The `data` of every event, following the source document field for field: one TypeBox schema per
 * event (status values as literal unions), and the map from event name to data that types the bus's
 * `publish`, the server's envelopes and the SDK's handlers.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { EventName } from './events.js';
import type { EventType } from './message-types.js';
import { NotificationTestData } from './notifications.js';
import { QbittorrentTransferData, TorrentLifecycleData, TorrentListData, TorrentUpdatedData } from './torrents.js';

const IsoTime = Type.String({ format: 'date-time' });
const Open = { additionalProperties: true } as const;

/** `service` of every system event. */
export const SERVICE_NAME = 'qbittorrent_monitor';
const Service = Type.Literal(SERVICE_NAME);

// performance

export const SystemMetricsData = Type.Object(
  {
    cpu_percent: Type.Number({ description: 'Busy share of all cores since the previous sample, 0-100.' }),
    memory_percent: Type.Number({ description: '(total - available) / total, as psutil and `free` count it, 0-100.' }),
    disk_usage_percent: Type.Number({ description: 'Used share of the watched filesystem, as `df` counts it, 0-100.' }),
    network_io: Type.Object(
      {
        bytes_sent: Type.Number({ description: 'Since boot, over every non-loopback interface.' }),
        bytes_recv: Type.Number(),
        send_rate: Type.Optional(
          Type.Number({ description: 'Bytes per second between the last two readings; absent until there are two.' }),
        ),
        recv_rate: Type.Optional(Type.Number()),
      },
      Open,
    ),
    process_count: Type.Integer(),
    cpu_per_core: Type.Optional(Type.Array(Type.Number(), { description: 'Each core, like cpu_percent.' })),
    load_average: Type.Optional(
      Type.Array(Type.Number(), { minItems: 3, maxItems: 3, description: '1, 5 and 15 minute load averages; absent on Windows.' }),
    ),
    memory_used_bytes: Type.Optional(Type.Number()),
    memory_total_bytes: Type.Optional(Type.Number()),
    disk_path: Type.Optional(Type.String({ description: 'The path whose filesystem disk_usage_percent describes.' })),
    disk_used_bytes: Type.Optional(Type.Number()),
    disk_total_bytes: Type.Optional(Type.Number()),
    host: Type.Optional(Type.String({ description: 'Cluster mode: the node whose host was sampled (its `cluster.node_id`).' })),
  },
  Open,
);
export type SystemMetrics = Static<typeof SystemMetricsData>;

export const CustomMetricData = Type.Object(
  {
    metric_name: Type.String(),
    value: Type.Number(),
    unit: Type.String(),
    category: Type.String(),
    tags: Type.Record(Type.String(), Type.String()),
  },
  Open,
);
export type CustomMetric = Static<typeof CustomMetricData>;

// alert

export const AlertLevelSchema = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
export type AlertLevel = Static<typeof AlertLevelSchema>;

/** What alert management adds to an alert's events: each field absent until it applies. */
const AlertManagementFields = {
  acknowledged_by: Type.Optional(
    Type.String({
      description: 'The name of the key that acknowledged the alert: on each of its events from then on. It is not notified again.',
    }),
  ),
  acknowledged_at: Type.Optional(IsoTime),
  acknowledgement: Type.Optional(Type.String({ description: 'The comment given with the acknowledgement (may be empty).' })),
  silenced: Type.Optional(Type.Literal(true, { description: 'A silence matches the alert: it is delivered to clients but not notified.' })),
};

export const AlertActiveData = Type.Object(
  {
    alert_id: Type.String(),
    type: Type.String(),
    level: AlertLevelSchema,
    title: Type.String(),
    message: Type.String(),
    value: Type.Number(),
    threshold: Type.Number(),
    status: Type.Literal('active'),
    metadata: Type.Object(
      {
        affected_processes: Type.Array(Type.String()),
        suggestion: Type.String(),
        host: Type.Optional(Type.String({ description: 'Cluster mode: the node whose rule raised the alert, and which owns it.' })),
        subject: Type.Optional(
          Type.String({
            description:
              "Which of the type's active alerts this is, where a type has several at once: the torrent's hash (alert.torrent), `qbittorrent_free_space` (alert.disk on qBittorrent's free space).",
          }),
        ),
        hash: Type.Optional(Type.String({ description: "alert.torrent: the torrent's hash." })),
        name: Type.Optional(Type.String({ description: "alert.torrent: the torrent's name." })),
        reason: Type.Optional(
          Type.Union([Type.Literal('errored'), Type.Literal('stalled')], {
            description: 'alert.torrent: why it was raised (or escalated).',
          }),
        ),
      },
      Open,
    ),
    ...AlertManagementFields,
    repeat: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'A reminder: the alert is still active, unacknowledged and unsilenced after notifications.repeat_interval; the n-th reminder.',
      }),
    ),
  },
  Open,
);
export type AlertActive = Static<typeof AlertActiveData>;

export const AlertResolvedData = Type.Object(
  {
    alert_id: Type.String(),
    type: Type.String(),
    level: AlertLevelSchema,
    status: Type.Literal('resolved'),
    resolved_at: IsoTime,
    resolution: Type.String(),
    resolved_by: Type.String(),
    ...AlertManagementFields,
  },
  Open,
);
export type AlertResolved = Static<typeof AlertResolvedData>;

// status

export const QbittorrentConnectionStatusSchema = Type.Union([
  Type.Literal('connecting'),
  Type.Literal('connected'),
  Type.Literal('disconnected'),
  Type.Literal('auth_failed'),
  Type.Literal('not_configured'),
]);
export type QbittorrentConnectionStatus = Static<typeof QbittorrentConnectionStatusSchema>;

/** What went wrong talking to qBittorrent: `error_code` of `status.qbittorrent_client`, and the code of the qBittorrent source's errors. */
export const QbittorrentErrorCodeSchema = Type.Union([
  Type.Literal('NOT_CONFIGURED', { description: 'No `qbittorrent.url` configured (or not a usable address).' }),
  Type.Literal('UNREACHABLE', { description: 'Nothing answered: connection refused, reset, DNS failure, or no reply before the timeout.' }),
  Type.Literal('AUTH_FAILED', { description: 'qBittorrent refused the credentials, the API key or the session, or banned this address.' }),
  Type.Literal('HTTP_ERROR', { description: 'Any other HTTP status outside 2xx.' }),
  Type.Literal('REJECTED', { description: 'qBittorrent answered but did not add the torrents.' }),
  Type.Literal('BAD_RESPONSE', { description: 'A 2xx answer that is not what the API documents.' }),
  Type.Literal('CLOSED', { description: 'The client was closed (monitor stopped or reconfigured) while the call was pending.' }),
]);
export type QbittorrentErrorCode = Static<typeof QbittorrentErrorCodeSchema>;

export const QbittorrentStatusData = Type.Object(
  {
    component: Type.Literal('qbittorrent_client'),
    status: QbittorrentConnectionStatusSchema,
    connection_info: Type.Object(
      {
        host: Type.String({ description: 'Empty, with port 0, while not configured.' }),
        port: Type.Integer(),
        version: Type.Union([Type.String(), Type.Null()], {
          description: 'The application version (`v4.5.2`), the last one seen; null before the first connection.',
        }),
        api_version: Type.Union([Type.String(), Type.Null()], { description: 'The WebUI API version (`2.8.19`), the last one seen.' }),
      },
      Open,
    ),
    last_activity: Type.Union([IsoTime, Type.Null()], { description: 'The last successful call to qBittorrent; null before the first.' }),
    since: IsoTime,
    error: Type.Optional(
      Type.String({ description: 'Why: when disconnected, auth_failed, or not_configured because the url is unusable.' }),
    ),
    error_code: Type.Optional(QbittorrentErrorCodeSchema),
    next_retry_at: Type.Optional(IsoTime),
  },
  Open,
);
export type QbittorrentStatus = Static<typeof QbittorrentStatusData>;

export const ClipboardMonitorStateSchema = Type.Union([Type.Literal('running'), Type.Literal('unavailable'), Type.Literal('stopped')]);
export type ClipboardMonitorState = Static<typeof ClipboardMonitorStateSchema>;
/** Where links came from: the clipboard, or text posted to the REST API. */
export const LinkSourceSchema = Type.Union([Type.Literal('clipboard'), Type.Literal('api')]);
export type LinkSource = Static<typeof LinkSourceSchema>;

/** A torrent as published: never its URL, which may carry a private tracker's passkey, nor a file's path. */
export const LinkSummarySchema = Type.Object({
  kind: Type.Union([Type.Literal('magnet'), Type.Literal('torrent_url'), Type.Literal('torrent_file'), Type.Literal('info_hash')], {
    description: 'A magnet link (thunder:// ones included), a .torrent URL, a local .torrent file, a bare info-hash.',
  }),
  info_hash: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
});
export type LinkSummary = Static<typeof LinkSummarySchema>;

/** Where a link went: what the rule that matched it (or the defaults, `rule: null`) chose. */
const PlacementSchema = Type.Object({
  rule: Type.Union([Type.String(), Type.Null()], { description: 'The clipboard rule that matched; null: none did, the defaults applied.' }),
  category: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Array(Type.String()),
  save_path: Type.Union([Type.String(), Type.Null()], { description: "null: qBittorrent's own (the category's or its default)." }),
  paused: Type.Boolean(),
});
export type Placement = Static<typeof PlacementSchema>;
const AddedLinkSchema = Type.Composite([LinkSummarySchema, PlacementSchema, Type.Object({ source: LinkSourceSchema, at: IsoTime })]);
export type AddedLink = Static<typeof AddedLinkSchema>;
const FailedLinkSchema = Type.Composite([
  LinkSummarySchema,
  Type.Partial(PlacementSchema, { description: 'Where it was going, once a rule was chosen.' }),
  Type.Object({ source: LinkSourceSchema, at: IsoTime, reason: Type.String() }),
]);
export type FailedLink = Static<typeof FailedLinkSchema>;
const PendingLinkSchema = Type.Composite([
  LinkSummarySchema,
  PlacementSchema,
  Type.Object({
    source: LinkSourceSchema,
    at: IsoTime,
    attempts: Type.Integer({ description: 'Tries so far (0: the first was cut off by a restart).' }),
    next_retry_at: Type.Union([IsoTime, Type.Null()], { description: 'The next try, on the backoff; sooner when qBittorrent comes back.' }),
    reason: Type.Union([Type.String(), Type.Null()], { description: 'Why the last try did not add it; null before any try ended.' }),
  }),
]);
export type PendingLink = Static<typeof PendingLinkSchema>;
const RuleCountsSchema = Type.Object({
  rule: Type.Union([Type.String(), Type.Null()], {
    description: 'A rule of `clipboard.rules`, in their order; null last: links no rule matched.',
  }),
  added: Type.Integer(),
  skipped: Type.Integer(),
  failed: Type.Integer(),
});
export type RuleCounts = Static<typeof RuleCountsSchema>;
export const ClipboardDetectionSchema = Type.Union([Type.Literal('xfixes'), Type.Literal('wl-paste'), Type.Literal('polling')]);
export type ClipboardDetection = Static<typeof ClipboardDetectionSchema>;

export const ClipboardStatusData = Type.Object(
  {
    component: Type.Literal('clipboard_monitor'),
    status: ClipboardMonitorStateSchema,
    last_check: Type.Union([IsoTime, Type.Null()]),
    details: Type.Object(
      {
        processed_count: Type.Integer({ description: 'successful_adds + failed_adds.' }),
        successful_adds: Type.Integer(),
        failed_adds: Type.Integer(),
        duplicates_skipped: Type.Integer({
          description: 'Links not added again because their torrent already was; not counted as processed.',
        }),
        skipped: Type.Integer({ description: 'Links a rule with `skip` kept from qBittorrent; not counted as processed.' }),
        reason: Type.Union([Type.String(), Type.Null()], { description: 'Why the clipboard cannot be read while `unavailable`.' }),
        last_added: Type.Union([AddedLinkSchema, Type.Null()]),
        last_failure: Type.Union([FailedLinkSchema, Type.Null()]),
        last_skipped: Type.Union([AddedLinkSchema, Type.Null()]),
        recent_adds: Type.Array(AddedLinkSchema, { description: 'The last 10 added, newest first (kept across restarts).' }),
        recent_failures: Type.Array(FailedLinkSchema, { description: 'The last 10 failures, newest first, each with its reason.' }),
        pending: Type.Array(PendingLinkSchema, {
          description: 'Links kept (in SQLite) until qBittorrent takes them: the first 10 in the order they are retried.',
        }),
        pending_count: Type.Integer({ description: 'How many links are pending in all.' }),
        rules: Type.Array(RuleCountsSchema, { description: 'Counts per rule since the service started.' }),
        detection: ClipboardDetectionSchema,
        detection_reason: Type.Union([Type.String(), Type.Null()], {
          description: 'While `polling` on a desktop that could report changes: why it cannot (e.g. python3-xlib missing).',
        }),
      },
      Open,
    ),
  },
  Open,
);
export type ClipboardStatus = Static<typeof ClipboardStatusData>;

/** Any other component's status (`status.<component>`). */
export const ComponentStatusData = Type.Object(
  {
    component: Type.String(),
    status: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'What the component reports beside its status.' })),
  },
  Open,
);
export type ComponentStatus = Static<typeof ComponentStatusData>;

// config

export const ConfigUpdatedData = Type.Object(
  {
    action: Type.Literal('updated'),
    fields: Type.Array(Type.String()),
    old_values: Type.Record(Type.String(), Type.Unknown()),
    new_values: Type.Record(Type.String(), Type.Unknown()),
    updated_by: Type.String(),
    restart_required: Type.Array(Type.String(), { description: 'The changed fields that take effect on restart.' }),
  },
  Open,
);
export type ConfigUpdated = Static<typeof ConfigUpdatedData>;

export const ConfigRejectedData = Type.Object({ action: Type.Literal('rejected'), reason: Type.String(), updated_by: Type.String() }, Open);
export type ConfigRejected = Static<typeof ConfigRejectedData>;

// system

export const ServiceStartData = Type.Object({ event: Type.Literal('service_start'), service: Service, pid: Type.Integer() }, Open);
export type ServiceStart = Static<typeof ServiceStartData>;

export const ServiceRestartData = Type.Object(
  {
    event: Type.Literal('service_restart'),
    service: Service,
    reason: Type.String({ description: 'What the previous run recorded (`signal`, `configuration_update`, ...), or `unclean_shutdown`.' }),
    previous_uptime: Type.Union([Type.Number(), Type.Null()], {
      description: 'Seconds; null when the previous run died without recording when.',
    }),
    new_pid: Type.Integer(),
    previous_pid: Type.Integer(),
  },
  Open,
);
export type ServiceRestart = Static<typeof ServiceRestartData>;

export const ServiceStoppingData = Type.Object(
  { event: Type.Literal('service_stopping'), service: Service, reason: Type.String(), uptime: Type.Number({ description: 'Seconds.' }) },
  Open,
);
export type ServiceStopping = Static<typeof ServiceStoppingData>;

export const ClusterLinkData = Type.Object(
  {
    event: Type.Union([Type.Literal('cluster_degraded'), Type.Literal('cluster_recovered')]),
    service: Service,
    node: Type.String({ description: 'The node whose link to Redis changed: the one the client is connected to.' }),
    reason: Type.String({
      description:
        'Degraded: the connection error. Recovered: `reconnected`, or `reconnected_data_lost` when Redis came back without events it had.',
    }),
    queued: Type.Integer({ minimum: 0, description: 'Durable events of this node waiting for Redis.' }),
    dropped: Type.Integer({ minimum: 0, description: 'Durable events of this node dropped because the queue was full.' }),
  },
  { ...Open, description: "Cluster mode: sent to this node's own clients at once, without `seq` (not logged, not replayed)." },
);
export type ClusterLink = Static<typeof ClusterLinkData>;

/** Any other system event (`system.<event>`). */
export const SystemEventData = Type.Object({ event: Type.String(), service: Type.String() }, Open);
export type SystemEvent = Static<typeof SystemEventData>;

// The maps

/** `data` of each well-known event name. A name in EventName without its schema here does not compile. */
export const EVENT_DATA = {
  [EventName.performanceSystem]: SystemMetricsData,
  [EventName.statusClipboardMonitor]: ClipboardStatusData,
  [EventName.statusQbittorrentClient]: QbittorrentStatusData,
  [EventName.configUpdated]: ConfigUpdatedData,
  [EventName.configRejected]: ConfigRejectedData,
  [EventName.systemServiceStart]: ServiceStartData,
  [EventName.systemServiceRestart]: ServiceRestartData,
  [EventName.systemServiceStopping]: ServiceStoppingData,
  [EventName.systemClusterDegraded]: ClusterLinkData,
  [EventName.systemClusterRecovered]: ClusterLinkData,
  [EventName.systemNotificationTest]: NotificationTestData,
  [EventName.performanceQbittorrent]: QbittorrentTransferData,
  [EventName.torrentAdded]: TorrentLifecycleData,
  [EventName.torrentCompleted]: TorrentLifecycleData,
  [EventName.torrentErrored]: TorrentLifecycleData,
  [EventName.torrentStalled]: TorrentLifecycleData,
  [EventName.torrentRemoved]: TorrentLifecycleData,
  [EventName.torrentList]: TorrentListData,
  [EventName.torrentUpdated]: TorrentUpdatedData,
} as const satisfies Record<EventName, TSchema>;

/**
 * `data` of the other names of each type: custom metrics (`performance.<metric_name>`), alerts of
 * every type, other components, other system events. `Type.Never()` for a type whose every name is
 * well known. A type in EVENT_TYPES without its entry here does not compile.
 */
export const OPEN_EVENT_DATA = {
  performance: CustomMetricData,
  alert: Type.Union([AlertActiveData, AlertResolvedData]),
  status: ComponentStatusData,
  config: Type.Never(),
  system: SystemEventData,
  torrent: Type.Never(),
} as const satisfies Record<EventType, TSchema>;

type KnownEventData = { [N in keyof typeof EVENT_DATA]: Static<(typeof EVENT_DATA)[N]> };

/** What `publish` takes as an event name: `<type>.<subtype>`. */
export type EventNameOf<T extends EventType = EventType> = `${T}.${string}`;

/** The `data` of the event named N: its own schema's if it is well known, else its type's open one. */
export type EventDataOf<N extends string> = N extends keyof KnownEventData
  ? KnownEventData[N]
  : N extends `${infer T}.${string}`
    ? T extends EventType
      ? Static<(typeof OPEN_EVENT_DATA)[T]>
      : never
    : never;

/** Every `data` an event of each type may carry: what a listener gets once it has checked the type. */
export type EventTypeData = {
  [T in EventType]:
    | { [N in keyof KnownEventData]: N extends EventNameOf<T> ? KnownEventData[N] : never }[keyof KnownEventData]
    | Static<(typeof OPEN_EVENT_DATA)[T]>;
};

/** Publishes an event: the data must be the shape the protocol gives its name. */
export type PublishEvent = <N extends EventNameOf>(name: N, data: EventDataOf<N>) => void;
