/**
 * Wiring: store -> event log -> bus -> hub -> WebSocket sessions, the HTTP routes beside them, and
 * the sources that publish into the bus. Starts in dependency order and stops in reverse, draining clients.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import { type Bus, createLocalBus } from '../hub/bus.js';
import type { EventData } from '../hub/event.js';
import type { EventLog } from '../hub/event-log.js';
import { Hub } from '../hub/hub.js';
import { CloseCode } from '../protocol/index.js';
import { createLifecycle, type Lifecycle, type StopReason } from '../sources/lifecycle.js';
import { openDatabase, type Db } from '../store/database.js';
import { createSqliteEventLog } from '../store/sqlite-event-log.js';
import { KeyRing, resolveApiKeys } from './api-keys.js';
import { registerHealth } from './http/health.js';
import { pinoLevel } from './logger.js';
import { WsServer } from './ws/ws-server.js';

export interface AppOptions {
  config: Config;
  dataDir: string;
  configPath: string;
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
  readonly config: Config;
  /** Publishes an event from a source (what tests and the benchmark use too). */
  publish(name: string, data: EventData): void;
  /** Listens; resolves with the bound address. */
  start(): Promise<{ host: string; port: number; url: string }>;
  /** Announces service_stopping, closes every client with 1001, and releases everything. Idempotent. */
  stop(reason: StopReason): Promise<void>;
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config, dataDir, logger } = options;
  mkdirSync(dataDir, { recursive: true });
  logger.level = pinoLevel(config.log_level);

  const db: Db = openDatabase(dataDir);
  const log = createSqliteEventLog(db);
  const bus = createLocalBus({ log, onError: (err, event) => logger.error({ err, event: event.name }, 'event delivery failed') });
  const hub = await Hub.create({ bus, log, maxReplayEvents: config.server.max_replay_events });
  const keys = new KeyRing(
    resolveApiKeys(config.auth.api_keys, dataDir, options.announceKey ?? (() => undefined)),
  );
  const ws = new WsServer({ hub, config: () => config, keys: () => keys, handlers: {}, logger });
  const http = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1_048_576,
  });
  const lifecycle: Lifecycle = createLifecycle(dataDir, bus.publish);
  const startedAt = Date.now();

  registerHealth(http, { hub, ws, startedAt });
  http.server.on('upgrade', ws.handleUpgrade);

  const pruneTimer = setInterval(() => {
    log.prune(Date.now() - config.server.event_retention_hours * 3_600_000).catch((err: unknown) => logger.error({ err }, 'event log prune failed'));
  }, 3_600_000);
  pruneTimer.unref();

  let stopping: Promise<void> | undefined;

  return {
    bus,
    log,
    hub,
    ws,
    http,
    config,
    publish: bus.publish,
    async start() {
      await http.listen({ host: config.server.host, port: config.server.port });
      const { port } = http.server.address() as AddressInfo;
      lifecycle.announceStart();
      const host = config.server.host;
      logger.info({ host, port }, 'qbt-monitor listening');
      return { host, port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
    },
    stop(reason) {
      stopping ??= (async () => {
        ws.startDraining();
        lifecycle.announceStopping(reason);
        await bus.flush();
        await ws.closeAll(CloseCode.GOING_AWAY, 'service_stopping', config.server.shutdown_grace_ms);
        clearInterval(pruneTimer);
        hub.close();
        await http.close();
        db.close();
      })();
      return stopping;
    },
  };
}
