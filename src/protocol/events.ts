/** Event names (`<type>.<subtype>`), subscription patterns, and which types each endpoint delivers. */
import { EVENT_TYPES, type EventType, isEventType } from './message-types.js';

/** Well-known event names; custom metrics and custom alert rules add their own subtypes. */
export const EventName = {
  performanceSystem: 'performance.system',
  statusClipboardMonitor: 'status.clipboard_monitor',
  statusQbittorrentClient: 'status.qbittorrent_client',
  configUpdated: 'config.updated',
  configRejected: 'config.rejected',
  systemServiceStart: 'system.service_start',
  systemServiceRestart: 'system.service_restart',
  systemServiceStopping: 'system.service_stopping',
  systemClusterDegraded: 'system.cluster_degraded',
  systemClusterRecovered: 'system.cluster_recovered',
  /** Sent by `POST /api/v1/notifications/{name}/test` to that target only; never published. */
  systemNotificationTest: 'system.notification_test',
  performanceQbittorrent: 'performance.qbittorrent',
  torrentAdded: 'torrent.added',
  torrentCompleted: 'torrent.completed',
  torrentErrored: 'torrent.errored',
  torrentStalled: 'torrent.stalled',
  torrentRemoved: 'torrent.removed',
  torrentList: 'torrent.list',
  torrentUpdated: 'torrent.updated',
} as const;
export type EventName = (typeof EventName)[keyof typeof EventName];

/** Alert types (`alert.<type>`) the service raises by itself; threshold rules over other metrics name theirs in the config. */
export const AlertType = {
  cpu: 'cpu',
  memory: 'memory',
  disk: 'disk',
  qbittorrent: 'qbittorrent',
  torrent: 'torrent',
} as const;

/** WebSocket endpoints and the event types each delivers (docs/protocol.md, "Endpoints"). */
export const ENDPOINTS: Readonly<Record<string, readonly EventType[]>> = {
  '/ws': EVENT_TYPES,
  '/ws/performance': ['performance'],
  '/ws/alerts': ['alert'],
  '/ws/status': ['status'],
  '/ws/torrents': ['torrent'],
};

const SUBTYPE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface ParsedEventName {
  type: EventType;
  subtype: string;
}

/** Splits `alert.cpu` into its type and subtype; undefined when it is not a valid event name. */
export function parseEventName(name: string): ParsedEventName | undefined {
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  const type = name.slice(0, dot);
  const subtype = name.slice(dot + 1);
  if (!isEventType(type) || !SUBTYPE.test(subtype)) return undefined;
  return { type, subtype };
}

/**
 * A subscription pattern: an exact event name, `<type>` or `<type>.*` for a whole type,
 * or `*` for every type (expanded against the endpoint by the caller).
 */
export type ParsedPattern =
  | { kind: 'all' }
  | { kind: 'type'; type: EventType; pattern: string }
  | { kind: 'exact'; type: EventType; subtype: string; pattern: string };

export function parsePattern(raw: string): ParsedPattern | undefined {
  if (raw === '*') return { kind: 'all' };
  const type = raw.endsWith('.*') ? raw.slice(0, -2) : raw;
  if (isEventType(type)) return { kind: 'type', type, pattern: `${type}.*` };
  const name = parseEventName(raw);
  if (!name) return undefined;
  return { kind: 'exact', type: name.type, subtype: name.subtype, pattern: raw };
}

/** A subscription pattern as clients write it: `*`, a whole type (`alert`, `alert.*`) or an event name (`alert.cpu`). */
export type EventPattern = '*' | EventType | `${EventType}.${string}`;
