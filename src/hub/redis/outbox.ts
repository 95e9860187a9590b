/**
 * This node's durable events on their way into the log: a bounded queue, appended in order with
 * several in flight on one connection. Each is numbered, so re-sending one whose reply was lost with
 * the connection is a no-op in Redis: nothing is lost or recorded twice across an outage.
 */
import type { HubEvent } from '../event.js';
import { isRedisAnswer } from './connection.js';
import type { RedisEventLog } from './redis-event-log.js';

/** Appends sent before waiting for their replies. */
const IN_FLIGHT = 64;

export interface OutboxOptions {
  log: RedisEventLog;
  /** This bus instance, unique per process run. */
  origin: string;
  /** Events kept while Redis is away; past it the oldest is dropped and counted. */
  limit: number;
  /** Redis refused to append this event (not a connection failure): it is dropped. */
  onRefused(error: unknown, event: HubEvent, n: number): void;
}

export interface Outbox {
  /** Queues an event and returns its number (1, 2, 3... in publishing order). */
  push(event: HubEvent): number;
  /** Appends what is queued until the queue is empty or the connection fails; call it again when Redis is back. */
  drain(): Promise<void>;
  /** Events waiting to be appended. */
  readonly size: number;
  /** Events dropped because the queue was full. */
  readonly dropped: number;
}

interface Item {
  event: HubEvent;
  n: number;
}

export function createOutbox({ log, origin, limit, onRefused }: OutboxOptions): Outbox {
  let queue: Item[] = [];
  let numbered = 0;
  let dropped = 0;
  let draining = false;
  let drained: Promise<void> = Promise.resolve();

  // Clears `draining` in the same step that finds the queue empty, so a push right after starts a new drain.
  async function appendQueued(): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, IN_FLIGHT);
        queue = queue.slice(batch.length);
        const results = await Promise.allSettled(batch.map(({ event, n }) => log.appendFromOutbox(event, origin, n)));
        const lost = results.findIndex((result) => result.status === 'rejected' && !isRedisAnswer(result.reason));
        (lost < 0 ? results : results.slice(0, lost)).forEach((result, i) => {
          if (result.status === 'rejected') onRefused(result.reason, batch[i]!.event, batch[i]!.n);
        });
        if (lost >= 0) {
          // The connection failed: from the first unconfirmed append on, try again in order when it is back.
          queue = [...batch.slice(lost), ...queue];
          return;
        }
      }
    } finally {
      draining = false;
    }
  }

  return {
    push(event) {
      numbered += 1;
      queue.push({ event, n: numbered });
      if (queue.length > limit) {
        queue.shift();
        dropped += 1;
      }
      return numbered;
    },
    drain() {
      if (!draining) {
        draining = true;
        drained = appendQueued();
      }
      return drained;
    },
    get size() {
      return queue.length;
    },
    get dropped() {
      return dropped;
    },
  };
}
