/** One signed-in connection: the SDK client wired to the store, the history loaded on every (re)connection, and the key's fate. */
import { type ClientEvents, CloseCode, EVENT_TYPES, type EventType, type MessageHandlers, QbtMonitorClient } from '../client/index.js';
import type {
  ComponentStatusReply,
  EventHistoryReply,
  NotificationTargetState,
  NotificationTestReply,
  Silence,
} from '../protocol/index.js';
import type { AlertHistoryPage } from './management.js';
import { restClient } from './rest.js';
import type { DashboardStore } from './store.js';
import type { TorrentsStore } from './torrents-store.js';
import { HISTORY_METRICS, HISTORY_MINUTES } from './system-history.js';

export interface SessionEvents {
  /** The server acknowledged the key. */
  accepted(): void;
  /** The server refused the key (close 4401): it will never work. */
  refused(reason: string): void;
}

/** How long a silence from an alert card lasts: seconds from now, or until a time. */
export type SilenceEnd = { duration: number } | { ends_at: string };

export interface Session {
  resolveAlert(alertId: string): void;
  acknowledgeAlert(alertId: string, comment: string): void;
  silenceAlert(alertId: string, end: SilenceEnd, comment: string): void;
  deleteSilence(id: string): void;
  testTarget(name: string): void;
  /** The next older page of the alert history. */
  loadOlderAlerts(): void;
  close(): void;
}

