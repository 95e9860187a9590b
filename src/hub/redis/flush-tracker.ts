/** What the Redis bus's `flush()` waits for: its own durable events, numbered by the outbox, coming back through the stream. */

export interface FlushTracker {
  /** The outbox gave number `n` to the latest event published. */
  published(n: number): void;
  /** Event `n` came back through the stream (or was refused): it and those before it are done. */
  settle(n: number): void;
  /** Resolves once every event published so far is settled. */
  wait(): Promise<void>;
  /** Resolves every wait now: nothing more will come back until Redis does. */
  releaseAll(): void;
}

export function createFlushTracker(): FlushTracker {
  let published = 0;
  let settled = 0;
  let waiters: Array<{ n: number; resolve: () => void }> = [];

  function release(done: (waiter: { n: number }) => boolean): void {
    const released = waiters.filter(done);
    waiters = waiters.filter((waiter) => !done(waiter));
    for (const waiter of released) waiter.resolve();
  }

  return {
    published(n) {
      published = n;
    },
    settle(n) {
      settled = Math.max(settled, n);
      release((waiter) => waiter.n <= settled);
    },
    wait() {
      if (settled >= published) return Promise.resolve();
      const n = published;
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    releaseAll() {
      release(() => true);
    },
  };
}
