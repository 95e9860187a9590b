/** The dashboard's state, changed by what the server sends; each change names the section of the page it affects, for the next frame. */
import type {
  AlertActive,
  AlertResolved,
  ClientState,
  ConfigRejected,
  ConfigUpdated,
  ConnectionAck,
  DataReply,
  EventTypeData,
  Resumed,
  ServerMessage,
  SystemMetrics,
} from '../client/index.js';
import type { LoggedEvent } from '../protocol/index.js';
import { ManagementState } from './management.js';
import { SystemHistory } from './system-history.js';

export const SECTIONS = [
  'connection',
  'figures',
  'charts',
  'alerts',
  'components',
  'feed',
  'notifications',
  'silences',
  'history',
] as const;
export type Section = (typeof SECTIONS)[number];

export type Role = ConnectionAck['role'];

export interface ActiveAlert {
  data: AlertActive;
  /** When it was first raised, as far as this page knows (ms). */
  firedAt: number;
  /** A resolve request from this page is under way. */
  resolving: boolean;
  /** Why the last resolve request from this page failed. */
  resolveError?: string;
}

export interface ResolvedAlert {
  data: AlertResolved;
  /** The active alert it ends, when this page saw it. */
  was?: AlertActive;
}

/** `seq` orders entries of the same millisecond (events without one, such as cluster link changes, go by time alone). */
export type FeedEntry = { id: string; at: number; seq: number | undefined } & (
  | { kind: 'config'; data: ConfigUpdated | ConfigRejected }
  | { kind: 'system'; data: EventTypeData['system'] }
);

export interface Connection {
  state: ClientState;
  /** While reconnecting: when the next attempt starts (ms). */
  retryAt?: number;
}

const MAX_RESOLVED = 20;
const MAX_FEED = 50;

export class DashboardStore {
  connection: Connection = { state: { phase: 'idle' } };
  role: Role | undefined;
  latest: { at: number; sample: SystemMetrics } | undefined;
  readonly history = new SystemHistory();
  /** Why the history could not be loaded, if it could not. */
  historyError: string | undefined;
  readonly activeAlerts = new Map<string, ActiveAlert>();
  /** Newest first. */
  resolvedAlerts: ResolvedAlert[] = [];
  readonly components = new Map<string, { data: EventTypeData['status']; at: number }>();
  /** Newest first. */
  feed: FeedEntry[] = [];
  /** Why the feed's earlier events could not be loaded, if they could not. */
  feedError: string | undefined;
  /** Each component's last check as the server last answered GET /api/v1/status (events carry it only with other news). */
  readonly lastChecks = new Map<string, number>();
  /** Notification targets, silences, the alert history, and this page's acknowledgements and silences under way. */
  readonly management: ManagementState;
  /** Alerts the server listed in this connection's snapshot: after a resumption with a gap, the others are stale. */
  #snapshotAlertIds = new Set<string>();
  readonly #changed: (section: Section) => void;

  constructor(changed: (section: Section) => void) {
    this.#changed = changed;
    this.management = new ManagementState(changed);
  }

  /** Forgets everything shown: for a new session, whose snapshot and history bring it all again. */
  reset(): void {
    this.connection = { state: { phase: 'idle' } };
    this.role = undefined;
    this.latest = undefined;
    this.history.clear();
    this.historyError = undefined;
    this.activeAlerts.clear();
    this.resolvedAlerts = [];
    this.components.clear();
    this.feed = [];
    this.feedError = undefined;
    this.lastChecks.clear();
    this.management.reset();
    for (const section of SECTIONS) this.#changed(section);
  }

  setConnection(state: ClientState, now = Date.now()): void {
    this.connection = state.phase === 'reconnecting' ? { state, retryAt: now + state.delayMs } : { state };
    this.#changed('connection');
  }

  acknowledged(role: Role): void {
    this.role = role;
    this.#snapshotAlertIds = new Set();
    this.#changed('connection');
    this.#changed('alerts');
  }

  addSample(sample: SystemMetrics, message: ServerMessage<'performance'>): void {
    const at = Date.parse(message.timestamp);
    if (this.latest && at < this.latest.at) return;
    this.latest = { at, sample };
    this.history.add(at, sample);
    this.#changed('figures');
    this.#changed('charts');
  }

