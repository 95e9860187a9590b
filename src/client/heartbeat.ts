/** The client's heartbeat: a `ping` every interval; no message at all within the timeout after one means the link is dead. */

export interface HeartbeatOptions {
  /** How often to send `ping` while open. */
  intervalMs: number;
  /** How long after a ping the server has to say anything (its `pong`, or any other message). */
  timeoutMs: number;
}

export class Heartbeat {
  readonly #options: HeartbeatOptions;
  readonly #ping: () => void;
  readonly #dead: () => void;
  #interval: ReturnType<typeof setInterval> | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;

  constructor(options: HeartbeatOptions, ping: () => void, dead: () => void) {
    this.#options = options;
    this.#ping = ping;
    this.#dead = dead;
  }

  start(): void {
    this.stop();
    this.#interval = setInterval(() => this.#beat(), this.#options.intervalMs);
  }

  /** Any message from the server proves the link alive: the `pong`, or an event that overtook it. */
  alive(): void {
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
  }

  stop(): void {
    clearInterval(this.#interval);
    clearTimeout(this.#deadline);
    this.#interval = undefined;
    this.#deadline = undefined;
  }

  #beat(): void {
    this.#ping();
    // The oldest unanswered ping sets the deadline: a timeout longer than the interval does not keep moving it.
    this.#deadline ??= setTimeout(() => {
      this.stop();
      this.#dead();
    }, this.#options.timeoutMs);
  }
}
