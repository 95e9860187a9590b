/**
 * The hub: receives every event from the bus, keeps the connect-time state, and fans each event out
 * to the subscribers whose endpoint and subscriptions match it, encoding it once for all of them.
 */
import { EventName, type EventType, type TorrentRow } from '../protocol/index.js';
import { newMessageId } from '../protocol/envelope.js';
import type { Bus } from './bus.js';
import { encodeFrame, encodeFrameWithData } from './encode.js';
import { createEvent, type HubEvent, isDurable } from './event.js';
import { type EventLog, isWhole } from './event-log.js';
import { type ActiveAlert, StateCache } from './state-cache.js';
import type { Subscriptions } from './subscriptions.js';

/** What the hub needs of a connection; the server's session implements it. */
export interface Subscriber {
  readonly eventTypes: readonly EventType[];
  readonly subscriptions: Subscriptions;
  /** A live event, pre-encoded (the session may conflate it if the reader is slow, and skips a `seq` it already sent). */
  deliver(event: HubEvent, frame: Buffer): void;
  /** A snapshot event: sent now, even if older than what was sent live. */
  replay(event: HubEvent, frame: Buffer): void;
  /** Holds live durable events back: a replay is being read. */
  holdDurable(): void;
  /**
   * Sends these events (a replay or a snapshot) at the reader's pace, then the live durable events held
   * meanwhile that they did not cover, then lets live events through again. Resolves once all are
   * written or the connection is gone.
   */
  replayThenRelease(events: Iterable<[HubEvent, Buffer]>): Promise<void>;
}

export interface HubStats {
  /** Events fanned out, by type. */
  published: Record<EventType, number>;
}

export interface ResumeResult {
  since: number;
  last_seq: number;
  replayed: number;
  gap: boolean;
  /** The log's epoch now: what the client resumes with next time. */
  epoch: string;
}

export interface ResumeFrom {
  /** The epoch the client's `since` belongs to; without one (older clients) `since` is taken to be this log's. */
  epoch?: string | undefined;
  /** Replay only events up to this `seq` (those after it were delivered live already). */
  until?: number;
}

export interface HubOptions {
  bus: Bus;
  log: EventLog;
  /** Most events a resumption replays; a longer gap is answered with a snapshot. */
  maxReplayEvents: number;
  /** The log could not be read for a resumption (Redis away, a disk error): the client was sent a snapshot instead. */
  onLogError(error: unknown): void;
  /**
   * Rebuild the connect-time state from the log at start. In a cluster the log holds what the other
   * nodes announced before this one started: their components' statuses, their active alerts.
   */
  restoreState?: boolean;
}

/** Events read per step when restoring the state from the log. */
const RESTORE_BATCH = 1000;

export class Hub {
  readonly #bySubscribedType = new Map<EventType, Set<Subscriber>>();
  readonly #state = new StateCache();
  readonly #log: EventLog;
  readonly #maxReplay: number;
  readonly #onLogError: (error: unknown) => void;
  readonly #unsubscribe: () => void;
  readonly #node: string | undefined;
  /** Live events that arrived while the state was being restored: recorded after it, so that none is overwritten by an older one. */
  #arrivedWhileRestoring: HubEvent[] | undefined;
  #lastSeq = 0;
  readonly stats: HubStats = { published: { performance: 0, alert: 0, status: 0, config: 0, system: 0, torrent: 0 } };

  private constructor({ bus, log, maxReplayEvents, onLogError }: HubOptions) {
    this.#log = log;
    this.#maxReplay = maxReplayEvents;
    this.#onLogError = onLogError;
    this.#node = bus.node;
    this.#unsubscribe = bus.subscribe((event) => this.#fanOut(event));
  }

  static async create(options: HubOptions): Promise<Hub> {
    const hub = new Hub(options);
    hub.#lastSeq = await options.log.lastSeq();
    if (options.restoreState) await hub.#restoreState(hub.#lastSeq);
    return hub;
  }

