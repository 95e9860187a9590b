/** Reconnect delays, for every client of the protocol and the server's own outbound links: capped exponential backoff with full jitter, a pure function of the attempt number. */

export interface BackoffOptions {
  /** Ceiling of the first attempt's delay. */
  initialDelayMs: number;
  /** No delay ever exceeds this. */
  maxDelayMs: number;
}

/**
 * The delay before reconnect attempt `attempt` (1 for the first): uniform in
 * [0, min(maxDelayMs, initialDelayMs · 2^(attempt-1))]. Full jitter spreads the clients a restart
 * disconnected all at once, so they do not come back in lockstep.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}
