/** Reconnect delays: capped exponential backoff with full jitter. */

export interface BackoffOptions {
  /** The ceiling of the first delay, in milliseconds. */
  initialMs: number;
  /** The ceiling never grows past this, in milliseconds. */
  maxMs: number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): uniformly random between 0 and
 * min(maxMs, initialMs * 2^attempt). Full jitter spreads the retries of many clients apart, so a
 * qBittorrent that comes back is not hit by all of them at once.
 * `random` returns a number in [0, 1), like Math.random.
 */
export function backoffDelay(attempt: number, { initialMs, maxMs }: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt));
  return random() * ceiling;
}
