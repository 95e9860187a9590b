/** `qbt-monitor serve`: load the config, start the service, stop cleanly on SIGINT/SIGTERM. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultDataDir, legacyDataDir } from '../config/data-dir.js';
import { type LoadedConfig, loadConfig, overridesFromEnv } from '../config/load.js';
import { ConfigError } from '../config/validate.js';
import { createLogger, defaultLogFormat, isLogFormat, LOG_FORMATS } from '../server/logger.js';
import { DataDirError } from '../store/data-dir.js';
import { ExitCode, UsageError } from './exit-codes.js';

/** How long a stop may run past `server.shutdown_grace_ms` before the process exits anyway (status 1). */
export const STOP_MARGIN_MS = 5000;

export const SERVE_USAGE = `Usage: qbt-monitor serve [--host H] [--port P] [--data-dir D] [--config F] [--log-level L] [--log-format F]

  --host        interface to listen on (default 127.0.0.1)               QBT_MONITOR_HOST
  --port        TCP port (default 8080; 0 picks a free one)               QBT_MONITOR_PORT
  --data-dir    database, generated key and run records                  QBT_MONITOR_DATA_DIR
                (default ${defaultDataDir()})
  --config      JSON config file (default <data-dir>/config.json; optional) QBT_MONITOR_CONFIG
  --log-level   DEBUG, INFO, WARNING, ERROR                               QBT_MONITOR_LOG_LEVEL
  --log-format  pretty or json (default: pretty at a terminal, else json) QBT_MONITOR_LOG_FORMAT

Flags beat the environment, which beats the config file.`;

export async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return;
  }
  const logFormat = values['log-format'] ?? process.env.QBT_MONITOR_LOG_FORMAT ?? defaultLogFormat();
  if (!isLogFormat(logFormat)) throw new UsageError(`--log-format ${logFormat}: expected ${LOG_FORMATS.join(' or ')}`);
  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) throw new UsageError(`--port ${values.port}: expected 0-65535`);
  const flags = {
    host: values.host,
    port: values.port === undefined ? undefined : Number(values.port),
    dataDir: values['data-dir'],
    configPath: values.config,
    logLevel: values['log-level'],
  };
  // Loaded once the command line is known to be good: a usage error or --help answers at once.
  const { createApp } = await import('../server/app.js');
  let stopSignal: NodeJS.Signals | undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    // Only the first signal stops cleanly: with the handlers gone, a second one ends the process at once.
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      stopSignal = signal;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  // One app per run of the loop: a restart asked for through the API stops it and starts a new one
  // in this process, on the config file's current content.
  for (;;) {
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig(overridesFromEnv(process.env), flags);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`qbt-monitor: ${error.message}\n`);
      process.exitCode = ExitCode.CONFIG;
      return;
    }
    const { dataDir, configPath } = loaded;
    const logger = createLogger(loaded.config.log_level, logFormat);
    let generated: { key: string; file: string } | undefined;
    let url: string;
    let app: Awaited<ReturnType<typeof createApp>>;
    try {
      app = await createApp({ ...loaded, logger, announceKey: (key, file) => (generated = { key, file }) });
      ({ url } = await app.start());
    } catch (error) {
      // The data directory's line names the file and what to do; the listening socket's, the port.
      if (error instanceof DataDirError) {
        process.stderr.write(`qbt-monitor: ${error.message}\n`);
        process.exit(ExitCode.IO_ERROR);
      }
      const unavailable = listenFailure(error, loaded.config.server);
      if (!unavailable) throw error;
      process.stderr.write(`qbt-monitor: ${unavailable}\n`);
      process.exit(ExitCode.UNAVAILABLE);
    }
    const ws = `${url.replace(/^http/, 'ws')}/ws`;
    // Where it listens and keeps its data is shown at every log level: nobody could use the service without it.
    const announce = logger.child({}, { level: 'info' });
    announce.info({ url, dashboard: `${url}/`, websocket: ws }, `listening on ${url} (dashboard ${url}/, WebSocket ${ws})`);
    const configNote = existsSync(configPath) ? '' : ' (not there: defaults apply)';
    announce.info({ data_dir: dataDir, config: configPath }, `data in ${dataDir}, config ${configPath}${configNote}`);
    const legacy = loaded.overrides.dataDir === undefined ? legacyDataDir() : undefined;
    if (legacy && legacy !== dataDir) {
      logger.warn({ legacy }, `${legacy} (where earlier versions kept their data) is not used: start with --data-dir ${legacy} to keep it`);
    }
    if (generated) process.stdout.write(keyBanner(generated.key, generated.file, url, ws));

    const outcome = await Promise.race([
      signalled.then(() => ({ restart: false, reason: 'signal' })),
      app.restartRequested.then((reason) => ({ restart: true, reason })),
    ]);
    const { reason } = outcome;
    logger.info({ reason, signal: stopSignal }, 'stopping');
    // A stop that hangs (a peer that stopped answering) must not keep the process: past the clients'
    // grace and a margin, it says where it is stuck and exits.
    const limitMs = app.liveConfig.current.server.shutdown_grace_ms + STOP_MARGIN_MS;
    const overrun = setTimeout(() => {
      const step = app.stopStep ?? 'between steps';
      logger.error({ reason, step, limit_ms: limitMs }, `stop did not finish within ${limitMs} ms (still at: ${step}): exiting`);
      process.exit(ExitCode.FAILURE);
    }, limitMs);
    try {
      await app.stop(reason);
    } catch (err) {
      logger.error({ err }, 'unclean stop');
      process.exit(ExitCode.FAILURE);
    } finally {
      clearTimeout(overrun);
    }
    if (!outcome.restart) process.exit(ExitCode.OK);
  }
}

/** One line saying why the service cannot listen and what to do, or undefined when the error is something else. */
function listenFailure(error: unknown, { host, port }: { host: string; port: number }): string | undefined {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE': {
      const suspect = port === 8080 ? " (by qBittorrent's WebUI, which also defaults to 8080, or another qbt-monitor?)" : '';
      return `port ${port} on ${host} is already in use${suspect}: start with --port <another port>, e.g. --port ${port === 9090 ? 9091 : 9090}`;
    }
    case 'EACCES':
      return `not allowed to listen on port ${port} (ports below 1024 need privileges): start with --port 8080 or another port above 1023`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `cannot listen on ${host}: no such address on this machine; start with --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface)`;
    default:
      return undefined;
  }
}

function keyBanner(key: string, file: string, url: string, ws: string): string {
  return (
    `\nGenerated an admin API key (shown only this once; its hash is in ${file}):\n\n    ${key}\n\n` +
    `Open ${url}/ and paste it, or connect with  Authorization: Bearer ${key}  or  ${ws}?token=${key}\n` +
    'Lost it? `qbt-monitor keys add NAME --role admin` makes another.\n\n'
  );
}
