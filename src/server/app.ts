/**
 * Wiring: store -> event log -> bus -> hub -> WebSocket sessions, the HTTP routes beside them, and
 * the sources that publish into the bus. Starts in dependency order and stops in reverse, draining clients.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { ConfigFile } from '../config/config-file.js';
import { applyOverrides, type ConfigOverrides } from '../config/load.js';
import { LiveConfig } from '../config/live-config.js';
import type { ApiKeyConfig, Config } from '../config/schema.js';
import { type ConfigFileWatcher, watchConfigFile } from '../sources/config-file-watcher.js';
import { type Bus, createLocalBus } from '../hub/bus.js';
import type { EventLog } from '../hub/event-log.js';
import { Hub } from '../hub/hub.js';
import { connectRedisBus, type RedisBus } from '../hub/redis/redis-bus.js';
import { createNotifier } from '../notify/notifier.js';
import { CloseCode, ErrorCode, type PublishEvent } from '../protocol/index.js';
import { isoNow } from '../protocol/envelope.js';
import { AlertOwnerUnavailableError, createClusterAlerts } from '../sources/alerts/cluster-alerts.js';
import { type AlertEngine, createAlertEngine } from '../sources/alerts/engine.js';
import { announceClusterLink } from '../sources/cluster-link.js';
import type { Clock } from '../sources/clock.js';
import { recordApiResponseTimes } from '../sources/custom-metrics/api-response-time.js';
import { createComponents } from '../sources/components.js';
import { ALIVE_EVERY_MS, createLifecycle, type Lifecycle, RUN_FILE, type StopReason } from '../sources/lifecycle.js';
import { createSystemMetricsCollector } from '../sources/system-metrics/index.js';
import { explainStartError, identify, prepareDataDir } from '../store/data-dir.js';
import { databasePath, openDatabase, probeWrite, type Db } from '../store/database.js';
import { createMetricHistory, type MetricHistory } from './metric-history.js';
import type { AlertRecord } from '../store/alert-store.js';
import { createSqliteAlertStore } from '../store/sqlite-alert-store.js';
import { createSqliteClusterMark } from '../store/sqlite-cluster-mark.js';
import { createSqliteSilenceStore } from '../store/sqlite-silence-store.js';
import { createSqliteEventLog } from '../store/sqlite-event-log.js';
import { createSqliteMetricStore } from '../store/sqlite-metric-store.js';
import { createSqliteSeenStore } from '../store/sqlite-seen-store.js';
import { createSqliteClipboardAddStore } from '../store/sqlite-clipboard-add-store.js';
import { createSqlitePendingLinkStore } from '../store/sqlite-pending-link-store.js';
import { NotRecordedError, StoreHealth } from '../store/store-health.js';
import { type StoreWatch, startStoreWatch } from '../store/store-watch.js';
import { createSqliteTorrentLifecycleStore } from '../store/torrent-lifecycle-store.js';
import { KeyRing, resolveApiKeys, saveGeneratedKeys } from './api-keys.js';
import { registerAlertRoutes } from './http/alerts-routes.js';
import { servedToKey } from './http/auth.js';
import { registerConfigRoutes } from './http/config-routes.js';
import { registerCustomMetricRoutes } from './http/custom-metrics-routes.js';
import { registerNotificationRoutes } from './http/notifications-routes.js';
import { registerSilenceRoutes } from './http/silences-routes.js';
import { registerDashboard } from './http/dashboard.js';
import { registerErrorHandler } from './http/errors.js';
import { registerEventsRoute } from './http/events-route.js';
import { registerEventHistoryRoute } from './http/event-history-route.js';
import { registerHealth } from './http/health.js';
import { registerBrowserCheck } from './http/origin.js';
import { registerPerformanceRoutes } from './http/performance-routes.js';
import { registerPrometheusRoute } from './http/prometheus-route.js';
import { registerRateLimits } from './http/rate-limits.js';
import { registerStatusRoute } from './http/status-route.js';
import { registerTorrentRoutes } from './http/torrents-routes.js';
import { registerSchemaValidation } from './http/validation.js';
import { logEvents } from './log-events.js';
import { pinoLevel } from './logger.js';
import { createPrometheusExporter } from './prometheus.js';
import { RequestError, type RequestHandlers } from './ws/dispatch.js';
import { SseServer } from './sse/sse-server.js';
import { StopSteps } from './stop-steps.js';
import { WsServer } from './ws/ws-server.js';

export interface AppOptions {
  config: Config;
  dataDir: string;
  configPath: string;
  /** The config file's value `config` came from, before overrides and defaults (default: read from `configPath`). */
  fileValue?: unknown;
  /** Command-line and environment overrides, laid over every later edit of the config file too. */
  overrides?: ConfigOverrides;
  logger: Logger;
  /** Called once with a newly generated admin key (first start without configured keys), once the service listens. */
  announceKey?: (key: string, file: string) => void;
  /** What the alert rules measure their limits on. Default: the system's; a test moves its own. */
  clock?: Clock;
}