const RESOLUTION = 'Resolved from the dashboard';
/** What the Activity feed shows, read back from the event log on every (re)connection. */
const FEED_EVENTS = 'config.*,system.*';
const FEED_LENGTH = 50;
/** How often the components' current state (the clipboard's last check) and the notification targets' are asked for while the page is visible. */
const STATUS_POLL_MS = 5000;
/** Silences end by themselves and other admins add them: read again this often (and after this page's changes). */
const SILENCES_POLL_MS = 30_000;
const HISTORY_PAGE = 25;
/** Alert events come in bursts (a rule change raises several): the history's first page is read again once they settle. */
const HISTORY_SETTLE_MS = 1000;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** `ws://` or `wss://` beside the page (`/ws` for a page at `/`, and under the same prefix behind a reverse proxy). */
function webSocketUrl(): string {
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

export function startSession(apiKey: string, store: DashboardStore, torrents: TorrentsStore, events: SessionEvents): Session {
  // A page left open should never stop trying: retry forever, at least every 10 s.
  const client = new QbtMonitorClient({
    url: webSocketUrl(),
    apiKey,
    auth: 'message',
    reconnect: { maxAttempts: Infinity, maxDelayMs: 10_000 },
  });

  const rest = restClient(apiKey);
  /** Answers that arrive after close() belong to a session that is gone (maybe another key's): dropped. */
  let closed = false;
  const unlessClosed =
    <A extends unknown[]>(apply: (...args: A) => void) =>
    (...args: A) => {
      if (!closed) apply(...args);
    };

  /** Charts show the last minutes, including those missed while disconnected: performance samples are not replayed, the store has them. */
  const loadSamples = () =>
    client.requestData(HISTORY_METRICS, HISTORY_MINUTES).then(
      unlessClosed((reply) => store.applyHistory(reply)),
      unlessClosed((error: unknown) => store.historyFailed(messageOf(error))),
    );
  /** The feed starts with what the log holds, not only with what happens while the page is open. */
  const loadFeed = () =>
    rest<EventHistoryReply>('GET', `events/history?events=${FEED_EVENTS}&limit=${FEED_LENGTH}`).then(
      unlessClosed((page) => store.loadFeed(page.events)),
      unlessClosed((error: unknown) => store.feedFailed(messageOf(error))),
    );
  const loadStatus = () => {
    if (document.hidden || client.state.phase !== 'open') return;
    // A failed read leaves the last check as the events told it; the next one tries again.
    rest<ComponentStatusReply>('GET', 'status').then(
      unlessClosed((reply) => store.applyLastChecks(reply.components)),
      () => undefined,
    );
  };
  const { management } = store;
  const loadTargets = () =>
    rest<{ targets: NotificationTargetState[] }>('GET', 'notifications').then(
      unlessClosed((reply) => management.applyTargets(reply.targets)),
      unlessClosed((error: unknown) => management.targetsFailed(messageOf(error))),
    );
  const loadSilences = () =>
    rest<{ silences: Silence[] }>('GET', 'silences').then(
      unlessClosed((reply) => management.applySilences(reply.silences)),
      unlessClosed((error: unknown) => management.silencesFailed(messageOf(error))),
    );
  const loadHistory = (before?: string) => {
    management.historyRequested();
    const cursor = before === undefined ? '' : `&before=${encodeURIComponent(before)}`;
    return rest<AlertHistoryPage>('GET', `alerts?limit=${HISTORY_PAGE}${cursor}`).then(
      unlessClosed((page) => management.applyHistory(page, before !== undefined)),
      unlessClosed((error: unknown) => management.historyFailed(messageOf(error))),
    );
  };
  let historyTimer: ReturnType<typeof setTimeout> | undefined;
  const historyChanged = () => {
    clearTimeout(historyTimer);
    // A connection lost meanwhile reads the history again when it is back.
    historyTimer = setTimeout(() => {
      if (client.state.phase === 'open') void loadHistory();
    }, HISTORY_SETTLE_MS);
  };
  const poll = () => {
    loadStatus();
    if (!document.hidden && client.state.phase === 'open') void loadTargets();
  };
  const statusTimer = setInterval(poll, STATUS_POLL_MS);
  const silencesTimer = setInterval(() => {
    if (!document.hidden && client.state.phase === 'open') void loadSilences();
  }, SILENCES_POLL_MS);

  let servingNode: string | undefined;
  /** What the page does with each event type; a type without its entry here does not compile. */
  const onEvent: { [T in EventType]: MessageHandlers[T] } = {
    performance(data, message) {
      // In a cluster every node's host samples arrive: the charts show the host of the node serving the page.
      const ownHost = servingNode === undefined || message.meta?.node === undefined || message.meta.node === servingNode;
      if ('cpu_percent' in data && ownHost) store.addSample(data, message);
    },
    alert(data, message) {
      store.applyAlert(data, message);
      historyChanged();
    },
    status: (data, message) => store.applyStatus(data, message),
    config: (data, message) => store.applyConfig(data, message),
    system: (data, message) => store.applySystem(data, message),
    // The Torrents panel's table (the SDK's TorrentTable) follows them itself.
    torrent: () => undefined,
  };
  const handlers = [
    client.on('state', ({ newState }) => {
      store.setConnection(newState);
      if (newState.phase === 'closed' && newState.code === CloseCode.AUTH_FAILED) {
        events.refused(newState.error?.message ?? 'authentication failed');
      }
    }),
    client.on('connection', (data) => {
      if (data.status !== 'connected') return;
      servingNode = data.node;
      store.acknowledged(data.role);
      events.accepted();
      void loadSamples();
      void loadFeed();
      loadStatus();
      void loadTargets();
      void loadSilences();
      void loadHistory();
    }),
    // TypeScript does not follow `type` from the map's key to its handler: the map's own type pairs them.
    ...EVENT_TYPES.map(<T extends EventType>(type: T) => client.on(type, onEvent[type] as ClientEvents[T])),
    client.on('resumed', (data) => store.resumed(data)),
    torrents.attach(client, { url: webSocketUrl(), apiKey }),
  ];
  // Failures arrive as state changes (above); connect() keeps retrying on its own.
  void client.connect();

  return {
    resolveAlert(alertId) {
      store.resolving(alertId);
      // Success shows as the resolved alert event every client receives.
      client.resolveAlert(alertId, RESOLUTION).catch((error: unknown) => store.resolveFailed(alertId, messageOf(error)));
    },
    acknowledgeAlert(alertId, comment) {
      management.setAction(alertId, 'acknowledge', { busy: true });
      // Success shows as the alert's next event, which carries the acknowledgement.
      client.acknowledgeAlert(alertId, comment || undefined).then(
        unlessClosed(() => management.setAction(alertId, 'acknowledge', undefined)),
        unlessClosed((error: unknown) => management.setAction(alertId, 'acknowledge', { busy: false, error: messageOf(error) })),
      );
    },
    silenceAlert(alertId, end, comment) {
      management.setAction(alertId, 'silence', { busy: true });
      rest<{ silence: Silence }>('POST', 'silences', { matchers: { alert_id: alertId }, ...end, ...(comment && { comment }) }).then(
        unlessClosed(() => {
          management.setAction(alertId, 'silence', undefined);
          void loadSilences();
        }),
        unlessClosed((error: unknown) => management.setAction(alertId, 'silence', { busy: false, error: messageOf(error) })),
      );
    },
    deleteSilence(id) {
      management.deleting(id, { busy: true });
      rest<undefined>('DELETE', `silences/${encodeURIComponent(id)}`).then(
        unlessClosed(() => void loadSilences()),
        unlessClosed((error: unknown) => management.deleting(id, { busy: false, error: messageOf(error) })),
      );
    },
    testTarget(name) {
      management.testing(name);
      rest<NotificationTestReply>('POST', `notifications/${encodeURIComponent(name)}/test`).then(
        unlessClosed((outcome) => {
          management.tested(name, outcome);
          void loadTargets();
        }),
        unlessClosed((error: unknown) => management.tested(name, { delivered: false, error: messageOf(error) })),
      );
    },
    loadOlderAlerts() {
      if (management.historyNext) void loadHistory(management.historyNext);
    },
    /** Closes the connection; nothing it does after reaches the store. */
    close() {
      closed = true;
      for (const removeHandler of handlers) removeHandler();
      clearInterval(statusTimer);
      clearInterval(silencesTimer);
      clearTimeout(historyTimer);
      void client.close();
    },
  };
}
