/**
 * One authenticated connection: what it is subscribed to, how fast it may send, and a guarded send
 * that keeps a slow reader from growing the server's memory. An idle connection holds only what it
 * needs: the rest is created when first used, and its heartbeat is the server's (heartbeat.ts).
 */
import type { WebSocket } from 'ws';
import type { Identity } from '../api-keys.js';
import { encodeFrame } from '../../hub/encode.js';
import { createEvent, type HubEvent } from '../../hub/event.js';
import type { Subscriber } from '../../hub/hub.js';
import { type SubscriptionLimits, Subscriptions } from '../../hub/subscriptions.js';
import { CloseCode, EventName, type EventType, mergeTorrentUpdate, type TorrentUpdated } from '../../protocol/index.js';
import { HeldReplay, sendsLive } from '../held-replay.js';
import { FrameWriter } from './frame-writer.js';
import { TokenBucket } from './rate-limiter.js';

/** One object shared by every session started under the same configuration. */
export interface SessionLimits {
  messagesPerSecond: number;
  burst: number;
  /** How long a paced replay may wait for the reader to take anything. */
  heartbeatTimeoutMs: number;
  sendBufferSoftBytes: number;
  sendBufferHardBytes: number;
  subscriptions: SubscriptionLimits;
}

/** Counters the server exposes (Prometheus, /healthz). */
export interface DeliveryStats {
  sent: number;
  conflated: number;
  slowConsumerCloses: number;
  rateLimited: number;
  heartbeatTimeouts: number;
}

const DRAIN_CHECK_MS = 50;
/** Most bytes one turn's writes to a socket wait for the end of the turn (at most the soft limit): more gain nothing from coalescing. */
const BATCH_MAX_BYTES = 64 * 1024;

export class Session implements Subscriber {
  readonly clientId: string;
  readonly identity: Identity;
  readonly endpoint: string;
  readonly eventTypes: readonly EventType[];
  readonly subscriptions: Subscriptions;
  /** Highest `seq` sent: live events at or below it are not sent again. */
  lastSeq = 0;
  /** The hub's `seq` when this connection was acknowledged: where live delivery began. */
  connectedAtSeq = 0;
  /** Set once the connection has resumed (by `?since` or a `resume` message): a second resume is refused. */
  resumed = false;

  readonly #ws: WebSocket;
  readonly #writer: FrameWriter;
  readonly #limits: SessionLimits;
  readonly #stats: DeliveryStats;
  /** Created at the client's first message: until then it would be full anyway. */
  #bucket: TokenBucket | undefined;
  /** Rejected messages since the last accepted one. */
  #strikes = 0;
  /** Live durable events held behind a resumption's replay (created at the first resumption). */
  #replay: HeldReplay | undefined;
  /** Latest pending performance frame per event name while the socket is congested (created then). */
  #conflated: Map<string, Buffer> | undefined;
  /** The `torrent.updated` deltas that arrived while the socket was congested, merged into one. */
  #pendingTorrents: { delta: TorrentUpdated; node: string | undefined } | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  /** The request built last (see `inTurn`). */
  #turn: Promise<void> | undefined;

  constructor(options: {
    ws: WebSocket;
    clientId: string;
    identity: Identity;
    endpoint: string;
    eventTypes: readonly EventType[];
    limits: SessionLimits;
    stats: DeliveryStats;
  }) {
    this.#ws = options.ws;
    this.#writer = new FrameWriter(options.ws);
    this.clientId = options.clientId;
    this.identity = options.identity;
    this.endpoint = options.endpoint;
    this.eventTypes = options.eventTypes;
    this.subscriptions = new Subscriptions(options.eventTypes, options.limits.subscriptions);
    this.#limits = options.limits;
    this.#stats = options.stats;
  }

  get isOpen(): boolean {
    return this.#ws.readyState === this.#ws.OPEN;
  }