export interface App {
  readonly bus: Bus;
  readonly log: EventLog;
  readonly hub: Hub;
  readonly ws: WsServer;
  /** Server-sent-events streams (GET /api/v1/events). */
  readonly sse: SseServer;
  readonly http: FastifyInstance;
  /** The running config; changes through `liveConfig.apply` (file edits and the REST API do). */
  readonly liveConfig: LiveConfig;
  /** Metric samples and summaries in the store. */
  readonly metrics: MetricHistory;
  readonly alerts: AlertEngine;
  /** Publishes an event from a source (what tests and the benchmark use too). */
  publish: PublishEvent;
  /** Listens; resolves with the bound address. */
  start(): Promise<{ host: string; port: number; url: string }>;
  /** Announces service_stopping, closes every client with 1001, and releases everything. Idempotent. */
  stop(reason: StopReason): Promise<void>;
  /** Asks whoever runs the app (the `serve` command) to stop it and start it again with the config file's current content. */
  requestRestart(reason?: StopReason): void;
  /** Resolves with the reason when a restart is requested. */
  readonly restartRequested: Promise<StopReason>;
  /** Whether the database and the data directory take writes (`/healthz`, `/metrics`). */
  readonly storeHealth: StoreHealth;
  /** The step a stop is at, for a stop that overruns to name; undefined when none runs. */
  readonly stopStep: string | undefined;
}

/** How often the HTTP server checks how long request heads have taken, and the second they get past `auth.timeout_ms` (as a refused WebSocket does). */
const CONNECTION_CHECK_MS = 1000;
const HEAD_GRACE_MS = 1000;

/** Builds the app; a failure about the data directory's files comes out as a DataDirError naming the file and the way out. */
export async function createApp(options: AppOptions): Promise<App> {
  try {
    return await assembleApp(options);
  } catch (error) {
    throw explainStartError(error, options.dataDir, databasePath(options.dataDir));
  }
}

