/**
 * The bus across nodes, over Redis. Durable events go into one stream that every node reads in order,
 * its own events included, so `seq` is one cluster-wide order; performance events go over pub/sub, and
 * control messages over a pub/sub channel per node. It implements `Bus`, so the hub does not know which bus it has.
 */
import { randomBytes } from 'node:crypto';
import { isoNow } from '../../protocol/envelope.js';
import type { Bus, ControlListener, ControlMessage } from '../bus.js';
import type { PublishEvent } from '../../protocol/index.js';
import { createEvent, type HubEvent, isDurable } from '../event.js';
import type { EventLog } from '../event-log.js';
import { isRedisAnswer, openConnections } from './connection.js';
import { createDelivery } from './delivery.js';
import { createFlushTracker } from './flush-tracker.js';
import { decodeWireEvent, decodeMessage, encodeMessage, type StreamEntry } from './event-codec.js';
import { clusterKeys } from './keys.js';
import { createOutbox } from './outbox.js';
import { type LogMark, openRedisEventLog } from './redis-event-log.js';
import { createStreamReader } from './stream-reader.js';

const DEFAULT_MAX_QUEUED_EVENTS = 10_000;

export interface RedisBusOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** This node's name: every event it publishes carries it (`meta.node`). */
  nodeId: string;
  /** Prefix of every key and channel (default "qbtm"): clusters with different prefixes share a Redis without meeting. */
  keyPrefix?: string;
  /** Durable events kept while Redis is away (default 10 000); past it the oldest are dropped and counted. */
  maxQueuedEvents?: number;
  /** An event that could not be delivered or appended, or a failure of the transport itself. */
  onError(error: unknown, event?: HubEvent): void;
  /**
   * Where this node keeps its high-water mark of the cluster's log (its data directory): read once at
   * connect, written as it reads on. With it, a Redis found behind the mark at start (rolled back while
   * this node was down) is a new log too. Without it, only a rollback seen while running is noticed.
   */
  mark?: { load(): LogMark | undefined; save(mark: LogMark): void };
}

/** How often, at most, the high-water mark is written while events arrive. */
const MARK_EVERY_MS = 200;

/** `live`: connected to Redis. `degraded`: Redis lost; local delivery goes on, durable events wait. */
export type ClusterState = 'live' | 'degraded' | 'closed';

export interface ClusterStateChange {
  from: ClusterState;
  to: ClusterState;
  at: string;
  /** Why the node degraded: the last connection error. */
  reason?: string;
  /**
   * On recovery: Redis lost the log this node had read (restarted without persistence, or from an older
   * snapshot): a new epoch applies, and `seq` jumped past every number issued before. Every node reports it.
   */
  dataLost?: boolean;
  /** Durable events waiting for Redis, and those dropped because the queue was full. */
  queued: number;
  dropped: number;
}

/** The node's view of the cluster, for `/healthz`. */
export interface ClusterHealth {
  node: string;
  state: ClusterState;
  /** When it entered this state. */
  since: string;
  queued_events: number;
  dropped_events: number;
  /** The `seq` of the last durable event this node read from the stream. */
  last_seq_read: number;
  /** The epoch of the log this node reads. */
  epoch: string;
  /** While degraded: why. */
  last_error?: string;
}

export interface RedisBus extends Bus {
  readonly node: string;
  /** The cluster's event log, for the hub's resumption and the retention timer. */
  readonly log: EventLog;
  /**
   * Delivers an event to this node's listeners only, at once, whatever the link to Redis: no `seq`,
   * not logged, not sent to the other nodes. For news about this node's own link to the cluster.
   */
  publishLocal: PublishEvent;
  health(): ClusterHealth;
  /** Called on every change of state: degraded, live again (recovered), closed. Returns the unsubscribe function. */
  onStateChange(listener: (change: ClusterStateChange) => void): () => void;
  /** Ends every connection and loop. Durable events still queued (Redis away) are reported through `onError` and dropped. */
  close(): Promise<void>;
}

