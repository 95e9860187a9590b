/**
 * Whether the service can write what it keeps: the database (events, metrics, alerts, links) and
 * the data directory's own files. A refused write marks its part failing until a write of that part
 * succeeds again; /healthz and /metrics show it, and the log says it once per change.
 */
import type { EventLog } from '../hub/event-log.js';
import { describeFsError, isWriteRefusal } from '../config/file-errors.js';
import type { Logger } from '../config/logger.js';

/** `database`: the SQLite file. `data_directory`: the run record and other files beside it. */
export type StorePart = 'database' | 'data_directory';

export interface StoreProblem {
  part: StorePart;
  /** The file or directory that refused. */
  path: string;
  /** What the system said, e.g. `database or disk is full (SQLITE_FULL)`. */
  reason: string;
  /** ISO time of the first refusal of this spell. */
  since: string;
}

/** The durable record of an operation could not be written: the operation did not happen. */
export class NotRecordedError extends Error {
  override readonly name = 'NotRecordedError';

  constructor(what: string, cause: unknown) {
    super(`${what} could not be recorded (${describeFsError(cause)}): nothing changed, try again once the store can write`, { cause });
  }
}

export class StoreHealth {
  readonly #problems = new Map<StorePart, StoreProblem>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Records a refused write of `part`; returns whether the error was one (a bug is not a disk problem). */
  failed(part: StorePart, path: string, error: unknown): boolean {
    if (!isWriteRefusal(error)) return false;
    this.markFailing(part, path, describeFsError(error));
    return true;
  }

  /** Marks `part` failing for a reason found otherwise than by a write (the directory vanished). */
  markFailing(part: StorePart, path: string, reason: string): void {
    const current = this.#problems.get(part);
    if (current?.reason === reason && current.path === path) return;
    this.#problems.set(part, { part, path, reason, since: current?.since ?? new Date().toISOString() });
    this.#logger.warn({ part, path, reason }, 'store cannot write: what is not written now is not kept');
  }

  /** A write of `part` went through: it is healthy again. */
  succeeded(part: StorePart): void {
    const problem = this.#problems.get(part);
    if (!problem) return;
    this.#problems.delete(part);
    this.#logger.info({ part, path: problem.path, since: problem.since }, 'store writable again');
  }

  isWritable(part: StorePart): boolean {
    return !this.#problems.has(part);
  }

  get problems(): StoreProblem[] {
    return [...this.#problems.values()];
  }

  /** The log, its appends watched: a refused append marks the database failing, a recorded one healthy. */
  watchLog(log: EventLog, path: string): EventLog {
    const append: EventLog['append'] = async (event) => {
      try {
        const recorded = await log.append(event);
        this.succeeded('database');
        return recorded;
      } catch (error) {
        this.failed('database', path, error);
        throw error;
      }
    };
    // Everything else of the log as it is, whatever shape its implementation has.
    return new Proxy(log, {
      get(target, key) {
        if (key === 'append') return append;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}