  applyHistory(reply: DataReply): void {
    this.history.applyHistory(reply);
    this.historyError = undefined;
    this.#changed('charts');
  }

  historyFailed(reason: string): void {
    this.historyError = reason;
    this.#changed('charts');
  }

  applyAlert(data: AlertActive | AlertResolved, message: ServerMessage<'alert'>): void {
    if (data.status === 'active') {
      const known = this.activeAlerts.get(data.alert_id);
      this.activeAlerts.set(data.alert_id, { data, firedAt: known?.firedAt ?? Date.parse(message.timestamp), resolving: false });
      if (message.meta?.snapshot) this.#snapshotAlertIds.add(data.alert_id);
    } else {
      const was = this.activeAlerts.get(data.alert_id)?.data;
      this.activeAlerts.delete(data.alert_id);
      this.resolvedAlerts = [{ data, ...(was && { was }) }, ...this.resolvedAlerts].slice(0, MAX_RESOLVED);
    }
    this.#changed('alerts');
  }

  resolving(alertId: string): void {
    const alert = this.activeAlerts.get(alertId);
    if (!alert) return;
    alert.resolving = true;
    delete alert.resolveError;
    this.#changed('alerts');
  }

  resolveFailed(alertId: string, reason: string): void {
    const alert = this.activeAlerts.get(alertId);
    if (!alert) return;
    alert.resolving = false;
    alert.resolveError = reason;
    this.#changed('alerts');
  }

  /** After a resumption that found the missed events gone, the snapshot that came instead is the whole truth about active alerts. */
  resumed({ gap }: Resumed): void {
    if (!gap) return;
    for (const id of this.activeAlerts.keys()) if (!this.#snapshotAlertIds.has(id)) this.activeAlerts.delete(id);
    this.#changed('alerts');
  }

  applyStatus(data: EventTypeData['status'], message: ServerMessage<'status'>): void {
    this.components.set(data.component, { data, at: Date.parse(message.timestamp) });
    this.#changed('components');
  }

  applyConfig(data: ConfigUpdated | ConfigRejected, message: ServerMessage<'config'>): void {
    this.#addToFeed({ id: message.id, at: Date.parse(message.timestamp), seq: message.meta?.seq, kind: 'config', data });
  }

  applySystem(data: EventTypeData['system'], message: ServerMessage<'system'>): void {
    this.#addToFeed({ id: message.id, at: Date.parse(message.timestamp), seq: message.meta?.seq, kind: 'system', data });
  }

  /** Events read back from the event log (newest first): merged with what arrived live, each once. */
  loadFeed(events: readonly LoggedEvent[]): void {
    const entries = events.flatMap((event): FeedEntry[] => {
      const entry = { id: event.id, at: Date.parse(event.timestamp), seq: event.meta.seq };
      // The log holds each event as published: its type says its shape.
      if (event.type === 'config') return [{ ...entry, kind: 'config', data: event.data as ConfigUpdated | ConfigRejected }];
      if (event.type === 'system') return [{ ...entry, kind: 'system', data: event.data as EventTypeData['system'] }];
      return [];
    });
    this.feedError = undefined;
    this.#addToFeed(...entries);
  }

  feedFailed(reason: string): void {
    this.feedError = reason;
    this.#changed('feed');
  }

  /** The checks a component made since its last event, from GET /api/v1/status. */
  applyLastChecks(components: ReadonlyArray<{ component: string; last_check?: unknown }>): void {
    for (const { component, last_check: lastCheck } of components) {
      const at = typeof lastCheck === 'string' ? Date.parse(lastCheck) : Number.NaN;
      if (!Number.isFinite(at) || at <= (this.lastChecks.get(component) ?? 0)) continue;
      this.lastChecks.set(component, at);
      this.#changed('components');
    }
  }

  #addToFeed(...entries: FeedEntry[]): void {
    const byId = new Map([...entries, ...this.feed].map((entry) => [entry.id, entry]));
    this.feed = [...byId.values()].sort((a, b) => b.at - a.at || (b.seq ?? 0) - (a.seq ?? 0)).slice(0, MAX_FEED);
    this.#changed('feed');
  }
}
