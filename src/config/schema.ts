/**
 * The config file's schema: every key with its default and meaning, in one place (docs/configuration.md is generated from it).
 * Validated once at start and on every live change; errors name the field.
 */
import { CloneType, type Static, Type } from '@sinclair/typebox';
import { FiltersSchema } from '../protocol/client-messages.js';

const section = { additionalProperties: false, default: {} } as const;

const LogLevel = Type.Union(
  ['DEBUG', 'INFO', 'WARNING', 'WARN', 'ERROR', 'CRITICAL'].flatMap((level) => [Type.Literal(level), Type.Literal(level.toLowerCase())]),
  { default: 'INFO', description: 'Log verbosity, as in the API document ("INFO", "DEBUG", ...); either case.' },
);

export const ServerConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to listen on.' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'TCP port; 0 picks a free one.' }),
    heartbeat_interval_ms: Type.Integer({
      minimum: 50,
      default: 30000,
      description: 'How often the server pings each socket (WebSocket ping frames).',
    }),
    heartbeat_timeout_ms: Type.Integer({
      minimum: 20,
      default: 10000,
      description:
        "A socket that has not answered a ping this long after it is terminated. At most heartbeat_interval_ms. Also how long a resumption's replay waits for a reader that takes none of it (then 4408).",
    }),
    sse_keepalive_ms: Type.Integer({
      minimum: 100,
      default: 15000,
      description: 'How often a comment line goes down each server-sent-events stream (GET /api/v1/events), so that proxies keep it open.',
    }),
    shutdown_grace_ms: Type.Integer({
      minimum: 0,
      default: 5000,
      description:
        'On SIGINT/SIGTERM, how long clients (WebSocket, SSE, HTTP requests in progress) get to close after service_stopping before they are cut; a stop still running 5 s later ends the process with status 1.',
    }),
    send_buffer_soft_bytes: Type.Integer({
      minimum: 1024,
      default: 1_048_576,
      description: 'Above this many unsent bytes to one client, its performance updates are conflated (latest wins).',
    }),
    send_buffer_hard_bytes: Type.Integer({
      minimum: 4096,
      default: 16_777_216,
      description: 'Above this many unsent bytes, the client is closed with 4408 (reconnect and resume).',
    }),
    max_replay_events: Type.Integer({
      minimum: 1,
      default: 10000,
      description: 'Most events one resumption replays; a longer gap is answered with a snapshot.',
    }),
    event_retention_hours: Type.Number({
      exclusiveMinimum: 0,
      default: 168,
      description: 'How long durable events (alert, status, config, system) are kept for resumption.',
    }),
    public_url: Type.Optional(
      Type.String({
        pattern: '^https?://[^\\s]+$',
        description: 'The address people open the dashboard at (e.g. "https://nas.example.com/qbt-monitor"); notifications link to it.',
      }),
    ),
  },
  section,
);

export const ApiKeySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, description: 'Shown as `resolved_by` / `updated_by`; never the key.' }),
    key: Type.Optional(Type.String({ minLength: 16, description: 'The key itself (at least 16 characters).' })),
    key_sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Or its SHA-256, hex.' })),
    role: Type.Union([Type.Literal('read'), Type.Literal('admin')], { default: 'read' }),
  },
  { additionalProperties: false },
);

export const AuthConfigSchema = Type.Object(
  {
    api_keys: Type.Array(ApiKeySchema, {
      default: [],
      description: 'Accepted API keys. Empty: the first start generates an admin key into the data directory.',
    }),
    allowed_origins: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Browser origins allowed besides the server\'s own (e.g. "http://localhost:5173"); "*" allows any.',
    }),
    timeout_ms: Type.Integer({
      minimum: 100,
      default: 5000,
      description: 'How long a connection without handshake credentials has to send its `auth` message.',
    }),
  },
  section,
);

