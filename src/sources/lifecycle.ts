/**
 * Service lifecycle events (docs/protocol.md, "System events"): each start records the run in the data
 * directory and each clean stop records why, so the next start can announce `service_restart`
 * with the previous run's reason and uptime, or `unclean_shutdown` when it died without a word.
 */
import { closeSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EventName, type PublishEvent, SERVICE_NAME } from '../protocol/index.js';

export const RUN_FILE = 'run.json';
/**
 * How often a run records that it is alive: the error of `previous_uptime` after a `kill -9`. One
 * write of a few hundred bytes in place, about ten microseconds (docs/performance.md).
 */
export const ALIVE_EVERY_MS = 2000;
/**
 * The record's fixed size: rewritten in place at offset 0 it always covers the previous one, and one
 * write this small into one page is never left half done by a kill.
 */
const RECORD_BYTES = 256;

interface RunRecord {
  pid: number;
  started_at: string;
  /** Refreshed while running, so a run that dies without a word still has its uptime, to within ALIVE_EVERY_MS. */
  alive_at?: string;
  stopped_at?: string;
  stop_reason?: string;
}

export type StopReason = 'signal' | 'configuration_update' | 'restart_requested' | 'data_directory_lost' | string;

export interface Lifecycle {
  /** Publishes service_start (first run) or service_restart (every later one) and records this run. Throws when it cannot be recorded. */
  announceStart(): void;
  /** Records that this run is still alive (call every ALIVE_EVERY_MS). Throws when it cannot be recorded. */
  recordAlive(): void;
  /** Publishes service_stopping and records the reason for the next start to report; a record that cannot be written is passed to `onError`. */
  announceStopping(reason: StopReason): void;
}

/** Reads the previous run's record at once: a record that cannot be read (a directory, say) fails the start, before it listens. */
export function createLifecycle(dataDir: string, publish: PublishEvent, onError: (error: unknown) => void = () => undefined): Lifecycle {
  const file = join(dataDir, RUN_FILE);
  const previous = readRun(file);
  const startedAt = new Date();
  const run = { pid: process.pid, started_at: startedAt.toISOString() };
  const text = (value: RunRecord) => `${JSON.stringify(value)}\n`.padEnd(RECORD_BYTES);
  // At start and stop: a new file renamed over the old, so a kill in between leaves the previous record whole.
  const record = (value: RunRecord) => {
    closeAlive();
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, text(value));
    renameSync(temporary, file);
  };
  // In between: the same file overwritten in place, through a descriptor kept open (a rename per beat costs a flush).
  let aliveFd: number | undefined;
  const closeAlive = () => {
    if (aliveFd !== undefined) closeSync(aliveFd);
    aliveFd = undefined;
  };

  return {
    announceStart() {
      record({ ...run, alive_at: run.started_at });
      if (!previous) {
        publish(EventName.systemServiceStart, { event: 'service_start', service: SERVICE_NAME, pid: process.pid });
        return;
      }
      const lastSeen = previous.stopped_at ?? previous.alive_at;
      const ended = lastSeen === undefined ? undefined : Date.parse(lastSeen);
      publish(EventName.systemServiceRestart, {
        event: 'service_restart',
        service: SERVICE_NAME,
        reason: previous.stop_reason ?? 'unclean_shutdown',
        // Unknown only for a record written by a version that recorded no start-time liveness.
        previous_uptime: ended === undefined ? null : Math.round((ended - Date.parse(previous.started_at)) / 1000),
        new_pid: process.pid,
        previous_pid: previous.pid,
      });
    },
    recordAlive() {
      try {
        aliveFd ??= openSync(file, 'r+');
        writeSync(aliveFd, text({ ...run, alive_at: new Date().toISOString() }), 0);
      } catch (error) {
        closeAlive();
        throw error;
      }
    },
    announceStopping(reason) {
      const stoppedAt = new Date();
      const uptime = Math.round((stoppedAt.getTime() - startedAt.getTime()) / 1000);
      publish(EventName.systemServiceStopping, { event: 'service_stopping', service: SERVICE_NAME, reason, uptime });
      try {
        record({ ...run, stopped_at: stoppedAt.toISOString(), stop_reason: reason });
      } catch (error) {
        onError(error);
      }
    },
  };
}

function readRun(file: string): RunRecord | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    if (failure.code === 'ENOENT') return undefined;
    // A read of a directory fails without naming it.
    failure.path ??= file;
    throw failure;
  }
  try {
    return JSON.parse(text) as RunRecord;
  } catch {
    // Not ours to judge further: a record that cannot be read is a run we know nothing of.
    return undefined;
  }
}
