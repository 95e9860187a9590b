/** The durable event log: numbers durable events with `seq` and gives back what a reconnecting client missed. */
import type { HubEvent } from './event.js';

export type ReadSince =
  | { gap: false; events: HubEvent[] }
  /** Events after `since` were pruned: the reader must fall back to a snapshot. */
  | { gap: true; oldestSeq: number };

export interface EventLog {
  /** Records the event and returns it with its `seq`, one more than the last. */
  append(event: HubEvent): Promise<HubEvent>;
  /** Events with `seq` > since, in order, at most `limit`. */
  readSince(since: number, limit: number): Promise<ReadSince>;
  lastSeq(): Promise<number>;
  /** Drops events older than the cutoff; returns how many. */
  prune(olderThanMs: number): Promise<number>;
}