export const LimitsConfigSchema = Type.Object(
  {
    messages_per_second: Type.Number({
      exclusiveMinimum: 0,
      default: 20,
      description: 'Sustained client messages per second per connection.',
    }),
    burst: Type.Integer({ minimum: 1, default: 40, description: 'Client messages a connection may send at once above the rate.' }),
    max_payload_bytes: Type.Integer({ minimum: 128, default: 65536, description: 'Largest client frame; larger closes with 1009.' }),
    max_connections: Type.Integer({
      minimum: 1,
      default: 10000,
      description:
        'Authenticated connections at most, WebSocket sessions and SSE streams together; more get CONNECTION_FAILED (WebSocket: close 1013, SSE: 503).',
    }),
    max_unauthenticated_connections: Type.Integer({
      minimum: 1,
      default: 64,
      description:
        'Connections still waiting for their `auth` message (no key in the handshake), apart from max_connections. When full, the one waiting longest gets CONNECTION_FAILED and 1013.',
    }),
    max_subscriptions: Type.Integer({
      minimum: 1,
      default: 256,
      description: 'Subscription patterns one connection may hold at once (`*` counts one per type); more are INVALID_SUBSCRIPTION.',
    }),
    max_subscription_bytes: Type.Integer({
      minimum: 64,
      default: 32768,
      description:
        'Bytes of subscription patterns and their filters one connection may hold, as the subscribed reply lists them (each pattern with its own copy of the filters); more are INVALID_SUBSCRIPTION. Bounds that reply.',
    }),
    rest_requests_per_minute_per_key: Type.Integer({
      minimum: 1,
      default: 1200,
      description: 'REST calls one API key may make in a minute; more get 429 RATE_LIMIT_EXCEEDED with Retry-After.',
    }),
    rest_requests_per_minute_per_address: Type.Integer({
      minimum: 1,
      default: 2400,
      description:
        'HTTP requests one client address may make in a minute, with a key or without (checked before the key); more get 429 with Retry-After.',
    }),
  },
  section,
);

export const MetricsConfigSchema = Type.Object(
  {
    interval: Type.Number({ minimum: 0.1, default: 1, description: 'Seconds between system samples.' }),
    sample_system: Type.Boolean({
      default: true,
      description: 'Sample this machine and publish performance.system. Turn off on a node whose machine another node already samples.',
    }),
    retention: Type.Object(
      {
        raw_hours: Type.Number({
          exclusiveMinimum: 0,
          default: 24,
          description: 'How long raw samples (system and custom) are kept; request_data and the history endpoint read them.',
        }),
        summary_days: Type.Number({
          exclusiveMinimum: 0,
          default: 30,
          description: 'How long per-minute summaries (avg, min, max) of every metric are kept.',
        }),
      },
      section,
    ),
    max_custom_metrics: Type.Integer({
      minimum: 1,
      default: 500,
      description: 'Distinct custom metric names kept; POST /api/v1/metrics refuses new names beyond it.',
    }),
    max_tag_sets: Type.Integer({
      minimum: 1,
      default: 100,
      description: 'Distinct tag combinations per custom metric exported to Prometheus; samples with further ones are counted as dropped.',
    }),
  },
  section,
);

export const AlertRuleSchema = Type.Object(
  {
    metric: Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'A field of performance.system (cpu_percent, memory_percent, disk_usage_percent, network_io.bytes_sent, process_count, ...) or a custom metric name.',
    }),
    comparison: Type.Union([Type.Literal('>'), Type.Literal('>='), Type.Literal('<'), Type.Literal('<=')], {
      default: '>',
      description: 'How the value is compared with the threshold.',
    }),
    threshold: Type.Number({ description: 'The value past which the rule is breached.' }),
    level: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')], { default: 'warning' }),
    for: Type.Number({ minimum: 0, default: 0, description: 'Seconds the breach must last before the alert fires (or escalates).' }),
    clear_threshold: Type.Optional(
      Type.Number({ description: 'The rule clears once the value is back past this. Default: the threshold less the hysteresis.' }),
    ),
    hysteresis: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'How far back past the threshold the value must go to clear the rule. Default: 5% of |threshold|.',
      }),
    ),
    type: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$',
        description:
          'The alert type (event alert.<type>). Rules of one type are the levels of one alert. Default: cpu, memory or disk for those metrics, else the metric name.',
      }),
    ),
  },
  { additionalProperties: false },
);

const defaultRule = (metric: string, level: 'warning' | 'critical', threshold: number, clear: number, forSeconds: number) => ({
  metric,
  comparison: '>',
  threshold,
  level,
  for: forSeconds,
  clear_threshold: clear,
});

export const AlertsConfigSchema = Type.Object(
  {
    rules: Type.Array(AlertRuleSchema, {
      default: [
        defaultRule('cpu_percent', 'warning', 80, 70, 30),
        defaultRule('cpu_percent', 'critical', 95, 90, 30),
        defaultRule('memory_percent', 'warning', 85, 80, 30),
        defaultRule('memory_percent', 'critical', 95, 90, 30),
        defaultRule('disk_usage_percent', 'warning', 90, 88, 60),
        defaultRule('disk_usage_percent', 'critical', 95, 93, 60),
      ],
      description: 'Threshold rules over system and custom metrics. Giving rules replaces these defaults; [] turns them off.',
    }),
    qbittorrent_unreachable_seconds: Type.Number({
      exclusiveMinimum: 0,
      default: 30,
      description: 'How long status.qbittorrent_client may stay disconnected or auth_failed before alert.qbittorrent fires.',
    }),
    qbittorrent_free_space_below: Type.Number({
      minimum: 0,
      default: 5_368_709_120,
      description:
        "alert.disk when qBittorrent's free_space_on_disk (where it saves by default) is below this many bytes (default 5 GiB); 0 turns it off.",
    }),
  },
  section,
);

