/**
 * The store's pulse, every couple of seconds: is the data directory still the one opened, can the run
 * record be written (this is also what dates an unclean end), and, while the database refuses
 * writes, can it take one again. What it finds goes to StoreHealth; a lost directory to `onLost`.
 */
import { accessSync, constants } from 'node:fs';
import { type FileIdentity, dataDirLoss } from './data-dir.js';
import type { StoreHealth } from './store-health.js';

export interface StoreWatchOptions {
  everyMs: number;
  dataDir: string;
  /** The database file, and which file it was when opened. */
  database: string;
  opened: FileIdentity | undefined;
  health: StoreHealth;
  /** The run record file, named when it cannot be written. */
  runFile: string;
  /** Writes the run record (lifecycle.recordAlive); throws when it cannot. */
  recordAlive: () => void;
  /** A write to the database that changes nothing; throws when it cannot. */
  probeDatabase: () => void;
  /** The directory or the database file is gone: called at every beat until it is dealt with. */
  onLost: (reason: string) => void;
  /** A failure that is not the disk's (a bug): logged, the beat goes on. */
  onError: (error: unknown) => void;
}

export interface StoreWatch {
  stop(): void;
}

export function startStoreWatch(options: StoreWatchOptions): StoreWatch {
  const { dataDir, database, opened, health, runFile } = options;

  function beat(): void {
    const loss = dataDirLoss(dataDir, database, opened);
    if (loss !== undefined) {
      health.markFailing('data_directory', dataDir, loss);
      options.onLost(loss);
      return;
    }
    checkDirectory();
    if (!health.isWritable('database')) probeDatabase();
  }

  /**
   * The run record is written whatever else fails (it dates an unclean end). The directory fails when
   * no new file could be made in it (read-only, permissions: what a restart and a config PATCH there
   * need), or when the record cannot be written.
   */
  function checkDirectory(): void {
    let problem: { path: string; error: unknown } | undefined;
    try {
      accessSync(dataDir, constants.W_OK);
    } catch (error) {
      problem = { path: dataDir, error };
    }
    try {
      options.recordAlive();
    } catch (error) {
      problem ??= { path: runFile, error };
    }
    if (!problem) health.succeeded('data_directory');
    else if (!health.failed('data_directory', problem.path, problem.error)) options.onError(problem.error);
  }

  function probeDatabase(): void {
    try {
      options.probeDatabase();
      health.succeeded('database');
    } catch (error) {
      if (!health.failed('database', database, error)) options.onError(error);
    }
  }

  const timer = setInterval(beat, options.everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
    },
  };
}
