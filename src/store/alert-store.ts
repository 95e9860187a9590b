/** Alerts as the store keeps them: each alert's record over its life, the interface of its store, and the record as the protocol's alert data. */
import type { AlertActive, AlertHistoryEntry, AlertLevel, AlertResolved } from '../protocol/index.js';

/** An alert over its life: the fields of its latest `active` message, and how it ended. */
export interface AlertRecord {
  alert_id: string;
  type: string;
  /** Tells apart the active alerts of one type ('' for the one alert of most types; a torrent's hash for `torrent`). */
  subject: string;
  level: AlertLevel;
  status: 'active' | 'resolved';
  title: string;
  message: string;
  value: number;
  threshold: number;
  metadata: AlertActive['metadata'];
  /** When it first fired. */
  raised_at: string;
  /** When its latest active message (first firing or escalation) was sent. */
  updated_at: string;
  resolved_at?: string;
  resolution?: string;
  resolved_by?: string;
  acknowledged_by?: string;
  acknowledged_at?: string;
  acknowledgement?: string;
  /** When the alert was last notified (fired, escalated, reminded): its next reminder counts from then. */
  notified_at?: string;
  /** Reminders sent so far. */
  reminders?: number;
}

export type Acknowledgement = Required<Pick<AlertRecord, 'acknowledged_by' | 'acknowledged_at' | 'acknowledgement'>>;

/** Which stored alerts to list: newest change first, `before` a cursor from the previous page. */
export interface AlertQuery {
  status?: AlertRecord['status'] | undefined;
  type?: string | undefined;
  level?: AlertLevel | undefined;
  /** Alerts raised, escalated or resolved at or after this time (ISO 8601). */
  since?: string | undefined;
  /** Older than this entry: the `updated_at` and `alert_id` of the last alert of the previous page. */
  before?: { updated_at: string; alert_id: string } | undefined;
  limit: number;
}

export interface AlertStore {
  /** Inserts a new alert or replaces an escalated one. */
  saveActive(record: AlertRecord): void;
  markResolved(alertId: string, resolution: Pick<AlertRecord, 'resolved_at' | 'resolution' | 'resolved_by'>): void;
  /** Makes a resolved alert active again (its resolution could not be announced). */
  reopen(alertId: string): void;
  active(): AlertRecord[];
  /** Newest first (by `updated_at`, then `alert_id`). */
  list(query: AlertQuery): AlertRecord[];
  acknowledge(alertId: string, acknowledgement: Acknowledgement): void;
  markNotified(alertId: string, at: string, reminders: number): void;
  /** Drops resolved alerts resolved before the cutoff; returns how many. */
  pruneResolved(beforeIso: string): number;
}

/** An alert as `GET /api/v1/alerts` lists it: the stored record without the reminder bookkeeping. */
export function historyEntry(record: AlertRecord): AlertHistoryEntry {
  const { notified_at: _notified, reminders: _reminders, ...entry } = record;
  return entry;
}

/** The spec's "告警触发" data of an alert. */
export function activeData(record: AlertRecord): AlertActive {
  const { alert_id, type, level, title, message, value, threshold, metadata } = record;
  return { alert_id, type, level, title, message, value, threshold, status: 'active', metadata };
}

/** The spec's "告警解决" data of a resolved alert. */
export function resolvedData(
  record: AlertRecord & Required<Pick<AlertRecord, 'resolved_at' | 'resolution' | 'resolved_by'>>,
): AlertResolved {
  const { alert_id, type, level, resolved_at, resolution, resolved_by } = record;
  return { alert_id, type, level, status: 'resolved', resolved_at, resolution, resolved_by };
}