  /** A live event from the hub: held during a replay, skipped if its `seq` was already sent. */
  deliver(event: HubEvent, frame: Buffer): void {
    if (sendsLive(this.#replay, this, event, frame)) this.replay(event, frame);
  }

  /** Sends an event now (even if older than what was sent live), through the slow-reader guard. */
  replay(event: HubEvent, frame: Buffer): void {
    if (event.seq !== undefined && event.seq > this.lastSeq) this.lastSeq = event.seq;
    if (!this.isOpen) return;
    const congested = this.#ws.bufferedAmount > this.#limits.sendBufferSoftBytes;
    if (event.type === 'performance' && (this.#conflated !== undefined || congested)) {
      this.#conflated ??= new Map();
      if (this.#conflated.has(event.name)) this.#stats.conflated += 1;
      this.#conflated.set(event.name, frame);
      this.#drainTimer ??= setTimeout(() => this.#drainConflated(), DRAIN_CHECK_MS);
      return;
    }
    // Table deltas are merged, never dropped: the merged one applied once equals them all in order.
    if (event.name === EventName.torrentUpdated && (congested || this.#pendingTorrents)) {
      if (this.#pendingTorrents) this.#stats.conflated += 1;
      this.#pendingTorrents ??= { delta: { changed: {}, removed: [] }, node: event.node };
      mergeTorrentUpdate(this.#pendingTorrents.delta, event.data as TorrentUpdated);
      this.#drainTimer ??= setTimeout(() => this.#drainConflated(), DRAIN_CHECK_MS);
      return;
    }
    this.#send(frame);
  }

  /** Sends a reply of the server's own (acknowledgement, error, pong, `data`...), through the same guard as events. */
  reply(text: string): void {
    if (this.isOpen) this.#send(Buffer.from(text));
  }

  /**
   * Runs `build` after the previous one of this connection has finished, and only while the socket is
   * open: a client asking for many large answers at once gets them built one at a time, so at most one
   * is in memory outside the send buffer, and once the slow-reader bound closes the connection the rest are not built.
   */
  inTurn(build: () => Promise<void>): Promise<void> {
    const run = (this.#turn ?? Promise.resolve()).then(() => (this.isOpen ? build() : undefined));
    this.#turn = run.catch(() => undefined);
    return run;
  }

  holdDurable(): void {
    this.#heldReplay().start();
  }

  /** The replay, then what was held, written as the reader drains; live events go straight out again once both are. */
  replayThenRelease(events: Iterable<[HubEvent, Buffer]>): Promise<void> {
    return this.#heldReplay().release(events);
  }

  /** Whether the client may send another message now; counts strikes toward a 4429 close. */
  admit(): { ok: true } | { ok: false; retryAfterMs: number; exhausted: boolean } {
    const bucket = (this.#bucket ??= new TokenBucket(this.#limits.messagesPerSecond, this.#limits.burst));
    if (bucket.take()) {
      this.#strikes = 0;
      return { ok: true };
    }
    this.#strikes += 1;
    this.#stats.rateLimited += 1;
    return { ok: false, retryAfterMs: bucket.retryAfterMs(), exhausted: this.#strikes >= 2 * this.#limits.burst };
  }

  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }

  /** Clears its timer; called once the socket has closed. */
  dispose(): void {
    clearTimeout(this.#drainTimer);
    this.#conflated = undefined;
    this.#pendingTorrents = undefined;
    this.#replay?.stop();
  }

  /** Created at the first resumption: a connection that never resumes does not carry it. */
  #heldReplay(): HeldReplay {
    return (this.#replay ??= new HeldReplay({
      buffered: () => this.#ws.bufferedAmount,
      isOpen: () => this.isOpen,
      sent: this,
      write: (_event, frame, flushed) => this.#send(frame, flushed),
      cut: () => this.#closeSlow(),
      softBytes: this.#limits.sendBufferSoftBytes,
      hardBytes: this.#limits.sendBufferHardBytes,
      stallMs: this.#limits.heartbeatTimeoutMs,
    }));
  }

  #closeSlow(): void {
    this.#replay?.drop();
    if (!this.isOpen) return;
    this.#stats.slowConsumerCloses += 1;
    this.close(CloseCode.SLOW_CONSUMER, 'slow consumer: reconnect and resume');
  }

  #drainConflated(): void {
    this.#drainTimer = undefined;
    if (!this.isOpen) return;
    if (this.#ws.bufferedAmount > this.#limits.sendBufferSoftBytes) {
      this.#drainTimer = setTimeout(() => this.#drainConflated(), DRAIN_CHECK_MS);
      return;
    }
    const frames = [...(this.#conflated?.values() ?? [])];
    this.#conflated = undefined;
    for (const frame of frames) this.#send(frame);
    if (this.#pendingTorrents) {
      const { delta, node } = this.#pendingTorrents;
      this.#pendingTorrents = undefined;
      this.#send(encodeFrame({ ...createEvent(EventName.torrentUpdated, delta), ...(node !== undefined && { node }) }));
    }
  }

  /**
   * The one way bytes reach the socket, coalesced with the others of this turn. A frame that would take
   * the backlog past the hard limit closes the connection instead (4408): a large reply counts like
   * many small events. A frame larger than the limit by itself still goes out when nothing is waiting,
   * so an answer is never refused for its size alone.
   */
  #send(frame: Buffer, flushed?: () => void): void {
    if (!this.isOpen) return;
    // The turn's batch goes to the kernel before a frame that would make it large, so that what the
    // bound reads as waiting is what the reader has not taken (and stays under the soft limit).
    if (this.#writer.pending + frame.length > Math.min(BATCH_MAX_BYTES, this.#limits.sendBufferSoftBytes)) this.#writer.flush();
    const buffered = this.#ws.bufferedAmount;
    if (buffered > 0 && buffered + frame.length > this.#limits.sendBufferHardBytes) {
      this.#closeSlow();
      return;
    }
    this.#stats.sent += 1;
    this.#writer.write(frame, flushed);
  }
}
