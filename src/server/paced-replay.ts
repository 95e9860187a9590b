/** Writes a long run of frames (a resumption's replay) at the reader's pace: while the backlog is under the soft limit, then again as it drains. */

/** The connection a paced replay writes to: a WebSocket session or a server-sent-events stream. */
export interface PacedSink<T> {
  /** Bytes accepted for this reader but not yet handed to the kernel. */
  buffered(): number;
  isOpen(): boolean;
  /** Writes one item; `flushed` is called once its bytes have reached the kernel (or the write failed). */
  write(item: T, flushed: () => void): void;
  /** No byte of the replay reached the kernel for `stallMs` while it waited: the reader is not reading. */
  stalled(): void;
}

export interface PacedReplay {
  /** Resolves once every item is written, the connection is gone, or the reader stalled. */
  done: Promise<void>;
  /** Gives up on the rest (the connection closed). */
  stop(): void;
}

/**
 * Writes `items` in order while `sink.buffered()` is at most `softBytes`; past it, waits for the
 * writes already made to reach the kernel and goes on. Memory stays at what the caller already holds
 * (the items, taken one at a time) plus the soft limit; a reader that takes nothing for `stallMs` is
 * given up on, so a paused socket does not hold the replay for ever.
 */
export function writePaced<T>(
  items: Iterator<T>,
  sink: PacedSink<T>,
  { softBytes, stallMs }: { softBytes: number; stallMs: number },
): PacedReplay {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let waiting = false;
  let finished = false;
  let stall: NodeJS.Timeout | undefined;

  const end = () => {
    if (finished) return;
    finished = true;
    waiting = false;
    clearTimeout(stall);
    finish();
  };
  const pump = () => {
    waiting = false;
    while (!finished && sink.isOpen()) {
      if (sink.buffered() > softBytes) {
        waiting = true;
        if (stall) stall.refresh();
        else stall = setTimeout(onStall, stallMs);
        return;
      }
      const next = items.next();
      if (next.done) break;
      sink.write(next.value, onFlushed);
    }
    end();
  };
  // Each write reaching the kernel is progress: go on once the backlog is under the limit again.
  const onFlushed = () => {
    if (!waiting) return;
    if (!sink.isOpen() || sink.buffered() <= softBytes) pump();
    else stall?.refresh();
  };
  const onStall = () => {
    if (!waiting) return;
    if (sink.isOpen()) sink.stalled();
    end();
  };

  pump();
  return { done, stop: end };
}
