/**
 * One server-sent-events stream (GET /api/v1/events): a hub subscriber like a WebSocket session,
 * writing `event:` / `id:` / `data:` records, every byte through the same slow-reader bound.
 */
import type { ServerResponse } from 'node:http';
import type { HubEvent } from '../../hub/event.js';
import type { Subscriber } from '../../hub/hub.js';
import type { Subscriptions } from '../../hub/subscriptions.js';
import type { EventType } from '../../protocol/index.js';
import { HeldReplay, sendsLive } from '../held-replay.js';

export interface SseLimits {
  sendBufferSoftBytes: number;
  sendBufferHardBytes: number;
  keepAliveMs: number;
  /** A replay the reader takes no byte of for this long is cut. */
  replayStallMs: number;
}

/** Counters the server exposes (Prometheus). */
export interface SseStats {
  sent: number;
  conflated: number;
  slowConsumerCloses: number;
}

const DRAIN_CHECK_MS = 50;
const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');
const RECORD_END = Buffer.from('\n\n');

export class SseStream implements Subscriber {
  readonly clientId: string;
  readonly eventTypes: readonly EventType[];
  readonly subscriptions: Subscriptions;
  /** Highest `seq` sent: live events at or below it are not sent again. */
  lastSeq = 0;

  readonly #response: ServerResponse;
  readonly #limits: SseLimits;
  readonly #stats: SseStats;
  /** Live durable events held behind a resumption's replay (created at the first resumption). */
  #replay: HeldReplay | undefined;
  /** Latest pending performance record per event name while the stream is congested. */
  readonly #conflated = new Map<string, [HubEvent, Buffer]>();
  #drainTimer: NodeJS.Timeout | undefined;
  readonly #keepAlive: NodeJS.Timeout;

  constructor(options: {
    response: ServerResponse;
    clientId: string;
    eventTypes: readonly EventType[];
    subscriptions: Subscriptions;
    limits: SseLimits;
    stats: SseStats;
  }) {
    this.#response = options.response;
    this.clientId = options.clientId;
    this.eventTypes = options.eventTypes;
    this.subscriptions = options.subscriptions;
    this.#limits = options.limits;
    this.#stats = options.stats;
    this.#keepAlive = setInterval(() => this.#write([KEEP_ALIVE]), options.limits.keepAliveMs);
  }

  get isOpen(): boolean {
    return !this.#response.destroyed && !this.#response.writableEnded;
  }

  /** A live event from the hub: held during a replay, skipped if its `seq` was already sent. */
  deliver(event: HubEvent, frame: Buffer): void {
    if (sendsLive(this.#replay, this, event, frame)) this.replay(event, frame);
  }

  /** Sends an event now (even if older than what was sent live): a performance update to a congested stream waits, the latest of each name only. */
  replay(event: HubEvent, frame: Buffer): void {
    if (event.seq !== undefined && event.seq > this.lastSeq) this.lastSeq = event.seq;
    if (!this.isOpen) return;
    if (event.type === 'performance' && (this.#response.writableLength > this.#limits.sendBufferSoftBytes || this.#conflated.size > 0)) {
      if (this.#conflated.has(event.name)) this.#stats.conflated += 1;
      this.#conflated.set(event.name, [event, frame]);
      this.#drainTimer ??= setTimeout(() => this.#drainConflated(), DRAIN_CHECK_MS);
      return;
    }
    this.#sendEvent(event, frame);
  }

  /** A message of the server's own (`connection`, `resumed`), named by its type. */
  message(type: string, json: string): void {
    this.#write([Buffer.from(`event: ${type}\ndata: ${json}\n\n`)]);
  }

  holdDurable(): void {
    this.#heldReplay().start();
  }

  /** The replay, then what was held, written as the reader drains; live events go straight out again once both are. */
  replayThenRelease(events: Iterable<[HubEvent, Buffer]>): Promise<void> {
    return this.#heldReplay().release(events);
  }

  /** Ends the stream; an EventSource reconnects with Last-Event-ID and resumes. */
  close(): void {
    this.#response.end();
  }

  /** Clears every timer; called once the response has closed. */
  dispose(): void {
    clearInterval(this.#keepAlive);
    clearTimeout(this.#drainTimer);
    this.#conflated.clear();
    this.#replay?.stop();
  }

  /** Created at the first resumption: a connection that never resumes does not carry it. */
  #heldReplay(): HeldReplay {
    return (this.#replay ??= new HeldReplay({
      buffered: () => this.#response.writableLength,
      isOpen: () => this.isOpen,
      sent: this,
      write: (event, frame, flushed) => this.#sendEvent(event, frame, flushed),
      cut: () => this.#cutSlow(),
      softBytes: this.#limits.sendBufferSoftBytes,
      hardBytes: this.#limits.sendBufferHardBytes,
      stallMs: this.#limits.replayStallMs,
    }));
  }

  /** Cuts the stream; the client resumes from its Last-Event-ID. */
  #cutSlow(): void {
    this.#replay?.drop();
    if (!this.isOpen) return;
    this.#stats.slowConsumerCloses += 1;
    this.#response.destroy();
  }

  /**
   * `event: <name>`, `id: <seq>` for a durable event, `data: <the envelope>`: the hub's shared bytes
   * as they are (JSON has no raw line breaks, so they make one data line).
   */
  #sendEvent(event: HubEvent, frame: Buffer, flushed?: () => void): void {
    const head = Buffer.from(`event: ${event.name}\n${event.seq === undefined ? '' : `id: ${event.seq}\n`}data: `);
    if (this.#write([head, frame, RECORD_END], flushed)) this.#stats.sent += 1;
  }

  #drainConflated(): void {
    this.#drainTimer = undefined;
    if (!this.isOpen) return;
    if (this.#response.writableLength > this.#limits.sendBufferSoftBytes) {
      this.#drainTimer = setTimeout(() => this.#drainConflated(), DRAIN_CHECK_MS);
      return;
    }
    const pending = [...this.#conflated.values()];
    this.#conflated.clear();
    for (const [event, frame] of pending) this.#sendEvent(event, frame);
  }

  /**
   * The one way bytes reach the response. A record that would take the backlog past the hard limit
   * cuts the stream instead (the client resumes from its Last-Event-ID); a record larger than the
   * limit by itself still goes out when nothing is waiting.
   */
  #write(chunks: Buffer[], flushed?: () => void): boolean {
    if (!this.isOpen) return false;
    const buffered = this.#response.writableLength;
    const size = chunks.reduce((total, chunk) => total + chunk.length, 0);
    if (buffered > 0 && buffered + size > this.#limits.sendBufferHardBytes) {
      this.#cutSlow();
      return false;
    }
    // Corked: the chunks of one record leave in one write, without copying the shared frame.
    this.#response.cork();
    for (const [i, chunk] of chunks.entries()) this.#response.write(chunk, i === chunks.length - 1 ? flushed : undefined);
    this.#response.uncork();
    return true;
  }
}
