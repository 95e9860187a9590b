/**
 * Watches the config file and hands each edit to the live config. It watches the directory, not the
 * file, because editors save by writing a new file and renaming it over the old one. A file that
 * cannot be used (a directory, unreadable, not JSON) is announced as `config.rejected` once per
 * problem, and the running config stays; a deleted file changes nothing either.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../config/logger.js';
import { type ConfigFile, ConfigFileError } from '../config/config-file.js';
import type { LiveConfig } from '../config/live-config.js';

/** Editors write in bursts (truncate, write, rename): read once things settle. */
const SETTLE_MS = 150;

export interface ConfigFileWatcher {
  stop(): void;
}

export function watchConfigFile(file: ConfigFile, live: LiveConfig, logger: Logger): ConfigFileWatcher {
  const name = basename(file.path);
  /** The problem last announced, so that a broken file is reported once, not at every event in its directory. */
  let announcedProblem: string | undefined;
  let timer: NodeJS.Timeout | undefined;

  const refuse = (problem: string) => {
    if (problem === announcedProblem) return;
    announcedProblem = problem;
    // Forget the last good text: the same content written back is news again.
    file.knownText = undefined;
    live.reject(problem, 'system');
    logger.warn({ problem }, 'config file unusable; running config unchanged');
  };

  const reload = () => {
    let text: string | undefined;
    let raw: unknown;
    try {
      text = file.readText();
      if (text === undefined || text === file.knownText) return;
      raw = file.parse(text);
    } catch (error) {
      if (!(error instanceof ConfigFileError)) throw error;
      refuse(error.message);
      return;
    }
    file.knownText = text;
    announcedProblem = undefined;
    // What changed, or why it was refused, is logged from the config event it announces.
    live.apply(raw, 'system', file.path);
  };

  const guardedReload = () => {
    try {
      reload();
    } catch (err) {
      logger.error({ err }, 'config file reload failed');
    }
  };

  try {
    file.knownText = file.readText();
  } catch {
    // Unusable at start too: the first event in its directory reports it.
  }
  const watcher: FSWatcher = watch(dirname(file.path), (_event, changed) => {
    if (changed !== null && changed !== name) return;
    if (timer) timer.refresh();
    else {
      timer = setTimeout(() => {
        timer = undefined;
        void live.serialize(guardedReload);
      }, SETTLE_MS);
    }
  });
  watcher.on('error', (err) => logger.error({ err }, 'config file watcher failed'));

  return {
    stop() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
