/**
 * Typed views of events and messages: the narrowing helpers listeners and clients read data with.
 * Free of schemas (types only from them), so that the SDK's browser bundle stays small.
 */
import type { AlertLevel, CustomMetric, EventDataOf, SystemMetrics } from './event-data.js';
import type { QbittorrentTransfer } from './torrents.js';
import { EventName } from './events.js';
import { type EventType, isEventType } from './message-types.js';
import type { ServerMessage } from './server-messages.js';

/** Alert levels by severity: an alert only escalates to a higher rank during its life. */
export const ALERT_LEVEL_RANK: Readonly<Record<AlertLevel, number>> = { info: 0, warning: 1, critical: 2 };

/** Whether the message is an event (its type one of EVENT_TYPES), its data then typed by its type. */
export function isEventMessage(message: ServerMessage): message is ServerMessage<EventType> {
  return isEventType(message.type);
}

/** An event as listeners see it: its name, and data that is one of its type's shapes. */
interface NamedEvent {
  name: string;
  type: string;
  data: unknown;
}

/** The data of `event` if it is the well-known event `name`, typed by it; undefined for any other event. */
export function dataOf<N extends EventName>(event: NamedEvent, name: N): EventDataOf<N> | undefined {
  return event.name === name ? (event.data as EventDataOf<N>) : undefined;
}

/** A performance event told apart by its name: the system sample, qBittorrent's transfer figures, or a custom metric. */
export type PerformanceData =
  | { kind: 'system'; data: SystemMetrics }
  | { kind: 'qbittorrent'; data: QbittorrentTransfer }
  | { kind: 'custom'; data: CustomMetric };

/** The data of a performance event, typed by what it is; undefined for events of other types. */
export function performanceOf(event: NamedEvent): PerformanceData | undefined {
  if (event.type !== 'performance') return undefined;
  if (event.name === EventName.performanceSystem) return { kind: 'system', data: event.data as SystemMetrics };
  if (event.name === EventName.performanceQbittorrent) return { kind: 'qbittorrent', data: event.data as QbittorrentTransfer };
  return { kind: 'custom', data: event.data as CustomMetric };
}