export const QbittorrentConfigSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description: 'WebUI address, e.g. "http://127.0.0.1:8081". No default: unset means not_configured.',
      }),
    ),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    api_key: Type.Optional(Type.String({ description: 'qBittorrent 5.2+ API key, instead of username/password.' })),
    health_check_interval: Type.Number({
      minimum: 0.1,
      maximum: 3600,
      default: 5,
      description: 'Seconds between health checks while connected.',
    }),
    status_interval: Type.Number({
      minimum: 1,
      maximum: 86400,
      default: 30,
      description: 'Seconds between periodic status messages (one is also sent on every change).',
    }),
    timeout: Type.Number({ minimum: 0.1, maximum: 300, default: 5, description: 'Seconds each WebUI call may take.' }),
    reconnect_max_delay: Type.Number({
      minimum: 0.1,
      maximum: 3600,
      default: 30,
      description: 'Longest wait between reconnect attempts (exponential backoff from 1 s, with jitter).',
    }),
    sync_interval: Type.Number({
      minimum: 0.1,
      maximum: 3600,
      default: 1,
      description: "Seconds between requests of qBittorrent's torrent list changes (sync/maindata) while connected.",
    }),
  },
  section,
);

export const TorrentsConfigSchema = Type.Object(
  {
    stalled_after: Type.Number({
      minimum: 1,
      maximum: 604800,
      default: 300,
      description: 'Seconds a download may go without progress before torrent.stalled (and its alert.torrent).',
    }),
  },
  section,
);

const LinkPattern = (what: string) =>
  Type.String({
    minLength: 1,
    maxLength: 500,
    description: `${what}: a case-insensitive substring; with \`*\` a glob over the whole value (\`*\` any run, \`?\` one character); \`/regex/\` a regular expression, case-insensitive, or \`/regex/flags\` with exactly the flags given (\`i\`, \`m\`, \`s\`, \`u\`).`,
  });

/** A size in bytes, or a number with a unit: `700 MB`, `4 GiB` (1000- and 1024-based). */
export const SizeSchema = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*([KMGT]i?B|B)\\s*$' })]);

export const ClipboardRuleSchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9_. -]{1,64}$',
      description: 'Unique; names the rule in the status, the dashboard and the database (letters, digits, space, `_`, `.`, `-`).',
    }),
    match: Type.Object(
      {
        name: Type.Optional(LinkPattern("The torrent's name (a magnet's `dn`, the name inside a .torrent, a .torrent URL's file name)")),
        url: Type.Optional(LinkPattern('The link as copied (for a .torrent file: its file:// URI)')),
        tracker: Type.Optional(
          Type.String({
            pattern: '^[A-Za-z0-9.-]{1,253}$',
            description: "A tracker's host: matches a tracker of the torrent on that host or a subdomain of it.",
          }),
        ),
        size: Type.Optional(
          Type.Object(
            { min: Type.Optional(SizeSchema), max: Type.Optional(SizeSchema) },
            {
              additionalProperties: false,
              description:
                "Total size bounds (inclusive), in bytes or with a unit (`700 MB`, `4 GiB`): known from a .torrent file, or a magnet's `xl`; a link whose size is unknown does not match.",
            },
          ),
        ),
      },
      { additionalProperties: false, description: 'Every key given must match; none given matches every link.' },
    ),
    category: Type.Optional(Type.String({ maxLength: 200, description: 'qBittorrent category (created by qBittorrent if new).' })),
    tags: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: '^[^,]+$' }), { maxItems: 20, description: 'qBittorrent tags.' }),
    ),
    save_path: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'Where qBittorrent saves the download.' })),
    paused: Type.Optional(Type.Boolean({ description: 'Add it paused (stopped, in qBittorrent 5).' })),
    skip: Type.Optional(Type.Boolean({ description: 'Do not add the link at all.' })),
  },
  { additionalProperties: false },
);

export const ClipboardConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Watch the clipboard for magnet links.' }),
    category: Type.Optional(Type.String({ description: 'qBittorrent category for added torrents no rule matches.' })),
    save_path: Type.Optional(Type.String({ description: 'qBittorrent save path for added torrents no rule matches.' })),
    rules: Type.Array(ClipboardRuleSchema, {
      default: [],
      maxItems: 200,
      description:
        'Where each link goes: the first rule whose `match` fits decides its category, tags, save path, paused or skip; no match: `category` and `save_path` above.',
    }),
    accept_bare_hashes: Type.Boolean({
      default: false,
      description:
        'Also add bare info-hashes (40 hex digits, 32 base32 characters) found in a copy. Off: such a string is often something else.',
    }),
    watch_changes: Type.Boolean({
      default: true,
      description:
        'Read the clipboard when the desktop reports a change (X11: XFIXES through python3-xlib; Wayland: wl-paste --watch) instead of polling. Off, or where neither is available: adaptive polling.',
    }),
    fast_check_interval: Type.Number({
      minimum: 0.05,
      maximum: 3600,
      default: 0.1,
      description:
        'Seconds between clipboard checks right after a copy when polling; the wait doubles at every unchanged check up to `check_interval`.',
    }),
  },
  section,
);

