/**
 * One heartbeat schedule for every authenticated socket of a server: a single timer pings them all
 * each interval and, the timeout later, hands over those that have not answered; nothing per socket
 * but its place in a set (no timer, no closure).
 */
import type { WebSocket } from 'ws';

export interface HeartbeatTimes {
  intervalMs: number;
  /** At most `intervalMs`. */
  timeoutMs: number;
}

export class Heartbeat {
  readonly #sockets = new Set<WebSocket>();
  /** Pinged in this round and not answered yet. */
  readonly #awaiting = new Set<WebSocket>();
  /** Read at every round, so that a changed configuration applies from the next one. */
  readonly #times: () => HeartbeatTimes;
  readonly #onTimeout: (ws: WebSocket) => void;
  /** The one pong listener of every socket: `ws` calls it with the socket as `this`. */
  readonly #onPong: (this: WebSocket) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(times: () => HeartbeatTimes, onTimeout: (ws: WebSocket) => void) {
    this.#times = times;
    this.#onTimeout = onTimeout;
    const awaiting = this.#awaiting;
    this.#onPong = function (this: WebSocket) {
      awaiting.delete(this);
    };
  }

  add(ws: WebSocket): void {
    this.#sockets.add(ws);
    ws.on('pong', this.#onPong);
    this.#timer ??= setTimeout(() => this.#ping(), this.#times().intervalMs);
  }

  delete(ws: WebSocket): void {
    this.#sockets.delete(ws);
    this.#awaiting.delete(ws);
    ws.off('pong', this.#onPong);
    if (this.#sockets.size > 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #ping(): void {
    for (const ws of this.#sockets) {
      if (ws.readyState !== ws.OPEN) continue;
      this.#awaiting.add(ws);
      ws.ping();
    }
    this.#timer = setTimeout(() => this.#check(), this.#times().timeoutMs);
  }

  /** A socket that joined since the ping was not pinged, so it is not awaited. */
  #check(): void {
    for (const ws of this.#awaiting) this.#onTimeout(ws);
    this.#awaiting.clear();
    const { intervalMs, timeoutMs } = this.#times();
    this.#timer = setTimeout(() => this.#ping(), Math.max(0, intervalMs - timeoutMs));
  }
}
