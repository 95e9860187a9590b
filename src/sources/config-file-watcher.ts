/**
 * Watches the config file and hands each edit to the live config. It watches the directory, not the
 * file, because editors save by writing a new file and renaming it over the old one.
 */
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { LiveConfig } from '../config/live-config.js';

/** Editors write in bursts (truncate, write, rename): read once things settle. */
const SETTLE_MS = 150;

export interface ConfigFileWatcher {
  stop(): void;
}

export function watchConfigFile(path: string, live: LiveConfig, logger: Logger): ConfigFileWatcher {
  const name = basename(path);
  let lastText: string | undefined = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  let timer: NodeJS.Timeout | undefined;

  const reload = () => {
    timer = undefined;
    if (!existsSync(path)) return;
    const text = readFileSync(path, 'utf8');
    if (text === lastText) return;
    lastText = text;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      live.reject(`${path}: not valid JSON: ${(error as Error).message}`, 'system');
      return;
    }
    const result = live.apply(raw, 'system', path);
    if (result.ok) logger.info({ fields: result.fields }, 'config file change applied');
    else logger.warn({ reason: result.reason }, 'config file change rejected; running config unchanged');
  };

  const watcher: FSWatcher = watch(dirname(path), (_event, file) => {
    if (file !== null && file !== name) return;
    if (timer) timer.refresh();
    else timer = setTimeout(reload, SETTLE_MS);
  });
  watcher.on('error', (err) => logger.error({ err }, 'config file watcher failed'));

  return {
    stop() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
