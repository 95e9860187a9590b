/**
 * Schemas of what the server sends: the envelope, the replies' `data` (the events' are in
 * event-data.ts), and the map from message type to data that types the server's envelopes and the
 * SDK. They generate docs/asyncapi.yaml.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { FiltersSchema } from './client-messages.js';
import {
  AlertActiveData,
  AlertResolvedData,
  ClipboardStatusData,
  ClusterLinkData,
  ComponentStatusData,
  ConfigRejectedData,
  ConfigUpdatedData,
  CustomMetricData,
  type EventTypeData,
  QbittorrentStatusData,
  ServiceRestartData,
  ServiceStartData,
  ServiceStoppingData,
  SystemEventData,
  SystemMetricsData,
} from './event-data.js';
import type { ServerMessageType } from './message-types.js';
import { QbittorrentTransferData, TorrentLifecycleData, TorrentListData, TorrentUpdatedData } from './torrents.js';

const IsoTime = Type.String({ format: 'date-time' });
const Open = { additionalProperties: true } as const;

export const MetaSchema = Type.Object(
  {
    event: Type.Optional(Type.String({ description: 'The event name (`<type>.<subtype>`, e.g. `alert.cpu`) on every event.' })),
    seq: Type.Optional(Type.Integer({ minimum: 1, description: 'Sequence number of durable events, for resumption.' })),
    reply_to: Type.Optional(Type.String({ description: 'The `id` of the client message this answers.' })),
    snapshot: Type.Optional(Type.Literal(true, { description: 'State sent on connect, not a new event.' })),
    replay: Type.Optional(Type.Literal(true, { description: 'A missed event resent on resumption.' })),
    node: Type.Optional(Type.String({ description: 'The server node that produced the event (cluster mode).' })),
  },
  Open,
);
export type Meta = Static<typeof MetaSchema>;

export const ConnectionAckData = Type.Object(
  {
    status: Type.Literal('connected'),
    client_id: Type.String(),
    server_time: IsoTime,
    role: Type.Union([Type.Literal('read'), Type.Literal('admin')]),
    endpoint: Type.String(),
    event_types: Type.Array(Type.String()),
    last_seq: Type.Integer({ minimum: 0 }),
    epoch: Type.String({
      description: "The event log's epoch: resume with `?since=<seq>&epoch=<epoch>`; a different one on reconnecting means a new log.",
    }),
    heartbeat_interval_ms: Type.Integer(),
    node: Type.Optional(Type.String({ description: 'The node this connection is served by (cluster mode).' })),
  },
  Open,
);
export const ConnectionErrorData = Type.Object({ status: Type.Literal('error'), error_code: Type.String(), message: Type.String() }, Open);

export const ErrorData = Type.Object(
  {
    code: Type.String(),
    message: Type.String(),
    retry_after: Type.Optional(Type.Integer({ minimum: 0, description: 'Milliseconds to wait before retrying.' })),
  },
  Open,
);

const SubscriptionEntry = Type.Object({ pattern: Type.String(), filters: FiltersSchema });
export const SubscriptionsData = Type.Object({
  events: Type.Array(Type.String(), { description: 'The patterns this request named.' }),
  subscriptions: Type.Array(SubscriptionEntry, { description: 'Every subscription now in force.' }),
  unfiltered_types: Type.Array(Type.String(), { description: 'Types still delivered in full (never narrowed).' }),
});

const Sample = Type.Object({
  timestamp: IsoTime,
  value: Type.Number({ description: 'The sample, or the average of a bucket.' }),
  min: Type.Optional(Type.Number({ description: "A bucket's lowest sample." })),
  max: Type.Optional(Type.Number({ description: "A bucket's highest sample." })),
});
export const DataReplyData = Type.Object(
  {
    history_minutes: Type.Number(),
    metrics: Type.Record(
      Type.String(),
      Type.Object(
        {
          current: Type.Union([Type.Number(), Type.Null()]),
          unit: Type.Optional(Type.String()),
          step_seconds: Type.Number({ description: '0: raw samples; else each sample is a bucket of this many seconds.' }),
          samples: Type.Array(Sample),
        },
        Open,
      ),
    ),
    unknown_metrics: Type.Array(Type.String()),
  },
  Open,
);

export const ResumedData = Type.Object({
  since: Type.Integer({ minimum: 0 }),
  last_seq: Type.Integer({ minimum: 0 }),
  replayed: Type.Integer({ minimum: 0 }),
  gap: Type.Boolean({
    description:
      'True when the log cannot show every event after `since` (another epoch, pruned, lost, or more than `server.max_replay_events`): a snapshot was sent instead.',
  }),
  epoch: Type.String({ description: "The event log's epoch: what the next resumption sends with its `since`." }),
});

export const AckData = Type.Object(
  {
    request: Type.String({ description: 'The client message type acknowledged.' }),
    alert_id: Type.Optional(Type.String({ description: 'resolve_alert: the alert resolved.' })),
  },
  Open,
);

/** The envelope every server message shares, for a given `type` and `data` schema. */
export function envelopeSchema(type: string, data?: TSchema): TSchema {
  return Type.Object({
    type: Type.Literal(type),
    id: Type.String(),
    timestamp: IsoTime,
    ...(data ? { data } : {}),
    meta: Type.Optional(MetaSchema),
  });
}

