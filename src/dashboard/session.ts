/** One signed-in connection: the SDK client wired to the store, the history loaded on every (re)connection, and the key's fate. */
import { type ClientEvents, CloseCode, EVENT_TYPES, type EventType, type MessageHandlers, QbtMonitorClient } from '../client/index.js';
import type { ComponentStatusReply, EventHistoryReply } from '../protocol/index.js';
import { restClient } from './rest.js';
import type { DashboardStore } from './store.js';
import { HISTORY_METRICS, HISTORY_MINUTES } from './system-history.js';

export interface SessionEvents {
  /** The server acknowledged the key. */
  accepted(): void;
  /** The server refused the key (close 4401): it will never work. */
  refused(reason: string): void;
}

export interface Session {
  resolveAlert(alertId: string): void;
  close(): void;
}

const RESOLUTION = 'Resolved from the dashboard';
/** What the Activity feed shows, read back from the event log on every (re)connection. */
const FEED_EVENTS = 'config.*,system.*';
const FEED_LENGTH = 50;
/** How often the components' current state (the clipboard's last check) is asked for while the page is visible. */
const STATUS_POLL_MS = 5000;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** `ws://` or `wss://` beside the page (`/ws` for a page at `/`, and under the same prefix behind a reverse proxy). */
function webSocketUrl(): string {
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

export function startSession(apiKey: string, store: DashboardStore, events: SessionEvents): Session {
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
  const loadHistory = () =>
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
  const statusTimer = setInterval(loadStatus, STATUS_POLL_MS);

  let servingNode: string | undefined;
  /** What the page does with each event type; a type without its entry here does not compile. */
  const onEvent: { [T in EventType]: MessageHandlers[T] } = {
    performance(data, message) {
      // In a cluster every node's host samples arrive: the charts show the host of the node serving the page.
      const ownHost = servingNode === undefined || message.meta?.node === undefined || message.meta.node === servingNode;
      if ('cpu_percent' in data && ownHost) store.addSample(data, message);
    },
    alert: (data, message) => store.applyAlert(data, message),
    status: (data, message) => store.applyStatus(data, message),
    config: (data, message) => store.applyConfig(data, message),
    system: (data, message) => store.applySystem(data, message),
    // No view of the page shows torrents: their events pass by.
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
      void loadHistory();
      void loadFeed();
      loadStatus();
    }),
    // TypeScript does not follow `type` from the map's key to its handler: the map's own type pairs them.
    ...EVENT_TYPES.map(<T extends EventType>(type: T) => client.on(type, onEvent[type] as ClientEvents[T])),
    client.on('resumed', (data) => store.resumed(data)),
  ];
  // Failures arrive as state changes (above); connect() keeps retrying on its own.
  void client.connect();

  return {
    resolveAlert(alertId) {
      store.resolving(alertId);
      // Success shows as the resolved alert event every client receives.
      client.resolveAlert(alertId, RESOLUTION).catch((error: unknown) => store.resolveFailed(alertId, messageOf(error)));
    },
    /** Closes the connection; nothing it does after reaches the store. */
    close() {
      closed = true;
      for (const removeHandler of handlers) removeHandler();
      clearInterval(statusTimer);
      void client.close();
    },
  };
}