export const ClusterConfigSchema = Type.Object(
  {
    redis_url: Type.Optional(
      Type.String({ pattern: '^rediss?://', description: 'Redis shared by the nodes of a cluster. Unset: one process.' }),
    ),
    node_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "This node's name in `meta.node`. Default: the host name (set it when two nodes share a host).",
      }),
    ),
    key_prefix: Type.String({
      pattern: '^[A-Za-z0-9_.:-]{1,64}$',
      default: 'qbtm',
      description: 'Prefix of the Redis keys and channel of this cluster: clusters with different prefixes share a Redis without meeting.',
    }),
  },
  section,
);

export const NotificationTargetSchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9_.-]{1,64}$',
      description: 'Unique; names the target in the API, the logs and Prometheus (letters, digits, `_`, `.`, `-`).',
    }),
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description:
        'Where to send: `http(s)://` a webhook, `ntfy://` / `ntfys://` an ntfy topic, `desktop://` a desktop notification, any other scheme an Apprise URL (`tgram://`, `discord://`, `mailto://`...).',
    }),
    events: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      minItems: 1,
      maxItems: 100,
      default: ['alert.*'],
      description: 'Event patterns, as in `subscribe` (`alert.*`, `torrent.completed`, `*`); durable events only.',
    }),
    // A clone given its own description (the protocol's has one), not a spread: declaration emit
    // (npm run build) cannot name a spread schema's symbol keys.
    filters: Type.Optional(
      Object.assign(CloneType(FiltersSchema), {
        description: 'As in `subscribe`: `{"<data field>": value or [values]}`, e.g. `{"level": ["warning", "critical"]}`.',
      }),
    ),
    enabled: Type.Boolean({ default: true, description: 'A disabled target is kept (and can be tested) but sends nothing.' }),
    secret: Type.Optional(
      Type.String({ minLength: 1, description: 'Webhooks: signs each body, header `X-Qbtm-Signature: sha256=<hex HMAC-SHA256>`.' }),
    ),
  },
  { additionalProperties: false },
);

export const NotificationsConfigSchema = Type.Object(
  {
    targets: Type.Array(NotificationTargetSchema, {
      default: [],
      maxItems: 50,
      description: 'Where events are sent beyond connected clients (docs/notifications.md).',
    }),
    max_retry_hours: Type.Number({
      exclusiveMinimum: 0,
      default: 24,
      description: 'How long an event a target fails to take is retried (also across restarts) before it is given up and counted.',
    }),
    retry_max_delay: Type.Number({
      minimum: 0.01,
      maximum: 3600,
      default: 300,
      description: 'Longest wait in seconds between two attempts at one event (exponential backoff from 1 s, with jitter).',
    }),
    timeout: Type.Number({ minimum: 0.1, maximum: 300, default: 10, description: 'Seconds one attempt may take.' }),
    repeat_interval: Type.Number({
      minimum: 0,
      default: 14400,
      description: 'Seconds after which an active alert nobody acknowledged or silenced is notified again; 0: never.',
    }),
  },
  section,
);

export const ConfigSchema = Type.Object(
  {
    check_interval: Type.Number({
      minimum: 0.1,
      maximum: 3600,
      default: 1,
      description: 'Longest seconds between clipboard checks, reached while nothing is copied (see clipboard.fast_check_interval).',
    }),
    log_level: LogLevel,
    locale: Type.Union([Type.Literal('zh'), Type.Literal('en')], {
      default: 'zh',
      description:
        'Language of alert titles, messages, suggestions and notifications. Unset, the service takes it from LC_ALL, LC_MESSAGES or LANG (the first set): zh* gives zh, anything else en; the default applies when none is set.',
    }),
    server: ServerConfigSchema,
    auth: AuthConfigSchema,
    limits: LimitsConfigSchema,
    metrics: MetricsConfigSchema,
    alerts: AlertsConfigSchema,
    qbittorrent: QbittorrentConfigSchema,
    torrents: TorrentsConfigSchema,
    clipboard: ClipboardConfigSchema,
    cluster: ClusterConfigSchema,
    notifications: NotificationsConfigSchema,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type ApiKeyConfig = Static<typeof ApiKeySchema>;
export type AlertRuleConfig = Static<typeof AlertRuleSchema>;
export type ClipboardRuleConfig = Static<typeof ClipboardRuleSchema>;
export type NotificationTargetConfig = Static<typeof NotificationTargetSchema>;
