/** The bus carries events from sources to every hub, and control messages between nodes. The local bus is one process; the Redis bus fills the same interface. */
import type { EventDataOf, EventNameOf, PublishEvent } from '../protocol/index.js';
import { createEvent, type EventData, type HubEvent, isDurable } from './event.js';
import type { EventLog } from './event-log.js';

export type EventListener = (event: HubEvent) => void;

/** A request or answer between nodes: not an event, so no client receives it and no log records it. */
export interface ControlMessage {
  /** What it asks or answers, e.g. `resolve_alert`. */
  name: string;
  data: EventData;
  /** The sending node, set by the bus (undefined in one process). */
  from?: string;
}

export type ControlListener = (message: ControlMessage) => void;

/**
 * Publishes a durable event and resolves once it is recorded (Bus.publishDurable). `onRecorded` runs
 * once the log has the event and before anyone receives it: what the event announces is put in force
 * there, so that no one hears of a change that is not yet made, nor sees one never recorded.
 */
export type PublishDurable = <N extends EventNameOf>(
  name: N,
  data: EventDataOf<N>,
  onRecorded?: (event: HubEvent) => void,
) => Promise<HubEvent>;

export interface Bus {
  /** This node's id in a cluster: every event it publishes carries it as `node`. Undefined in one process. */
  readonly node?: string;
  /** Stamps and sends an event, its data the shape the protocol gives its name; durable ones are numbered by the event log first. */
  publish: PublishEvent;
  /**
   * Publishes a durable event for an operation that must not report success unless it is kept:
   * resolves with the event (and its `seq`) once the log has taken it, rejects with the log's error
   * when it could not, and then nobody receives it.
   */
  publishDurable: PublishDurable;
  /** Every event, in `seq` order, from every publisher. Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Resolves when every event published so far has been delivered. */
  flush(): Promise<void>;
  /**
   * Sends a control message to one node, now or never (no queue, no retry); resolves whether that
   * node was there to receive it. `undefined` names the node of one process.
   */
  sendTo(node: string | undefined, message: Omit<ControlMessage, 'from'>): Promise<boolean>;
  /** Control messages sent to this node. Returns the unsubscribe function. */
  onControl(listener: ControlListener): () => void;
}

/** Whether this node produced the event: a sample of its own host, a status of its own components. Always, in one process. */
export function isOwnEvent(bus: Pick<Bus, 'node'>, event: HubEvent): boolean {
  return event.node === bus.node;
}

/** An event waiting for delivery; `recorded` is told whether the log took it, for publishDurable. */
interface Queued {
  event: HubEvent;
  recorded?: { resolve(event: HubEvent): void; reject(error: unknown): void; onRecorded?: (event: HubEvent) => void };
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
  const controlListeners = new Set<ControlListener>();
  const queue: Queued[] = [];
  let draining = false;
  let idle: Promise<void> = Promise.resolve();

  // Runs synchronously until the first durable event, which waits for its `seq`.
  async function drain(): Promise<void> {
    try {
      for (let queued = queue.shift(); queued; queued = queue.shift()) {
        const { event, recorded } = queued;
        let delivered: HubEvent;
        try {
          delivered = isDurable(event) ? await log.append(event) : event;
        } catch (error) {
          if (recorded) recorded.reject(error);
          else onError(error, event);
          continue;
        }
        try {
          recorded?.onRecorded?.(delivered);
        } catch (error) {
          // Recorded all the same: a failure of what it put in force is a bug to report, not an unrecorded event.
          onError(error, event);
        }
        try {
          for (const listener of listeners) listener(delivered);
        } catch (error) {
          onError(error, event);
        }
        recorded?.resolve(delivered);
      }
    } finally {
      draining = false;
    }
  }

  function enqueue(queued: Queued): void {
    queue.push(queued);
    if (!draining) {
      draining = true;
      idle = drain();
    }
  }

  return {
    publish(name, data) {
      enqueue({ event: createEvent(name, data) });
    },
    publishDurable(name, data, onRecorded) {
      const event = createEvent(name, data);
      if (!isDurable(event)) return Promise.reject(new Error(`${name} is not a durable event`));
      return new Promise((resolve, reject) => enqueue({ event, recorded: { resolve, reject, onRecorded } }));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flush: () => idle,
    // The only node there is: a message to it is a message to this process.
    async sendTo(node, message) {
      if (node !== undefined) return false;
      for (const listener of controlListeners) listener(message);
      return true;
    },
    onControl(listener) {
      controlListeners.add(listener);
      return () => controlListeners.delete(listener);
    },
  };
}
