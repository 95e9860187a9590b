#!/usr/bin/env node
/** The `qbt-monitor` command: `serve` (the default) runs the service, `watch` streams its events, `keys` manages API keys. */
import { VERSION } from '../server/build-info.js';
import { ExitCode, UsageError } from './exit-codes.js';

interface Command {
  summary: string;
  usage: () => Promise<string>;
  run: (argv: string[]) => Promise<void>;
}

// Each loaded on demand: `watch` has no use for the server's modules, nor `--version` for any.
const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'run the service (the default command)',
    usage: async () => (await import('./serve.js')).SERVE_USAGE,
    run: async (argv) => (await import('./serve.js')).serve(argv),
  },
  watch: {
    summary: "stream a running service's events to the terminal, pretty or as JSON lines",
    usage: async () => (await import('./watch.js')).WATCH_USAGE,
    run: async (argv) => (await import('./watch.js')).watch(argv),
  },
  keys: {
    summary: 'list, add and revoke API keys (replace a lost key)',
    usage: async () => (await import('./keys.js')).KEYS_USAGE,
    run: async (argv) => (await import('./keys.js')).keys(argv),
  },
};

const USAGE = `qbt-monitor ${VERSION}: a service beside qBittorrent (clipboard links, its WebUI, system metrics,
alerts) pushing everything to a dashboard, SDKs and scripts over WebSocket and server-sent events.

Usage: qbt-monitor [command] [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(7)}${summary}`)
  .join('\n')}

Options:
  -h, --help     this help; qbt-monitor <command> --help for a command's options
  -V, --version  the version

Exit status: 0 done (or stopped by a signal), 1 failed, 64 bad usage, 69 cannot listen (port taken),
73 cannot write a file, 74 cannot use the data directory, 78 bad config file.`;

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V' || first === 'version') {
    process.stdout.write(`qbt-monitor ${VERSION}\n`);
    return;
  }
  if (first === '--help' || first === '-h' || (first === 'help' && rest.length === 0)) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (first === 'help') return main([rest[0]!, '--help']);
  // No command, or options only: serve (`qbt-monitor --port 9090`).
  const [name, args] = first === undefined || first.startsWith('-') ? ['serve', argv] : [first, rest];
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  try {
    await command.run(args);
  } catch (error) {
    if (isUsageError(error)) throw new UsageError(error.message, { cause: await command.usage() });
    throw error;
  }
}

/** UsageError, or parseArgs's complaint about an unknown or malformed option (a TypeError with an ERR_PARSE_ARGS_ code). */
function isUsageError(error: unknown): error is Error {
  return (
    error instanceof UsageError ||
    (error instanceof TypeError && String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS'))
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`qbt-monitor: ${error.message}\n\n${typeof error.cause === 'string' ? error.cause : USAGE}\n`);
    process.exitCode = ExitCode.USAGE;
  } else {
    process.stderr.write(`qbt-monitor: ${error instanceof Error ? error.message : String(error)}\n`);
    // A server may already be listening: it must not keep a failed start alive.
    process.exit(ExitCode.FAILURE);
  }
});