/** Connects to Redis; rejects with a `RedisUnreachableError` naming the URL (password hidden) when it cannot. */
export async function connectRedisBus(options: RedisBusOptions): Promise<RedisBus> {
  const { nodeId, onError } = options;
  const keys = clusterKeys(options.keyPrefix);
  // Unique per process run: how this bus recognises its own events, and numbers its outbox in Redis.
  const origin = randomBytes(8).toString('hex');
  const { deliver, subscribe } = createDelivery(onError);
  const connections = await openConnections(options.url, nodeId);
  const [command, reading, subscriber] = connections;
  const controlChannel = keys.control(nodeId);
  const controlListeners = new Set<ControlListener>();

  subscriber.on('message', (channel: string, message: string) => {
    if (channel === controlChannel) {
      receiveControl(message);
      return;
    }
    const { origin: from, text } = decodeMessage(message);
    // Its own were delivered when published.
    if (from === origin) return;
    try {
      deliver(decodeWireEvent(text));
    } catch (error) {
      onError(error);
    }
  });

  function receiveControl(text: string): void {
    let message: ControlMessage;
    try {
      message = JSON.parse(text) as ControlMessage;
    } catch (error) {
      onError(error);
      return;
    }
    for (const listener of controlListeners) {
      try {
        listener(message);
      } catch (error) {
        onError(error);
      }
    }
  }

  // Subscribed again on every reconnection here rather than by ioredis, which leaves a failure of that unhandled.
  const listen = () => subscriber.subscribe(keys.live, controlChannel);
  let log: Awaited<ReturnType<typeof openRedisEventLog>>;
  let lastSeq: number;
  try {
    await listen();
    log = await openRedisEventLog(command, keys, options.mark?.load());
    lastSeq = await log.lastSeq();
  } catch (error) {
    for (const connection of connections) connection.disconnect();
    throw error;
  }

  const stateListeners = new Set<(change: ClusterStateChange) => void>();
  let state: ClusterState = 'live';
  let stateSince = Date.now();
  let lastError: string | undefined;

  const flushes = createFlushTracker();
  /** publishDurable's events by outbox number, until the stream brings them back or Redis refuses them. */
  const recording = new Map<
    number,
    { event: HubEvent; resolve(event: HubEvent): void; reject(error: unknown): void; onRecorded?: (event: HubEvent) => void }
  >();

  const outbox = createOutbox({
    log,
    origin,
    limit: options.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_EVENTS,
    onRefused(error, event, n) {
      const waiting = recording.get(n);
      recording.delete(n);
      if (waiting) waiting.reject(error);
      else onError(error, event);
      flushes.settle(n);
    },
  });

  const reader = createStreamReader({
    redis: reading,
    key: keys.events,
    after: lastSeq,
    onEntry(entry: StreamEntry) {
      const waiting = entry.origin === origin && entry.n !== undefined ? recording.get(entry.n) : undefined;
      let event: HubEvent | undefined;
      try {
        event = decodeWireEvent(entry.event, entry.seq);
        if (waiting) putInForce(waiting, event);
        deliver(event);
      } catch (error) {
        onError(error);
      }
      if (entry.origin === origin && entry.n !== undefined) {
        flushes.settle(entry.n);
        recording.delete(entry.n);
        if (waiting && event) waiting.resolve(event);
      }
      markTimer ??= setTimeout(saveMark, MARK_EVERY_MS);
    },
    onError,
  });

  let markTimer: NodeJS.Timeout | undefined;
  function saveMark(): void {
    clearTimeout(markTimer);
    markTimer = undefined;
    try {
      options.mark?.save({ epoch: log.epoch, seq: reader.position });
    } catch (error) {
      onError(error);
    }
  }

  function setState(to: ClusterState, details: Pick<ClusterStateChange, 'reason' | 'dataLost'> = {}): void {
    if (to === state) return;
    const change: ClusterStateChange = { from: state, to, at: isoNow(), ...details, queued: outbox.size, dropped: outbox.dropped };
    state = to;
    stateSince = Date.now();
    // Nothing more reaches the stream until Redis is back: a flush has nothing to wait for, and an
    // event in the outbox is as kept as the other durable events of a degraded node.
    if (to !== 'live') {
      flushes.releaseAll();
      settleRecording(to === 'closed' ? new Error('the cluster bus closed before Redis recorded the event') : undefined);
    }
    for (const listener of stateListeners) {
      try {
        listener(change);
      } catch (error) {
        onError(error);
      }
    }
  }

  /** Ends every publishDurable wait: accepted while degraded (queued for Redis), refused when closing. */
  function settleRecording(error: Error | undefined): void {
    const waiting = [...recording.values()];
    recording.clear();
    for (const entry of waiting) {
      if (error) {
        entry.reject(error);
      } else {
        putInForce(entry, entry.event);
        entry.resolve(entry.event);
      }
    }
  }

  /** Runs what a recorded event announces before anyone receives it; its failure is a bug, reported, the event stays recorded. */
  function putInForce(waiting: { onRecorded?: (event: HubEvent) => void }, event: HubEvent): void {
    try {
      waiting.onRecorded?.(event);
    } catch (error) {
      onError(error, event);
    }
  }

  let recovering = false;
  /** A new epoch found since the node was last live: reported when it is live again. */
  let dataLost = false;
  async function recover(): Promise<void> {
    if (state !== 'degraded' || recovering || !connections.every((c) => c.status === 'ready')) return;
    recovering = true;
    try {
      // Before reading on, so that no event of a new log reaches this node's clients under the old epoch.
      if (await log.syncEpoch(reader.position)) {
        dataLost = true;
        saveMark();
      }
      if (state !== 'degraded' || !connections.every((c) => c.status === 'ready')) return;
      lastError = undefined;
      setState('live', { dataLost });
      dataLost = false;
      reader.follow();
      void outbox.drain();
    } catch (error) {
      // A connection failed again: its next `ready` tries again.
      if (isRedisAnswer(error)) onError(error);
    } finally {
      recovering = false;
    }
  }

  for (const connection of connections) {
    connection.on('error', (error: Error) => {
      lastError = error.message;
    });
    connection.on('close', () => {
      if (state === 'live') setState('degraded', { reason: lastError ?? 'connection to Redis closed' });
    });
    connection.on('ready', () => void recover());
  }

  subscriber.on('ready', () => {
    listen().catch(() => undefined);
  });
  reader.follow();

  /**
   * Performance events of this turn on their way to the other nodes: sent together at the turn's end
   * in one pipeline (one write), so a tick's figures reach Redis, and so the nodes, together, and the
   * nodes write them to their sockets in one turn (docs/performance.md, cluster latency).
   */
  let outgoing: HubEvent[] = [];
  function sendLive(): void {
    const events = outgoing;
    outgoing = [];
    if (state !== 'live') return;
    const pipeline = command.pipeline();
    for (const event of events) pipeline.publish(keys.live, encodeMessage(origin, event));
    pipeline.exec().then(
      (results) =>
        results?.forEach(([error], i) => {
          if (isRedisAnswer(error)) onError(error, events[i]);
        }),
      (error: unknown) => {
        if (isRedisAnswer(error)) onError(error);
      },
    );
  }

  let closing: Promise<void> | undefined;
  return {
    node: nodeId,
    log,
    publish(name, data) {
      if (state === 'closed') return;
      const event = createEvent(name, data);
      event.node = nodeId;
      if (isDurable(event)) {
        flushes.published(outbox.push(event));
        if (state === 'live') void outbox.drain();
        return;
      }
      // Performance: here at once, and to the other nodes while Redis is there (not durable: none is kept for later).
      deliver(event);
      if (state === 'live' && outgoing.push(event) === 1) process.nextTick(sendLive);
    },
    publishDurable(name, data, onRecorded) {
      if (state === 'closed') return Promise.reject(new Error('the cluster bus is closed'));
      const event = createEvent(name, data);
      event.node = nodeId;
      if (!isDurable(event)) return Promise.reject(new Error(`${name} is not a durable event`));
      const n = outbox.push(event);
      flushes.published(n);
      const recorded = new Promise<HubEvent>((resolve, reject) => recording.set(n, { event, resolve, reject, onRecorded }));
      // Degraded: queued like every durable event of this node, appended when Redis is back.
      if (state === 'live') void outbox.drain();
      else settleRecording(undefined);
      return recorded;
    },
    publishLocal(name, data) {
      if (state === 'closed') return;
      const event = createEvent(name, data);
      event.node = nodeId;
      deliver(event);
    },
    subscribe,
    async sendTo(node, message) {
      if (state !== 'live' || node === undefined) return false;
      const text = JSON.stringify({ ...message, from: nodeId } satisfies ControlMessage);
      try {
        // PUBLISH answers how many connections took it: 0 when that node is not listening.
        return (await command.publish(keys.control(node), text)) > 0;
      } catch (error) {
        if (isRedisAnswer(error)) onError(error);
        return false;
      }
    },
    onControl(listener) {
      controlListeners.add(listener);
      return () => controlListeners.delete(listener);
    },
    flush() {
      return state === 'live' ? flushes.wait() : Promise.resolve();
    },
    health() {
      return {
        node: nodeId,
        state,
        since: isoNow(stateSince),
        queued_events: outbox.size,
        dropped_events: outbox.dropped,
        last_seq_read: reader.position,
        epoch: log.epoch,
        ...(state === 'degraded' && lastError !== undefined ? { last_error: lastError } : {}),
      };
    },
    onStateChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    close() {
      closing ??= (async () => {
        const unsent = outbox.size;
        setState('closed');
        await reader.close();
        saveMark();
        subscriber.disconnect();
        command.disconnect();
        if (unsent > 0) onError(new Error(`closed with ${unsent} durable events never appended to Redis`));
      })();
      return closing;
    },
  };
}