  /**
   * The `seq` of the last durable event fanned out: what a client connecting now has seen. Before the
   * first event of a new epoch (a cluster's log lost and made again), the new log's base.
   */
  get lastSeq(): number {
    return Math.max(this.#lastSeq, this.#log.base);
  }

  add(subscriber: Subscriber): void {
    for (const type of subscriber.eventTypes) {
      let set = this.#bySubscribedType.get(type);
      if (!set) this.#bySubscribedType.set(type, (set = new Set()));
      set.add(subscriber);
    }
  }

  remove(subscriber: Subscriber): void {
    for (const type of subscriber.eventTypes) this.#bySubscribedType.get(type)?.delete(subscriber);
  }

  get subscriberCount(): number {
    return new Set([...this.#bySubscribedType.values()].flatMap((set) => [...set])).size;
  }

  /** Puts state restored from the store (active alerts) into the connect-time snapshot, without fanning it out. */
  seed(events: readonly HubEvent[]): void {
    for (const event of events) this.#state.record(event);
  }

  /** The active alert with this id, from whichever node, with the node that raised it in `event.node`. */
  activeAlert(alertId: string): ActiveAlert | undefined {
    return this.#state.activeAlert(alertId);
  }

  /** Every active alert the hub knows of: in a cluster, every node's. */
  activeAlerts(): ActiveAlert[] {
    return this.#state.activeAlerts();
  }

  /** Sends the current state, each message marked `meta.snapshot`, as far as the subscriber's subscriptions take it. */
  sendSnapshot(subscriber: Subscriber): void {
    for (const [state, frame] of this.#snapshot(subscriber)) subscriber.replay(state, frame);
  }

  /** The event log's epoch: a client's `seq` means something here only if it came with this epoch. */
  get epoch(): string {
    return this.#log.epoch;
  }

  /** The torrent table as the `torrent.updated` events fanned out have made it (read only). */
  torrents(): ReadonlyMap<string, Readonly<TorrentRow>> {
    return this.#state.torrents();
  }

  /** Sends the whole torrent table as `torrent.list` (`meta.snapshot`), if the subscriber takes it. */
  sendTorrentList(subscriber: Subscriber): void {
    // The data is the cached JSON of the table; the event itself only routes it.
    const list = { ...createEvent(EventName.torrentList, { torrents: [] }), ...(this.#node !== undefined && { node: this.#node }) };
    if (!this.#wants(subscriber, list)) return;
    subscriber.replay(list, encodeFrameWithData(list, this.#state.torrentListJson(), { snapshot: true }));
  }

  /**
   * Replays the durable events in (since, until] that the subscriber wants, in order, or sends a
   * snapshot if the log cannot show them all: another epoch, pruned, lost, or too many. Live durable
   * events wait until the replay is written, at the reader's pace, and follow it.
   */
  async resume(subscriber: Subscriber, since: number, { epoch, until = Number.POSITIVE_INFINITY }: ResumeFrom = {}): Promise<ResumeResult> {
    subscriber.holdDurable();
    let frames: Iterable<[HubEvent, Buffer]> = [];
    try {
      const events = epoch === undefined || epoch === this.#log.epoch ? await this.#readWhole(since) : undefined;
      if (!events) {
        frames = this.#snapshot(subscriber);
        return { since, last_seq: this.lastSeq, replayed: 0, gap: true, epoch: this.#log.epoch };
      }
      const wanted = events.filter((event) => (event.seq ?? 0) <= until && this.#wants(subscriber, event));
      // Encoded one at a time as the reader takes them: a replay is not held twice.
      frames = (function* () {
        for (const event of wanted) yield [event, encodeFrame(event, { replay: true })] as [HubEvent, Buffer];
      })();
      return { since, last_seq: this.lastSeq, replayed: wanted.length, gap: false, epoch: this.#log.epoch };
    } finally {
      await subscriber.replayThenRelease(frames);
    }
  }

  close(): void {
    this.#unsubscribe();
  }

  /**
   * Every event after `since`, or undefined when the log cannot show them all (or cannot be read now).
   * No log issues 0: `since` 0 (a client that has seen nothing) reads from the log's first event.
   */
  async #readWhole(since: number): Promise<HubEvent[] | undefined> {
    const from = since === 0 ? this.#log.base : since;
    const limit = this.#maxReplay + 1;
    try {
      const read = await this.#log.readSince(from, limit);
      return read.events.length <= this.#maxReplay && isWhole(from, read, limit) ? read.events : undefined;
    } catch (error) {
      this.#onLogError(error);
      return undefined;
    }
  }

  /** Records the logged events up to `until` into the state, then what arrived live meanwhile. */
  async #restoreState(until: number): Promise<void> {
    this.#arrivedWhileRestoring = [];
    try {
      for (let since = 0; since < until; ) {
        const { events } = await this.#log.readSince(since, RESTORE_BATCH);
        for (const event of events) if ((event.seq ?? 0) <= until) this.#state.record(event);
        if (events.length < RESTORE_BATCH) break;
        since = events.at(-1)!.seq!;
      }
    } finally {
      const arrived = this.#arrivedWhileRestoring;
      this.#arrivedWhileRestoring = undefined;
      // Those numbered up to `until` were read from the log already, in order.
      for (const event of arrived) if ((event.seq ?? Number.POSITIVE_INFINITY) > until) this.#state.record(event);
    }
  }

  /** The current state the subscriber wants, each event marked `meta.snapshot`. */
  *#snapshot(subscriber: Subscriber): Generator<[HubEvent, Buffer]> {
    for (const event of this.#state.events()) {
      if (!this.#wants(subscriber, event)) continue;
      const { seq: _seq, ...state } = event;
      yield [state, encodeFrame({ ...state, id: newMessageId(event.type) }, { snapshot: true })];
    }
  }

  #wants(subscriber: Subscriber, event: HubEvent): boolean {
    return subscriber.eventTypes.includes(event.type) && subscriber.subscriptions.accepts(event);
  }

  #fanOut(event: HubEvent): void {
    // A client's torrent table is the one of the qBittorrent its own node watches (in a cluster, each node may watch its own).
    if (event.type === 'torrent' && event.node !== this.#node && !isDurable(event)) return;
    if (this.#arrivedWhileRestoring) this.#arrivedWhileRestoring.push(event);
    else this.#state.record(event);
    if (event.seq !== undefined) this.#lastSeq = event.seq;
    this.stats.published[event.type] += 1;
    const subscribers = this.#bySubscribedType.get(event.type);
    if (!subscribers || subscribers.size === 0) return;
    let frame: Buffer | undefined;
    for (const subscriber of subscribers) {
      if (subscriber.subscriptions.accepts(event)) subscriber.deliver(event, (frame ??= encodeFrame(event)));
    }
  }
}