/** Every server message by name (AsyncAPI message id) with its `type` and `data` schema. */
export const SERVER_MESSAGES = {
  connectionAck: { type: 'connection', data: ConnectionAckData },
  connectionError: { type: 'connection', data: ConnectionErrorData },
  systemMetrics: { type: 'performance', data: SystemMetricsData },
  customMetric: { type: 'performance', data: CustomMetricData },
  alertActive: { type: 'alert', data: AlertActiveData },
  alertResolved: { type: 'alert', data: AlertResolvedData },
  clipboardStatus: { type: 'status', data: ClipboardStatusData },
  qbittorrentStatus: { type: 'status', data: QbittorrentStatusData },
  componentStatus: { type: 'status', data: ComponentStatusData },
  configUpdated: { type: 'config', data: ConfigUpdatedData },
  configRejected: { type: 'config', data: ConfigRejectedData },
  serviceStart: { type: 'system', data: ServiceStartData },
  serviceRestart: { type: 'system', data: ServiceRestartData },
  serviceStopping: { type: 'system', data: ServiceStoppingData },
  systemEvent: { type: 'system', data: SystemEventData },
  clusterLink: { type: 'system', data: ClusterLinkData },
  qbittorrentTransfer: { type: 'performance', data: QbittorrentTransferData },
  torrentLifecycle: { type: 'torrent', data: TorrentLifecycleData },
  torrentList: { type: 'torrent', data: TorrentListData },
  torrentUpdated: { type: 'torrent', data: TorrentUpdatedData },
  error: { type: 'error', data: ErrorData },
  pong: { type: 'pong', data: undefined },
  subscribed: { type: 'subscribed', data: SubscriptionsData },
  unsubscribed: { type: 'unsubscribed', data: SubscriptionsData },
  data: { type: 'data', data: DataReplyData },
  resumed: { type: 'resumed', data: ResumedData },
  ack: { type: 'ack', data: AckData },
} as const;

// A server message type with no entry above does not compile: it would have to be one of these keys.
type Described = (typeof SERVER_MESSAGES)[keyof typeof SERVER_MESSAGES]['type'];
const _everyTypeDescribed: Record<Exclude<ServerMessageType, Described>, never> = {};

export type ConnectionAck = Static<typeof ConnectionAckData>;
export type ConnectionError = Static<typeof ConnectionErrorData>;
export type ErrorPayload = Static<typeof ErrorData>;
export type SubscriptionsPayload = Static<typeof SubscriptionsData>;
export type DataReply = Static<typeof DataReplyData>;
export type Resumed = Static<typeof ResumedData>;
export type Ack = Static<typeof AckData>;

/** `data` of each server message type: the events' by their type (EventTypeData), the replies' by their schemas. */
export type ServerMessageData = EventTypeData & {
  connection: ConnectionAck | ConnectionError;
  error: ErrorPayload;
  pong: undefined;
  subscribed: SubscriptionsPayload;
  unsubscribed: SubscriptionsPayload;
  data: DataReply;
  resumed: Resumed;
  ack: Ack;
};

/** A server message of type K (of any type by default); mapping over ServerMessageType fails to compile if a type lacks its data. */
export type ServerMessage<K extends ServerMessageType = ServerMessageType> = {
  [T in K]: { type: T; id: string; timestamp: string; data: ServerMessageData[T]; meta?: Meta };
}[K];