async function assembleApp(options: AppOptions): Promise<App> {
  const { config, dataDir, logger } = options;
  prepareDataDir(dataDir);
  logger.level = pinoLevel(config.log_level);
  const storeHealth = new StoreHealth(logger);
  const database = databasePath(dataDir);
  /** A failure that is the disk's goes to the store's health (logged once per spell); anything else is logged. */
  const storeOr = (message: string) => (err: unknown) => {
    if (!storeHealth.failed('database', database, err)) logger.error({ err }, message);
  };

  // In a cluster the event log and the bus are Redis's, shared by every node; otherwise SQLite's and this process's.
  const { redis_url: redisUrl } = config.cluster;
  const db: Db = openDatabase(dataDir);
  const cluster = redisUrl
    ? await connectCluster(redisUrl, config.cluster, db, logger).catch((error: unknown) => {
        db.close();
        throw error;
      })
    : undefined;
  const openedDatabase = identify(database);
  const log = cluster?.log ?? storeHealth.watchLog(createSqliteEventLog(db), database);
  const bus: Bus =
    cluster ?? createLocalBus({ log, onError: (err, event) => logger.error({ err, event: event.name }, 'event delivery failed') });
  const lifecycle: Lifecycle = createLifecycle(dataDir, bus.publish, (err) => storeHealth.failed('data_directory', dataDir, err));
  const hub = await Hub.create({
    bus,
    log,
    maxReplayEvents: config.server.max_replay_events,
    onLogError: (err) => logger.warn({ err }, 'event log unreadable: resuming client sent a snapshot'),
    restoreState: cluster !== undefined,
  });
  const configFile = new ConfigFile(options.configPath);
  const liveConfig = new LiveConfig(config, {
    publish: bus.publish,
    prepare: (raw) => applyOverrides(raw, options.overrides ?? {}),
    source: options.fileValue ?? readFileValue(configFile),
  });
  const resolveKeys = (current: Config) => resolveApiKeys(current.auth.api_keys, dataDir, options.announceKey ?? (() => undefined));
  // None until the port is taken: a key generated on a first start is announced only once the service can be reached with it.
  let keyList: ApiKeyConfig[] = [];
  let keys = new KeyRing([]);
  const loadKeys = (current: Config) => {
    keyList = resolveKeys(current);
    keys = new KeyRing(keyList);
  };
  const history = createMetricHistory({
    store: createSqliteMetricStore(db),
    bus,
    config,
    onError: storeOr('metric history failed'),
  });
  const alertStore = createSqliteAlertStore(db);
  const alerts = createAlertEngine({
    bus,
    store: alertStore,
    silences: createSqliteSilenceStore(db),
    config,
    clock: options.clock,
    onError: storeOr('alert engine failed'),
  });
  // Alerts still active from the previous run are state, not news: into the snapshot, not onto the bus.
  hub.seed(alerts.activeEvents());
  const clusterAlerts = createClusterAlerts({
    engine: alerts,
    hub,
    bus,
    onError: (err) => logger.error({ err }, 'acting on an alert for another node failed'),
  });
  /** Runs a request on an alert of any node; an unknown alert is NOT_FOUND, an owner out of reach UNAVAILABLE. */
  const onAlert = async (alertId: string, act: () => Promise<AlertRecord | undefined>): Promise<void> => {
    let done: AlertRecord | undefined;
    try {
      done = await act();
    } catch (error) {
      if (error instanceof AlertOwnerUnavailableError || error instanceof NotRecordedError) {
        throw new RequestError(ErrorCode.UNAVAILABLE, error.message);
      }
      throw error;
    }
    if (!done) throw new RequestError(ErrorCode.NOT_FOUND, `no active alert "${alertId}"`);
  };
  const collector = createSystemMetricsCollector({ intervalSec: config.metrics.interval, host: bus.node, publish: bus.publish, logger });
  const handlers: RequestHandlers = {
    requestData: ({ metrics, history_minutes }) => history.query(metrics, history_minutes ?? 0),
    resolveAlert: ({ alert_id, resolution }, by) => onAlert(alert_id, () => clusterAlerts.resolve(alert_id, resolution, by.name)),
    acknowledgeAlert: ({ alert_id, comment }, by) => onAlert(alert_id, () => clusterAlerts.acknowledge(alert_id, comment, by.name)),
  };
  const ws = new WsServer({
    hub,
    config: () => liveConfig.current,
    keys: () => keys,
    handlers,
    logger,
    node: bus.node,
    otherConnections: () => sse.streamCount,
  });
  const sse = new SseServer({ hub, config: () => liveConfig.current, logger, node: bus.node });
  const components = createComponents({
    config: () => liveConfig.current,
    publish: bus.publish,
    seen: createSqliteSeenStore(db),
    clipboardAdds: createSqliteClipboardAddStore(db),
    torrentLifecycle: createSqliteTorrentLifecycleStore(db),
    pendingLinks: createSqlitePendingLinkStore(db),
    logger,
    quietWhenOff: cluster !== undefined,
  });
  const notifier = createNotifier({
    bus,
    log,
    dataDir,
    config: () => liveConfig.current,
    activeAlertEvents: () => hub.activeAlerts().map((alert) => alert.event),
    logger,
  });
  const prometheus = createPrometheusExporter({ bus, hub, ws, sse, alerts, config, notifications: notifier.states, store: storeHealth });
  // Every live change reaches each part that it concerns, at once.
  liveConfig.onChange((next, _previous, fields) => {
    logger.level = pinoLevel(next.log_level);
    if (fields.some((field) => field.startsWith('auth.api_keys'))) {
      loadKeys(next);
    }
    components.reconfigure(next, fields);
    collector.reconfigure({ intervalSec: next.metrics.interval });
    if (next.metrics.sample_system) collector.start();
    else void collector.stop();
    history.reconfigure(next);
    alerts.reconfigure(next);
    prometheus.reconfigure(next);
    if (fields.some((field) => field.startsWith('notifications.'))) void notifier.reconfigure(next);
    http.server.headersTimeout = next.auth.timeout_ms + HEAD_GRACE_MS;
  });
  const http = Fastify({
    // Fastify's own info lines ("Server listening at ...", once per address) would repeat what `serve` says once.
    loggerInstance: logger.child({}, { level: 'warn' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1_048_576,
    // Node checks request heads' time every 30 s by default: a silent socket would hold its place 90 s.
    http: { connectionsCheckingInterval: CONNECTION_CHECK_MS },
  });
  // A request's head, the key in it, gets as long as a WebSocket gets to authenticate, and a second.
  http.server.headersTimeout = config.auth.timeout_ms + HEAD_GRACE_MS;
  const stopLoggingEvents = logEvents(bus, logger);
  const startedAt = Date.now();

  registerErrorHandler(http);
  registerSchemaValidation(http);
  // Before anything else about a request: its address's rate, then whether a browser sent it from where it may.
  await registerRateLimits(http, () => liveConfig.current);
  registerBrowserCheck(http, () => liveConfig.current);
  recordApiResponseTimes(http, bus.publish, servedToKey);
  registerHealth(http, { hub, ws, sse, startedAt, cluster: cluster?.health, notifications: notifier.health, store: storeHealth });
  registerConfigRoutes(http, {
    live: liveConfig,
    keys: () => keys,
    file: configFile,
    record: bus.publishDurable,
    requestRestart: () => requestRestart(),
  });
  const current = () => liveConfig.current;
  registerCustomMetricRoutes(http, { keys: () => keys, history, config: current, publish: bus.publish });
  registerPerformanceRoutes(http, { keys: () => keys, history, config: current });
  registerAlertRoutes(http, { keys: () => keys, alerts: clusterAlerts });
  registerSilenceRoutes(http, { keys: () => keys, silences: alerts });
  registerTorrentRoutes(http, {
    keys: () => keys,
    clipboard: components.clipboard,
    qbittorrent: components.qbittorrent,
    torrents: () => hub.torrents(),
  });
  registerNotificationRoutes(http, { keys: () => keys, notifier });
  registerEventHistoryRoute(http, { keys: () => keys, log });
  registerStatusRoute(http, {
    keys: () => keys,
    node: bus.node,
    statuses: () => [components.qbittorrent.status(), components.clipboard.status()],
  });
  registerPrometheusRoute(http, { keys: () => keys, exporter: prometheus });
  registerEventsRoute(http, { keys: () => keys, sse, config: current, connections: () => ws.sessionCount + sse.streamCount });
  registerDashboard(http);
  http.server.on('upgrade', ws.handleUpgrade);

  const pruneTimer = setInterval(() => {
    const cutoff = Date.now() - liveConfig.current.server.event_retention_hours * 3_600_000;
    log.prune(cutoff).catch((err: unknown) => logger.error({ err }, 'event log prune failed'));
    // Resolved alerts are kept as long as the events that announced them.
    alertStore.pruneResolved(isoNow(cutoff));
  }, 3_600_000);
  pruneTimer.unref();

  let stopping: Promise<void> | undefined;
  const stopSteps = new StopSteps();
  let configWatcher: ConfigFileWatcher | undefined;
  let storeWatch: StoreWatch | undefined;
  let requestRestart: (reason?: StopReason) => void = () => {};
  const restartRequested = new Promise<StopReason>((resolve) => {
    requestRestart = (reason = 'configuration_update') => resolve(reason);
  });
  let recreated = false;
  let recreateFailure: string | undefined;
  /**
   * The data directory (or the database file) was deleted: SQLite would go on writing into a file no
   * start will find. Recreate the directory with what this run needs to come back as it is (its
   * config file, generated keys), then restart on a new database, whose log is a new log.
   */
  const onDataDirLost = (reason: string) => {
    if (recreated) return;
    try {
      prepareDataDir(dataDir);
      if (configFile.readText() === undefined) configFile.write(`${JSON.stringify(liveConfig.source, null, 2)}\n`);
      if (liveConfig.current.auth.api_keys.length === 0) saveGeneratedKeys(dataDir, keyList);
    } catch (err) {
      // Said once per cause, not at every beat; /healthz says it all along.
      const cause = err instanceof Error ? err.message : String(err);
      if (cause !== recreateFailure)
        logger.error({ err, reason }, 'data directory lost and cannot be recreated: nothing is kept until it can be');
      recreateFailure = cause;
      return;
    }
    recreated = true;
    logger.error({ reason }, 'data directory lost: recreated it, restarting on a new database');
    requestRestart('data_directory_lost');
  };

  return {
    bus,
    log,
    hub,
    ws,
    sse,
    http,
    liveConfig,
    metrics: history,
    alerts,
    publish: bus.publish,
    requestRestart,
    restartRequested,
    storeHealth,
    get stopStep() {
      return stopSteps.current;
    },
    async start() {
      await http.listen({ host: config.server.host, port: config.server.port });
      const { port } = http.server.address() as AddressInfo;
      loadKeys(liveConfig.current);
      notifier.start();
      try {
        lifecycle.announceStart();
      } catch (error) {
        throw explainStartError(error, dataDir, database);
      }
      storeWatch = startStoreWatch({
        everyMs: ALIVE_EVERY_MS,
        dataDir,
        database,
        opened: openedDatabase,
        health: storeHealth,
        runFile: join(dataDir, RUN_FILE),
        recordAlive: () => lifecycle.recordAlive(),
        probeDatabase: () => probeWrite(db),
        onLost: onDataDirLost,
        onError: (err) => logger.error({ err }, 'store watch failed'),
      });
      if (liveConfig.current.metrics.sample_system) collector.start();
      await components.start();
      configWatcher = watchConfigFile(configFile, liveConfig, logger);
      const host = config.server.host;
      return { host, port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
    },
    stop(reason) {
      stopping ??= (async () => {
        // In-flight HTTP requests get the same grace as WebSocket clients, counted from now.
        const cutHttpAt = Date.now() + liveConfig.current.server.shutdown_grace_ms;
        configWatcher?.stop();
        storeWatch?.stop();
        ws.startDraining();
        sse.startDraining();
        await stopSteps.run('system metrics collector', () => collector.stop());
        await stopSteps.run('components (qBittorrent, clipboard)', () => components.stop());
        lifecycle.announceStopping(reason);
        clusterAlerts.stop();
        await stopSteps.run('alert engine', () => alerts.stop());
        await stopSteps.run('delivering the events published so far', () => bus.flush());
        await stopSteps.run('notification targets', () => notifier.stop());
        await stopSteps.run('closing WebSocket clients', () =>
          ws.closeAll(CloseCode.GOING_AWAY, 'service_stopping', liveConfig.current.server.shutdown_grace_ms),
        );
        sse.closeAll();
        clearInterval(pruneTimer);
        prometheus.stop();
        stopLoggingEvents();
        await stopSteps.run('metric history', () => history.stop());
        hub.close();
        await stopSteps.run('closing the Redis connection', () => cluster?.close());
        await stopSteps.run('HTTP requests in progress', () => closeHttp(http, cutHttpAt));
        db.close();
      })();
      return stopping;
    },
  };
}

/** Closes the HTTP server; connections still busy at `cutAt` (a request body that stopped coming) are cut then. */
async function closeHttp(http: FastifyInstance, cutAt: number): Promise<void> {
  const cut = setTimeout(() => http.server.closeAllConnections(), Math.max(0, cutAt - Date.now()));
  try {
    await http.close();
  } finally {
    clearTimeout(cut);
  }
}

/** The config file's value, or `{}` when there is none or it cannot be used (the watcher reports that). */
function readFileValue(file: ConfigFile): unknown {
  try {
    return file.read() ?? {};
  } catch {
    return {};
  }
}

/** This node's Redis bus (a clear error when Redis cannot be reached); its losing and finding Redis again are logged and told to its clients. */
async function connectCluster(url: string, { node_id, key_prefix }: Config['cluster'], db: Db, logger: Logger): Promise<RedisBus> {
  const bus = await connectRedisBus({
    url,
    nodeId: node_id ?? hostname(),
    keyPrefix: key_prefix,
    mark: createSqliteClusterMark(db, key_prefix),
    onError: (err, event) => logger.error({ err, event: event?.name }, 'cluster transport failed'),
  });
  bus.onStateChange(({ to, reason, dataLost, queued, dropped }) => {
    if (to === 'degraded') logger.warn({ reason }, 'Redis lost: serving local clients, durable events wait for it');
    if (to === 'live' && dataLost) {
      logger.warn({ epoch: bus.log.epoch, queued, dropped }, 'Redis back without the event log this node had read: a new epoch applies');
    } else if (to === 'live') logger.info({ queued, dropped }, 'Redis back: catching up');
  });
  announceClusterLink(bus);
  return bus;
}
