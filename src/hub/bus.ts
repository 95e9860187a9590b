/** The bus carries events from sources to every hub. The local bus is one process; a Redis bus can fill the same interface. */
import { createEvent, type EventData, type HubEvent, isDurable } from './event.js';
import type { EventLog } from './event-log.js';

export type EventListener = (event: HubEvent) => void;

export interface Bus {
  /** Stamps and sends an event; durable ones are numbered by the event log first. */
  publish(name: string, data: EventData): void;
  /** Every event, in `seq` order, from every publisher. Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Resolves when every event published so far has been delivered. */
  flush(): Promise<void>;
}

export interface LocalBusOptions {
  log: EventLog;
  onError: (error: unknown, event: HubEvent) => void;
}

/**
 * In-process bus. Publishing queues; one drain loop appends durable events to the log and delivers
 * in order, so an event published while another is being delivered never overtakes it.
 */
export function createLocalBus({ log, onError }: LocalBusOptions): Bus {
  const listeners = new Set<EventListener>();
  const queue: HubEvent[] = [];
  let draining = false;
  let idle: Promise<void> = Promise.resolve();

  // Runs synchronously until the first durable event, which waits for its `seq`.
  async function drain(): Promise<void> {
    try {
      for (let event = queue.shift(); event; event = queue.shift()) {
        try {
          const delivered = isDurable(event) ? await log.append(event) : event;
          for (const listener of listeners) listener(delivered);
        } catch (error) {
          onError(error, event);
        }
      }
    } finally {
      draining = false;
    }
  }

  return {
    publish(name, data) {
      queue.push(createEvent(name, data));
      if (!draining) {
        draining = true;
        idle = drain();
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flush: () => idle,
  };
}
