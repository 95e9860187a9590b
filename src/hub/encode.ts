/** Turns an event into the bytes of its envelope: done once per event, shared by every socket. */
import type { Meta } from '../protocol/index.js';
import type { HubEvent } from './event.js';

/** The envelope a client receives for the event, as an object. */
export function eventEnvelope(event: HubEvent, extraMeta?: Meta): object {
  const meta: Meta = { event: event.name, ...extraMeta };
  if (event.seq !== undefined) meta.seq = event.seq;
  if (event.node !== undefined) meta.node = event.node;
  return { type: event.type, id: event.id, timestamp: event.timestamp, data: event.data, meta };
}

/** The same as the text frame sent to every socket: encoded once per event (the Redis bus's own encoding is `encodeWireEvent`). */
export function encodeFrame(event: HubEvent, extraMeta?: Meta): Buffer {
  return Buffer.from(JSON.stringify(eventEnvelope(event, extraMeta)));
}

/** The bytes of an event whose `data` is already JSON (a large snapshot encoded once and sent to many). */
export function encodeFrameWithData(event: Omit<HubEvent, 'data'>, dataJson: string, extraMeta?: Meta): Buffer {
  const { data: _none, meta, ...head } = eventEnvelope({ ...event, data: {} } as HubEvent, extraMeta) as { data: unknown; meta: Meta };
  return Buffer.from(`${JSON.stringify(head).slice(0, -1)},"data":${dataJson},"meta":${JSON.stringify(meta)}}`);
}
