/** The unit that flows from sources through the bus to the hub: an event with its envelope fields stamped. */
import { DURABLE_EVENT_TYPES, type EventType, parseEventName } from '../protocol/index.js';
import { isoNow, newMessageId } from '../protocol/envelope.js';

export type EventData = Record<string, unknown>;

export interface HubEvent {
  /** `<type>.<subtype>`, e.g. `alert.cpu`. */
  name: string;
  type: EventType;
  subtype: string;
  /** Envelope id, kept when the event is replayed. */
  id: string;
  timestamp: string;
  data: EventData;
  /** Set on durable events by the event log. */
  seq?: number;
  /** The node that produced it, in cluster mode. */
  node?: string;
}

/** Stamps an event: validates the name, gives it an id and a timestamp. Throws on a bad name (a programming error). */
export function createEvent(name: string, data: EventData, now = Date.now()): HubEvent {
  const parsed = parseEventName(name);
  if (!parsed) throw new Error(`invalid event name "${name}"`);
  return { name, type: parsed.type, subtype: parsed.subtype, id: newMessageId(parsed.type), timestamp: isoNow(now), data };
}

export function isDurable(event: Pick<HubEvent, 'type'>): boolean {
  return DURABLE_EVENT_TYPES.has(event.type);
}
