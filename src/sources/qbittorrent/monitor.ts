/** The `qbittorrent_client` component: a health-checked, self-reconnecting connection to qBittorrent that publishes its status. */
import { DEFAULT_CONFIG } from '../../config/defaults.js';
import type { Logger } from '../../config/logger.js';
import type { Config } from '../../config/schema.js';
import { EventName, type QbittorrentConnectionStatus, type QbittorrentStatus } from '../../protocol/index.js';
import { type BackoffOptions, backoffDelay } from '../../protocol/backoff.js';
import { isQbittorrentError, QbittorrentError } from './errors.js';
import type { Maindata } from './maindata.js';
import { type AddTorrentsOptions, QbittorrentWebUiClient, type TorrentFileUpload, type WebUiCall } from './webui-client.js';

/** What `qbittorrent` config can change, live through reconfigure(). */
export interface QbittorrentSettings {
  /** WebUI address, e.g. `http://127.0.0.1:8081`. Unset: the component is not_configured. */
  url?: string;
  username?: string;
  password?: string;
  /** qBittorrent 5.2+ API key, used instead of username/password. */
  apiKey?: string;
  /** Between health checks while connected. Default: `qbittorrent.health_check_interval`'s. */
  healthIntervalMs?: number;
  /** Between periodic status publications. Default: `qbittorrent.status_interval`'s. */
  statusIntervalMs?: number;
  /** Per HTTP call. Default: `qbittorrent.timeout`'s. */
  requestTimeoutMs?: number;
  /** Reconnect delays. Default 1 s doubling up to `qbittorrent.reconnect_max_delay`'s default, with full jitter. */
  backoff?: BackoffOptions;
}

/** The first reconnect waits up to this long; each later one up to twice the one before, up to `qbittorrent.reconnect_max_delay`. */
const RECONNECT_INITIAL_DELAY_MS = 1000;

/** The settings the `qbittorrent` section of the config gives. */
export function qbittorrentSettings(qbittorrent: Config['qbittorrent']): ResolvedSettings {
  return {
    url: qbittorrent.url,
    username: qbittorrent.username,
    password: qbittorrent.password,
    apiKey: qbittorrent.api_key,
    healthIntervalMs: qbittorrent.health_check_interval * 1000,
    statusIntervalMs: qbittorrent.status_interval * 1000,
    requestTimeoutMs: qbittorrent.timeout * 1000,
    backoff: { initialDelayMs: RECONNECT_INITIAL_DELAY_MS, maxDelayMs: qbittorrent.reconnect_max_delay * 1000 },
  };
}

export interface QbittorrentMonitorOptions extends QbittorrentSettings {
  publish: (eventName: typeof EventName.statusQbittorrentClient, data: QbittorrentStatus) => void;
  /** Called after every HTTP call to qBittorrent (for the `api_response_time` metric). */
  onCall?: (call: WebUiCall) => void;
  logger?: Logger;
}

export interface QbittorrentMonitor {
  /** Connects, or publishes not_configured; resolves once the first attempt has settled, then keeps watching in the background. */
  start(): Promise<void>;
  /** Clears every timer, aborts the calls in flight, and resolves when nothing is pending. */
  stop(): Promise<void>;
  /** The current status, as last published but with a fresh `last_activity`. */
  status(): QbittorrentStatus;
  /** Adds magnet links or torrent URLs to qBittorrent. Rejects with a QbittorrentError (`NOT_CONFIGURED`, `AUTH_FAILED`, `REJECTED`, ...). */
  addTorrents(urls: readonly string[], options?: AddTorrentsOptions): Promise<void>;
  /** Uploads a .torrent file to qBittorrent; rejects like addTorrents. */
  addTorrentFile(file: TorrentFileUpload, options?: AddTorrentsOptions): Promise<void>;
  /** qBittorrent's changes since the answer `rid` acknowledges (`sync/maindata`); rejects like addTorrents. */
  maindata(rid: number): Promise<Maindata>;
  /** A number that changes with every new client (new address or credentials): a sync in progress must start afresh. */
  readonly clientGeneration: number;
  /**
   * Stops, starts or rechecks torrents, or deletes them (`deleteFiles`: their downloaded data too),
   * through the endpoints of the connected qBittorrent's version (`pause`/`resume` before Web API 2.11).
   */
  torrentsAction(action: TorrentAction, hashes: readonly string[], options?: { deleteFiles?: boolean }): Promise<void>;
  /**
   * Applies new settings (the whole `qbittorrent` section) live. A changed url, credentials or timeout
   * means a new client and a new login, resolving once its first attempt has settled; new intervals
   * apply from the next tick.
   */
  reconfigure(settings: QbittorrentSettings): Promise<void>;
}

