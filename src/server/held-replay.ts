/** Live durable events held behind a resumption's replay, then written after it at the reader's pace: shared by WebSocket sessions and SSE streams. */
import type { HubEvent } from '../hub/event.js';
import { type PacedReplay, writePaced } from './paced-replay.js';

/** How one connection is read and written; created when its first resumption starts. */
export interface HeldReplayOptions {
  /** Bytes accepted for this reader but not yet handed to the kernel. */
  buffered(): number;
  isOpen(): boolean;
  /** The connection's highest `seq` sent: advanced by each event written here; a held event at or below it is not sent again. */
  sent: { lastSeq: number };
  /** Writes one event of the replay or of the hold; `flushed` is called once its bytes reach the kernel. */
  write(event: HubEvent, frame: Buffer, flushed: () => void): void;
  /** Cuts the connection as a slow reader (what waits for it passed the hard limit, or the replay stalled); it calls `drop()`. */
  cut(): void;
  softBytes: number;
  hardBytes: number;
  stallMs: number;
}

export class HeldReplay {
  readonly #options: HeldReplayOptions;
  /** Live durable events waiting behind the replay, and their bytes (they count toward the hard limit). */
  #held: Array<[HubEvent, Buffer]> | undefined;
  #heldBytes = 0;
  #pacing: PacedReplay | undefined;

  constructor(options: HeldReplayOptions) {
    this.#options = options;
  }

  /** Whether live durable events are held now (from `start()` until the replay and the hold are written). */
  get holding(): boolean {
    return this.#held !== undefined;
  }

  start(): void {
    this.#held ??= [];
  }

  /** A live durable event behind the replay: it waits, but what waits for this reader still stays under the hard limit. */
  hold(event: HubEvent, frame: Buffer): void {
    this.#held!.push([event, frame]);
    this.#heldBytes += frame.length;
    if (this.#heldBytes + this.#options.buffered() > this.#options.hardBytes) this.#options.cut();
  }

  /** The replay, then what was held, written as the reader drains; live events go straight out again once both are. */
  async release(events: Iterable<[HubEvent, Buffer]>): Promise<void> {
    const options = this.#options;
    this.#pacing = writePaced(
      this.#replayThenHeld(events),
      {
        buffered: () => options.buffered(),
        isOpen: () => options.isOpen(),
        write: ([event, frame], flushed) => {
          if (event.seq !== undefined && event.seq > options.sent.lastSeq) options.sent.lastSeq = event.seq;
          options.write(event, frame, flushed);
        },
        stalled: () => options.cut(),
      },
      { softBytes: options.softBytes, stallMs: options.stallMs },
    );
    await this.#pacing.done;
    this.#pacing = undefined;
    this.drop();
  }

  /** Forgets what is held (the connection is being cut). */
  drop(): void {
    this.#held = undefined;
    this.#heldBytes = 0;
  }

  /** Gives up on the rest of the replay and the hold (the connection closed). */
  stop(): void {
    this.#pacing?.stop();
    this.#held = undefined;
  }

  /** Items for the paced writer: the replay, then the held live events not already sent; the hold ends when the last is taken. */
  *#replayThenHeld(events: Iterable<[HubEvent, Buffer]>): Generator<[HubEvent, Buffer]> {
    yield* events;
    for (let next = this.#held?.shift(); next; next = this.#held?.shift()) {
      this.#heldBytes -= next[1].length;
      if ((next[0].seq ?? 0) > this.#options.sent.lastSeq) yield next;
    }
    this.#held = undefined;
  }
}

/**
 * What a connection does with a live event from the hub: a durable one waits behind a replay in progress,
 * or is skipped when its `seq` was already sent; true when it is to be sent now.
 */
export function sendsLive(replay: HeldReplay | undefined, sent: { lastSeq: number }, event: HubEvent, frame: Buffer): boolean {
  if (event.seq === undefined) return true;
  if (replay?.holding) {
    replay.hold(event, frame);
    return false;
  }
  return event.seq > sent.lastSeq;
}
