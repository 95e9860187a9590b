/** The unit that flows from sources through the bus to the hub: an event with its envelope fields stamped, its data typed by its type. */
import {
  type EventDataOf,
  type EventNameOf,
  type EventType,
  type EventTypeData,
  isDurableEvent,
  parseEventName,
} from '../protocol/index.js';
import { isoNow, newMessageId } from '../protocol/envelope.js';

/** Data of no particular shape: what control messages carry, and what subscription filters read. */
export type EventData = Record<string, unknown>;

interface EventOfType<T extends EventType> {
  /** `<type>.<subtype>`, e.g. `alert.cpu`. */
  name: string;
  type: T;
  subtype: string;
  /** Envelope id, kept when the event is replayed. */
  id: string;
  timestamp: string;
  /**
   * One of the shapes the protocol gives events of this type (checking `type`, then a field such as
   * `status`, narrows it), and whatever else it carries: the schemas are open, and filters read any field.
   */
  data: EventTypeData[T] & EventData;
  /** Set on durable events by the event log. */
  seq?: number;
  /** The node that produced it, in cluster mode. */
  node?: string;
}

/** An event of one of the types T (of any type by default). */
export type HubEvent<T extends EventType = EventType> = { [K in T]: EventOfType<K> }[T];

/** Stamps an event: validates the name, gives it an id and a timestamp. Throws on a bad name (a programming error). */
export function createEvent<N extends EventNameOf>(name: N, data: EventDataOf<N>, now = Date.now()): HubEvent {
  const parsed = parseEventName(name);
  if (!parsed) throw new Error(`invalid event name "${name}"`);
  return { name, type: parsed.type, subtype: parsed.subtype, id: newMessageId(parsed.type), timestamp: isoNow(now), data } as HubEvent;
}

export function isDurable(event: Pick<HubEvent, 'type' | 'subtype'>): boolean {
  return isDurableEvent(event.type, event.subtype);
}
