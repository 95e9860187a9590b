/** Reads the config: embedded defaults < config file < environment < command-line flags. */
import { join, resolve } from 'node:path';
import { ConfigFile, ConfigFileError } from './config-file.js';
import { defaultDataDir } from './data-dir.js';
import type { Config } from './schema.js';
import { ConfigError, validateConfig } from './validate.js';

export interface ConfigOverrides {
  host?: string;
  port?: number;
  dataDir?: string;
  configPath?: string;
  logLevel?: string;
  /** Used only where the file sets no `locale`: the service's own language, as its environment says. */
  locale?: Config['locale'];
}

export interface LoadedConfig {
  config: Config;
  /** The overrides (environment, then flags) that beat the file, kept to lay over later file edits. */
  overrides: ConfigOverrides;
  dataDir: string;
  /** The file the config came from (it may not exist: then the defaults apply and edits of it are picked up). */
  configPath: string;
  /** The file's value as read, before overrides and defaults (`{}` without a file). */
  fileValue: unknown;
}

/**
 * The locale the environment asks for: the first of LC_ALL, LC_MESSAGES and LANG that is set (as POSIX reads
 * them); `zh*` is `zh`, anything else `en`. None set says nothing: the schema's default stands.
 */
export function localeFromEnv(env: NodeJS.ProcessEnv): Config['locale'] | undefined {
  const setting = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((value) => value !== undefined && value !== '');
  if (setting === undefined) return undefined;
  return setting.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

/** Overrides from QBT_MONITOR_HOST, _PORT, _DATA_DIR, _CONFIG and _LOG_LEVEL, and the locale's default from LC_ALL, LC_MESSAGES or LANG. */
export function overridesFromEnv(env: NodeJS.ProcessEnv): ConfigOverrides {
  const port = env.QBT_MONITOR_PORT === undefined ? undefined : Number(env.QBT_MONITOR_PORT);
  return dropUndefined({
    host: env.QBT_MONITOR_HOST,
    port,
    dataDir: env.QBT_MONITOR_DATA_DIR,
    configPath: env.QBT_MONITOR_CONFIG,
    logLevel: env.QBT_MONITOR_LOG_LEVEL,
    locale: localeFromEnv(env),
  });
}

export function loadConfig(env: ConfigOverrides, flags: ConfigOverrides): LoadedConfig {
  const merged = { ...env, ...dropUndefined(flags) };
  const dataDir = resolve(merged.dataDir ?? defaultDataDir());
  const explicitPath = merged.configPath !== undefined;
  const configPath = resolve(merged.configPath ?? join(dataDir, 'config.json'));
  let read: unknown;
  try {
    read = new ConfigFile(configPath).read();
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    // Under a data directory that is not a directory, the data directory is the problem to report.
    if (explicitPath || error.code !== 'ENOTDIR') throw new ConfigError(configPath, [`(file): ${error.problem}`]);
  }
  if (explicitPath && read === undefined) throw new ConfigError(configPath, ['(file): no such file']);
  const fileValue = read ?? {};
  const config = validateConfig(applyOverrides(fileValue, merged), configPath);
  return { config, overrides: merged, dataDir, configPath, fileValue };
}

/** Lays host, port and log level overrides over a config file's value (before validation), and the locale where the file has none. */
export function applyOverrides(file: unknown, overrides: ConfigOverrides): unknown {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) return file;
  const value = { ...(file as Record<string, unknown>) };
  const server = { ...(value.server as Record<string, unknown> | undefined) };
  if (overrides.host !== undefined) server.host = overrides.host;
  if (overrides.port !== undefined) server.port = overrides.port;
  if (Object.keys(server).length > 0) value.server = server;
  if (overrides.logLevel !== undefined) value.log_level = overrides.logLevel;
  if (overrides.locale !== undefined && value.locale === undefined) value.locale = overrides.locale;
  return value;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
