/** Turns an event into the bytes of its envelope: done once per event, shared by every socket. */
import type { Meta } from '../protocol/index.js';
import type { HubEvent } from './event.js';

export function eventEnvelope(event: HubEvent, extraMeta?: Meta): object {
  const meta: Meta = { event: event.name, ...extraMeta };
  if (event.seq !== undefined) meta.seq = event.seq;
  if (event.node !== undefined) meta.node = event.node;
  return { type: event.type, id: event.id, timestamp: event.timestamp, data: event.data, meta };
}

export function encodeEvent(event: HubEvent, extraMeta?: Meta): Buffer {
  return Buffer.from(JSON.stringify(eventEnvelope(event, extraMeta)));
}
