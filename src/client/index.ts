/** The qbt-monitor client SDK for browsers (native WebSocket) and any runtime given a WebSocket class; on Node, node.ts adds `ws`. */
export { QbtMonitorClient } from './client.js';
export type { ClientOptions, ReconnectOptions } from './options.js';
export { ClientErrorCode, QbtMonitorError, RequestTimeoutError, ServerError } from './errors.js';
export { ReadyState, type ClientState, type CloseCause, type Phase, type StateChange } from './state.js';
export type { ClientEvents, GiveUpEvent, LifecycleHandlers, MessageHandlers, ReconnectingEvent } from './events.js';
export type { HeartbeatOptions } from './heartbeat.js';
export type { AuthMode, WebSocketConstructor, WebSocketLike } from './transport.js';
export { backoffDelay, type BackoffOptions } from '../protocol/backoff.js';
export { eventNameOf } from './subscription-view.js';
export { TorrentTable, type TorrentTableChange } from './torrent-table.js';
export { type AddResult, HttpError, type TorrentPage, type TorrentQuery, TorrentsApi, type TorrentsApiOptions } from './torrents-api.js';
export { type CloseAction, CloseCode, closeAction, ErrorCode } from '../protocol/errors.js';
export type { Filters } from '../protocol/client-messages.js';
export type { EventPattern } from '../protocol/events.js';
export { ALERT_LEVEL_RANK, isEventMessage } from '../protocol/narrow.js';
export { EVENT_TYPES, type EventType, type ServerMessageType } from '../protocol/message-types.js';
export type {
  QbittorrentTransfer,
  TorrentField,
  TorrentLifecycle,
  TorrentList,
  TorrentRow,
  TorrentSource,
  TorrentUpdated,
} from '../protocol/torrents.js';
export { TORRENT_STATE_GROUPS, type TorrentStateGroup, torrentStateGroup } from '../protocol/torrent-groups.js';
export { applyTorrentUpdate } from '../protocol/torrent-updates.js';
export type {
  AddedLink,
  AlertActive,
  AlertLevel,
  AlertResolved,
  ClipboardMonitorState,
  ClipboardStatus,
  ClusterLink,
  ComponentStatus,
  ConfigRejected,
  ConfigUpdated,
  CustomMetric,
  EventTypeData,
  FailedLink,
  LinkSource,
  LinkSummary,
  QbittorrentConnectionStatus,
  QbittorrentErrorCode,
  QbittorrentStatus,
  ServiceRestart,
  ServiceStart,
  ServiceStopping,
  SystemEvent,
  SystemMetrics,
} from '../protocol/event-data.js';
export type {
  Ack,
  ConnectionAck,
  ConnectionError,
  DataReply,
  ErrorPayload,
  Meta,
  Resumed,
  ServerMessage,
  ServerMessageData,
  SubscriptionsPayload,
} from '../protocol/server-messages.js';
