/** Hands events to the bus's listeners one at a time, in arrival order: a listener that publishes never re-enters delivery. */
import type { EventListener } from '../bus.js';
import type { HubEvent } from '../event.js';

export interface Delivery {
  deliver(event: HubEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
}

/** `onError` gets what a listener threw; the other listeners still get the event. */
export function createDelivery(onError: (error: unknown, event: HubEvent) => void): Delivery {
  const listeners = new Set<EventListener>();
  const queue: HubEvent[] = [];
  let delivering = false;

  return {
    deliver(event) {
      queue.push(event);
      if (delivering) return;
      delivering = true;
      try {
        for (let next = queue.shift(); next; next = queue.shift()) {
          for (const listener of listeners) {
            try {
              listener(next);
            } catch (error) {
              onError(error, next);
            }
          }
        }
      } finally {
        delivering = false;
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
