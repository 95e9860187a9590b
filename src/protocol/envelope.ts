/** Envelope ids and timestamps: ids are unique within a run and, through a random boot id, across runs. */
import { randomBytes } from 'node:crypto';

const bootId = randomBytes(5).toString('hex');
let counter = 0;

/** A new message id such as `alert_3f9a0c2b1e_1k`: a readable prefix, the boot id, a counter. */
export function newMessageId(prefix: string): string {
  counter += 1;
  return `${prefix}_${bootId}_${counter.toString(36)}`;
}

export function isoNow(now: number = Date.now()): string {
  return new Date(now).toISOString();
}
