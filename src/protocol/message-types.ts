/** Every message type on the wire, server and client, and the event types clients subscribe to. */

/** Types the server sends. */
export const ServerMessageType = {
  connection: 'connection',
  performance: 'performance',
  alert: 'alert',
  status: 'status',
  config: 'config',
  system: 'system',
  torrent: 'torrent',
  error: 'error',
  pong: 'pong',
  subscribed: 'subscribed',
  unsubscribed: 'unsubscribed',
  data: 'data',
  resumed: 'resumed',
  ack: 'ack',
} as const;
export type ServerMessageType = (typeof ServerMessageType)[keyof typeof ServerMessageType];

/** Types a client may send. */
export const ClientMessageType = {
  auth: 'auth',
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  requestData: 'request_data',
  resolveAlert: 'resolve_alert',
  acknowledgeAlert: 'acknowledge_alert',
  ping: 'ping',
  resume: 'resume',
} as const;
export type ClientMessageType = (typeof ClientMessageType)[keyof typeof ClientMessageType];

/** Server message types that are events: produced by sources, routed by subscriptions. */
export const EVENT_TYPES = [
  ServerMessageType.performance,
  ServerMessageType.alert,
  ServerMessageType.status,
  ServerMessageType.config,
  ServerMessageType.system,
  ServerMessageType.torrent,
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Whether the events of each type are durable: recorded in the event log, numbered with `meta.seq`, replayed on resumption. */
const DURABLE: Readonly<Record<EventType, boolean>> = {
  // Conflated for slow readers and summarised in the metric history instead.
  performance: false,
  alert: true,
  status: true,
  config: true,
  system: true,
  // The table's snapshot and deltas are live only; the lifecycle is durable by name (isDurableEvent).
  torrent: false,
};

/** Event types recorded in the event log and numbered with `meta.seq` (performance is not: it is conflated). */
export const DURABLE_EVENT_TYPES: ReadonlySet<EventType> = new Set(EVENT_TYPES.filter((type) => DURABLE[type]));

/** Torrent events that are durable: the lifecycle. The live table's `torrent.list` and `torrent.updated` are not. */
export const TORRENT_LIFECYCLE_SUBTYPES: ReadonlySet<string> = new Set(['added', 'completed', 'errored', 'stalled', 'removed']);

/** Whether events of this name are recorded in the event log, numbered with `meta.seq` and replayed on resumption. */
export function isDurableEvent(type: EventType, subtype: string): boolean {
  return DURABLE_EVENT_TYPES.has(type) || (type === ServerMessageType.torrent && TORRENT_LIFECYCLE_SUBTYPES.has(subtype));
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}
