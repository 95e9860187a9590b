/** A small typed event emitter whose handlers are isolated: one that throws cannot break the client. */

type Listener = (...args: never[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  readonly #handlers = new Map<keyof Events, Set<Listener>>();

  /** Adds a handler; returns the function that removes it. */
  on<K extends keyof Events>(type: K, handler: Events[K]): () => void {
    let set = this.#handlers.get(type);
    if (!set) this.#handlers.set(type, (set = new Set()));
    set.add(handler);
    return () => this.off(type, handler);
  }

  off<K extends keyof Events>(type: K, handler: Events[K]): void {
    this.#handlers.get(type)?.delete(handler);
  }

  emit<K extends keyof Events>(type: K, ...args: Parameters<Events[K]>): void {
    const set = this.#handlers.get(type);
    if (!set) return;
    // A copy: a handler may add or remove handlers while this runs.
    for (const handler of [...set]) {
      try {
        (handler as (...args: Parameters<Events[K]>) => void)(...args);
      } catch (error) {
        // Surfaced like any uncaught error (Node's uncaughtException, the browser's console), outside the client's own code path.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
