/** Records what a component emits and lets a test await a condition on it, with a bounded wait instead of a sleep. */

export interface Recorder<T> {
  readonly items: readonly T[];
  record(item: T): void;
  /** Resolves with the first recorded item (past or future) matching `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (item: T) => boolean, what: string, timeoutMs?: number): Promise<T>;
  /** Resolves once `count` items are recorded; rejects after `timeoutMs`. */
  waitForCount(count: number, timeoutMs?: number): Promise<readonly T[]>;
}

const DEFAULT_TIMEOUT_MS = 5_000;

export function createRecorder<T>(): Recorder<T> {
  const items: T[] = [];
  const waiters = new Set<() => void>();

  function waitUntil<R>(check: () => R | undefined, describe: () => string, timeoutMs: number): Promise<R> {
    return new Promise((resolve, reject) => {
      const settle = () => {
        const found = check();
        if (found === undefined) return;
        clearTimeout(timeout);
        waiters.delete(settle);
        resolve(found);
      };
      const timeout = setTimeout(() => {
        waiters.delete(settle);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}`));
      }, timeoutMs);
      waiters.add(settle);
      settle();
    });
  }

  return {
    items,
    record(item) {
      items.push(item);
      for (const settle of [...waiters]) settle();
    },
    waitFor(predicate, what, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return waitUntil(
        () => items.find(predicate),
        () => `${what}; recorded: ${JSON.stringify(items, null, 1)}`,
        timeoutMs,
      );
    },
    waitForCount(count, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return waitUntil(
        () => (items.length >= count ? items : undefined),
        () => `${count} items (got ${items.length})`,
        timeoutMs,
      );
    },
  };
}