export type TorrentAction = 'stop' | 'start' | 'recheck' | 'delete';

type ResolvedSettings = Required<Pick<QbittorrentSettings, 'healthIntervalMs' | 'statusIntervalMs' | 'requestTimeoutMs' | 'backoff'>> &
  Pick<QbittorrentSettings, 'url' | 'username' | 'password' | 'apiKey'>;

/** The config schema's defaults, for settings left out. */
const DEFAULTS = qbittorrentSettings(DEFAULT_CONFIG.qbittorrent);

const UNCONFIGURED_TARGET = { host: '', port: 0 };

export function createQbittorrentMonitor(options: QbittorrentMonitorOptions): QbittorrentMonitor {
  const { publish, onCall, logger } = options;
  let settings = resolveSettings(options);
  let running = false;
  let client: QbittorrentWebUiClient | undefined;
  let healthTimer: NodeJS.Timeout | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  const pending = new Set<Promise<unknown>>();

  let status: QbittorrentConnectionStatus = 'disconnected'; // until start()
  let since = new Date();
  let target = UNCONFIGURED_TARGET;
  let version: string | null = null;
  let apiVersion: string | null = null;
  let lastActivity: Date | undefined;
  let failure: QbittorrentError | undefined;
  let nextRetryAt: Date | undefined;
  let failedAttempts = 0;
  let lastAnnounced: string | undefined;
  let clientGeneration = 0;

  /** The client for a call made on the user's behalf; throws why there is none (not running, not configured, credentials refused). */
  function usableClient(): QbittorrentWebUiClient {
    if (!running) throw new QbittorrentError('CLOSED', 'the qBittorrent monitor is not running');
    if (!client) throw failure ?? new QbittorrentError('NOT_CONFIGURED', 'qBittorrent is not configured: set qbittorrent.url');
    // Another try with credentials already refused would only count toward a ban.
    if (status === 'auth_failed' && failure) throw failure;
    return client;
  }

  function snapshot(): QbittorrentStatus {
    return {
      component: 'qbittorrent_client',
      status,
      connection_info: { ...target, version, api_version: apiVersion },
      last_activity: lastActivity?.toISOString() ?? null,
      since: since.toISOString(),
      ...(failure && { error: failure.message, error_code: failure.code }),
      ...(nextRetryAt && { next_retry_at: nextRetryAt.toISOString() }),
    };
  }

  function announce(data: QbittorrentStatus): void {
    try {
      publish(EventName.statusQbittorrentClient, data);
    } catch (error) {
      logger?.warn({ err: error }, 'publishing the qbittorrent_client status failed');
    }
  }

  /** Moves to `next`, and publishes when what a client would display changed (not on every health check). */
  function transition(next: QbittorrentConnectionStatus, why: { failure?: QbittorrentError; nextRetryAt?: Date } = {}): void {
    if (next !== status) since = new Date();
    status = next;
    failure = why.failure;
    nextRetryAt = why.nextRetryAt;
    const key = JSON.stringify([status, target, version, failure?.code]);
    if (key === lastAnnounced) return;
    lastAnnounced = key;
    const data = snapshot();
    const level = status === 'disconnected' || status === 'auth_failed' ? 'warn' : 'info';
    logger?.[level]({ status, ...target, version, error: data.error }, `qBittorrent ${status}`);
    announce(data);
  }

  function track<T>(work: Promise<T>): Promise<T> {
    pending.add(work);
    const forget = () => pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Starts a connection cycle with the current settings. */
  async function connect(): Promise<void> {
    version = null;
    apiVersion = null;
    failedAttempts = 0;
    if (!settings.url) {
      target = UNCONFIGURED_TARGET;
      transition('not_configured');
      return;
    }
    clientGeneration += 1;
    try {
      client = new QbittorrentWebUiClient({
        url: settings.url,
        username: settings.username,
        password: settings.password,
        apiKey: settings.apiKey,
        timeoutMs: settings.requestTimeoutMs,
        onCall: (call) => {
          if (call.ok) lastActivity = new Date();
          onCall?.(call);
        },
      });
    } catch (error) {
      target = UNCONFIGURED_TARGET;
      transition('not_configured', {
        failure: new QbittorrentError('NOT_CONFIGURED', `qbittorrent.url is not a usable address: ${settings.url}`, { cause: error }),
      });
      return;
    }
    target = { host: client.url.hostname, port: portOf(client.url) };
    transition('connecting');
    startStatusTimer();
    await track(check(client));
  }

  /** One attempt: a (re)login and the versions when not connected, a version read as health check when connected. */
  async function check(attemptClient: QbittorrentWebUiClient): Promise<void> {
    healthTimer = undefined;
    const reconnecting = status !== 'connected';
    let outcome: { version: string; apiVersion: string | null } | QbittorrentError;
    try {
      if (reconnecting) await attemptClient.login();
      const current = await attemptClient.version();
      outcome = { version: current, apiVersion: reconnecting ? await attemptClient.webApiVersion() : apiVersion };
    } catch (error) {
      outcome = isQbittorrentError(error) ? error : new QbittorrentError('BAD_RESPONSE', String(error), { cause: error });
    }
    if (attemptClient !== client) return; // stopped or reconfigured meanwhile
    if (!(outcome instanceof QbittorrentError)) {
      failedAttempts = 0;
      version = outcome.version;
      apiVersion = outcome.apiVersion;
      transition('connected');
      scheduleCheck(attemptClient, settings.healthIntervalMs);
    } else if (outcome.code === 'AUTH_FAILED') {
      // Retrying the same credentials cannot succeed and counts toward qBittorrent's ban; wait for reconfigure().
      transition('auth_failed', { failure: outcome });
    } else {
      failedAttempts += 1;
      const delay = backoffDelay(failedAttempts, settings.backoff);
      transition('disconnected', { failure: outcome, nextRetryAt: new Date(Date.now() + delay) });
      scheduleCheck(attemptClient, delay);
    }
  }

  function scheduleCheck(attemptClient: QbittorrentWebUiClient, delayMs: number): void {
    healthTimer = setTimeout(() => void track(check(attemptClient)), delayMs);
  }

  function startStatusTimer(): void {
    clearInterval(statusTimer);
    statusTimer = setInterval(() => announce(snapshot()), settings.statusIntervalMs);
  }

  /** Drops the current client: timers cleared, calls in flight aborted; their late answers are ignored. */
  function dropClient(): void {
    clearTimeout(healthTimer);
    clearInterval(statusTimer);
    healthTimer = undefined;
    statusTimer = undefined;
    client?.close();
    client = undefined;
  }

  return {
    async start() {
      if (running) return;
      running = true;
      lastAnnounced = undefined;
      await connect();
    },

    async stop() {
      running = false;
      dropClient();
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },

    status: snapshot,

    async addTorrents(urls, addOptions) {
      await track(usableClient().addTorrents(urls, addOptions));
    },

    async addTorrentFile(file, addOptions) {
      await track(usableClient().addTorrentFile(file, addOptions));
    },

    maindata: (rid) => track(usableClient().maindata(rid)),

    get clientGeneration() {
      return clientGeneration;
    },

    async torrentsAction(action, hashes, actionOptions = {}) {
      const usable = usableClient();
      if (action === 'delete') {
        await track(usable.torrentsAction('delete', hashes, { deleteFiles: String(actionOptions.deleteFiles ?? false) }));
        return;
      }
      // Web API 2.11 (qBittorrent 5.0) renamed pause/resume to stop/start.
      const renamed = apiVersion !== null && compareVersions(apiVersion, '2.11') >= 0;
      const endpoint = action === 'stop' && !renamed ? 'pause' : action === 'start' && !renamed ? 'resume' : action;
      await track(usable.torrentsAction(endpoint, hashes));
    },

    async reconfigure(next) {
      const previous = settings;
      settings = resolveSettings(next);
      if (!running) return;
      if (connectionChanged(previous, settings)) {
        dropClient();
        await connect();
      } else if (statusTimer && previous.statusIntervalMs !== settings.statusIntervalMs) {
        startStatusTimer();
      }
    },
  };
}

function resolveSettings(settings: QbittorrentSettings): ResolvedSettings {
  return {
    url: settings.url,
    username: settings.username,
    password: settings.password,
    apiKey: settings.apiKey,
    healthIntervalMs: settings.healthIntervalMs ?? DEFAULTS.healthIntervalMs,
    statusIntervalMs: settings.statusIntervalMs ?? DEFAULTS.statusIntervalMs,
    requestTimeoutMs: settings.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    backoff: settings.backoff ?? DEFAULTS.backoff,
  };
}

function connectionChanged(a: ResolvedSettings, b: ResolvedSettings): boolean {
  return (
    a.url !== b.url ||
    a.username !== b.username ||
    a.password !== b.password ||
    a.apiKey !== b.apiKey ||
    a.requestTimeoutMs !== b.requestTimeoutMs
  );
}

/** Compares dotted version numbers (`2.8.19` < `2.11`). */
function compareVersions(a: string, b: string): number {
  const [left, right] = [a, b].map((version) => version.split('.').map(Number));
  for (let i = 0; i < Math.max(left!.length, right!.length); i += 1) {
    const difference = (left![i] ?? 0) - (right![i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}
