/** Connection state: the spec's readyState, the richer phase behind it, and the one setter every change goes through. */

/** The spec's connection states (连接状态管理), numbered like the WebSocket API's. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

/** Why a client ended up closed. */
export type CloseCause = 'client' | 'server' | 'gave_up';

export type ClientState =
  /** Constructed; connect() not called yet. */
  | { phase: 'idle' }
  /** A socket is opening (attempt 0 is the first connection, n the n-th reconnect), waiting for the acknowledgement. */
  | { phase: 'connecting'; attempt: number }
  /** Acknowledged by the server: events flow, requests are sent. */
  | { phase: 'open'; clientId: string }
  /** The connection closed with `code`; the next attempt opens after `delayMs`. */
  | { phase: 'reconnecting'; attempt: number; delayMs: number; code: number; reason: string }
  /** close() was called; waiting for the socket to close. */
  | { phase: 'closing' }
  /** Final until connect() is called again; `error` is what the server said when it refused. */
  | { phase: 'closed'; code: number; reason: string; cause: CloseCause; error?: { code: string; message: string } };

export type Phase = ClientState['phase'];

export interface StateChange {
  oldState: ClientState;
  newState: ClientState;
}

const READY_STATE: Readonly<Record<Phase, ReadyState>> = {
  idle: ReadyState.CLOSED,
  connecting: ReadyState.CONNECTING,
  open: ReadyState.OPEN,
  // A client waiting to reconnect still means to connect: to a caller it is connecting.
  reconnecting: ReadyState.CONNECTING,
  closing: ReadyState.CLOSING,
  closed: ReadyState.CLOSED,
};

const NEXT: Readonly<Record<Phase, readonly Phase[]>> = {
  idle: ['connecting'],
  connecting: ['open', 'reconnecting', 'closing', 'closed'],
  open: ['reconnecting', 'closing', 'closed'],
  reconnecting: ['connecting', 'closed'],
  closing: ['closed'],
  closed: ['connecting'],
};

export function readyStateOf(state: ClientState): ReadyState {
  return READY_STATE[state.phase];
}

export class StateMachine {
  #state: ClientState = { phase: 'idle' };
  readonly #onChange: (change: StateChange) => void;

  constructor(onChange: (change: StateChange) => void) {
    this.#onChange = onChange;
  }

  get current(): ClientState {
    return this.#state;
  }

  /** The only way the state changes. A transition the table does not allow is a bug in the client: it throws. */
  set(newState: ClientState): void {
    const oldState = this.#state;
    if (!NEXT[oldState.phase].includes(newState.phase)) {
      throw new Error(`qbt-monitor client: no transition from ${oldState.phase} to ${newState.phase}`);
    }
    this.#state = newState;
    this.#onChange({ oldState, newState });
  }
}
