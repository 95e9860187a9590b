/**
 * Wiring: store -> event log -> bus -> hub -> WebSocket sessions, the HTTP routes beside them, and
 * the sources that publish into the bus. Starts in dependency order and stops in reverse, draining clients.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { applyOverrides, type ConfigOverrides } from '../config/load.js';
import { LiveConfig } from '../config/live-config.js';
import type { Config } from '../config/schema.js';
import { type ConfigFileWatcher, watchConfigFile } from '../sources/config-file-watcher.js';
import { type Bus, createLocalBus } from '../hub/bus.js';
import type { EventData } from '../hub/event.js';
import type { EventLog } from '../hub/event-log.js';
import { Hub } from '../hub/hub.js';
import { CloseCode } from '../protocol/index.js';
import { createLifecycle, type Lifecycle, type StopReason } from '../sources/lifecycle.js';
import { openDatabase, type Db } from '../store/database.js';
import { createSqliteEventLog } from '../store/sqlite-event-log.js';
import { KeyRing, resolveApiKeys } from './api-keys.js';
import { registerConfigRoutes } from './http/config-routes.js';
import { registerErrorHandler } from './http/errors.js';
import { registerHealth } from './http/health.js';
import { pinoLevel } from './logger.js';
import { WsServer } from './ws/ws-server.js';

export interface AppOptions {
  config: Config;
  dataDir: string;
  configPath: string;
  /** Command-line and environment overrides, laid over every later edit of the config file too. */
  overrides?: ConfigOverrides;
  logger: Logger;
  /** Called once with a newly generated admin key (first start without configured keys). */
  announceKey?: (key: string, file: string) => void;
}

export interface App {
  readonly bus: Bus;
  readonly log: EventLog;
  readonly hub: Hub;
  readonly ws: WsServer;
  readonly http: FastifyInstance;
  /** The running config; changes through `liveConfig.apply` (file edits and the REST API do). */
  readonly liveConfig: LiveConfig;
  /** Publishes an event from a source (what tests and the benchmark use too). */
  publish(name: string, data: EventData): void;
  /** Listens; resolves with the bound address. */
  start(): Promise<{ host: string; port: number; url: string }>;
  /** Announces service_stopping, closes every client with 1001, and releases everything. Idempotent. */
  stop(reason: StopReason): Promise<void>;
  /** Asks whoever runs the app (the `serve` command) to stop it and start it again with the config file's current content. */
  requestRestart(): void;
  /** Resolves when a restart is requested. */
  readonly restartRequested: Promise<void>;
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config, dataDir, logger } = options;
  mkdirSync(dataDir, { recursive: true });
  logger.level = pinoLevel(config.log_level);

  const db: Db = openDatabase(dataDir);
  const log = createSqliteEventLog(db);
  const bus = createLocalBus({ log, onError: (err, event) => logger.error({ err, event: event.name }, 'event delivery failed') });
  const hub = await Hub.create({ bus, log, maxReplayEvents: config.server.max_replay_events });
  const liveConfig = new LiveConfig(config, {
    publish: bus.publish,
    prepare: (raw) => applyOverrides(raw, options.overrides ?? {}),
  });
  const loadKeys = (current: Config) =>
    new KeyRing(resolveApiKeys(current.auth.api_keys, dataDir, options.announceKey ?? (() => undefined)));
  let keys = loadKeys(config);
  liveConfig.onChange((next, _previous, fields) => {
    logger.level = pinoLevel(next.log_level);
    if (fields.some((field) => field.startsWith('auth.api_keys'))) keys = loadKeys(next);
  });
  const ws = new WsServer({ hub, config: () => liveConfig.current, keys: () => keys, handlers: {}, logger });
  const http = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1_048_576,
  });
  const lifecycle: Lifecycle = createLifecycle(dataDir, bus.publish);
  const startedAt = Date.now();

  registerErrorHandler(http);
  registerHealth(http, { hub, ws, startedAt });
  registerConfigRoutes(http, { live: liveConfig, keys: () => keys, configPath: options.configPath, requestRestart: () => requestRestart() });
  http.server.on('upgrade', ws.handleUpgrade);

  const pruneTimer = setInterval(() => {
    log.prune(Date.now() - liveConfig.current.server.event_retention_hours * 3_600_000).catch((err: unknown) => logger.error({ err }, 'event log prune failed'));
  }, 3_600_000);
  pruneTimer.unref();

  let stopping: Promise<void> | undefined;
  let configWatcher: ConfigFileWatcher | undefined;
  let requestRestart = () => {};
  const restartRequested = new Promise<void>((resolve) => {
    requestRestart = resolve;
  });

  return {
    bus,
    log,
    hub,
    ws,
    http,
    liveConfig,
    publish: bus.publish,
    requestRestart,
    restartRequested,
    async start() {
      await http.listen({ host: config.server.host, port: config.server.port });
      const { port } = http.server.address() as AddressInfo;
      lifecycle.announceStart();
      configWatcher = watchConfigFile(options.configPath, liveConfig, logger);
      const host = config.server.host;
      logger.info({ host, port }, 'qbt-monitor listening');
      return { host, port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
    },
    stop(reason) {
      stopping ??= (async () => {
        configWatcher?.stop();
        ws.startDraining();
        lifecycle.announceStopping(reason);
        await bus.flush();
        await ws.closeAll(CloseCode.GOING_AWAY, 'service_stopping', liveConfig.current.server.shutdown_grace_ms);
        clearInterval(pruneTimer);
        hub.close();
        await http.close();
        db.close();
      })();
      return stopping;
    },
  };
}
