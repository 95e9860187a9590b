/** The SDK's typing of the wire: each server message type's `data`, the typed envelope, and subscription patterns. */
import type { EventType, ServerMessageType } from '../protocol/message-types.js';
import type {
  Ack,
  AlertActive,
  AlertResolved,
  ClipboardStatus,
  ComponentStatus,
  ConfigRejected,
  ConfigUpdated,
  ConnectionAck,
  ConnectionError,
  CustomMetric,
  DataReply,
  ErrorPayload,
  Meta,
  QbittorrentStatus,
  Resumed,
  SubscriptionsPayload,
  SystemEvent,
  SystemMetrics,
} from '../protocol/server-messages.js';

/** `data` of each server message type (the protocol's schemas, as TypeScript types). */
export interface ServerMessageData {
  connection: ConnectionAck | ConnectionError;
  performance: SystemMetrics | CustomMetric;
  alert: AlertActive | AlertResolved;
  status: ClipboardStatus | QbittorrentStatus | ComponentStatus;
  config: ConfigUpdated | ConfigRejected;
  system: SystemEvent;
  error: ErrorPayload;
  pong: undefined;
  subscribed: SubscriptionsPayload;
  unsubscribed: SubscriptionsPayload;
  data: DataReply;
  resumed: Resumed;
  ack: Ack;
}

/** A server message of type K (of any type by default); mapping over ServerMessageType fails to compile if a type lacks its data. */
export type ServerMessage<K extends ServerMessageType = ServerMessageType> = {
  [T in K]: { type: T; id: string; timestamp: string; data: ServerMessageData[T]; meta?: Meta };
}[K];

/** A subscription pattern: `*`, a whole type (`alert`, `alert.*`) or an event name (`alert.cpu`). */
export type EventPattern = '*' | EventType | `${EventType}.${string}`;
