/** Shapes of two REST reads beside the WebSocket: recent events from the event log, and each component's status as it is now. */
import { type Static, Type } from '@sinclair/typebox';
import { ClipboardStatusData, ComponentStatusData, QbittorrentStatusData } from './event-data.js';
import { MetaSchema } from './server-messages.js';

/** A durable event as a WebSocket client receives it, `meta.seq` included. */
export const LoggedEvent = Type.Object(
  {
    type: Type.String(),
    id: Type.String(),
    timestamp: Type.String({ format: 'date-time' }),
    data: Type.Unknown(),
    meta: MetaSchema,
  },
  { additionalProperties: true },
);

/** `GET /api/v1/events/history?events=&before=&limit=`: the log's durable events, newest first. */
export const EventHistoryReply = Type.Object({
  epoch: Type.String({ description: "The event log's epoch: the `seq`s count in it." }),
  last_seq: Type.Integer({
    minimum: 0,
    description: "The log's last `seq` when read: resume a WebSocket from here to miss nothing after this page.",
  }),
  events: Type.Array(LoggedEvent),
  next_before: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Pass as `before` for older events; null when the log holds none older.',
  }),
});

/** `GET /api/v1/status`: each component's status as it is at the moment of the request, e.g. the clipboard's last check. */
export const ComponentStatusReply = Type.Object({
  components: Type.Array(Type.Union([QbittorrentStatusData, ClipboardStatusData, ComponentStatusData])),
  node: Type.Optional(
    Type.String({ description: 'Cluster mode: the node that answered; components switched off there say `stopped` or `not_configured`.' }),
  ),
});

export type LoggedEvent = Static<typeof LoggedEvent>;
export type EventHistoryReply = Static<typeof EventHistoryReply>;
export type ComponentStatusReply = Static<typeof ComponentStatusReply>;
