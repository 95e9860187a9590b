#!/usr/bin/env node
/** The `qbt-monitor` command: `serve` (the default) runs the service; `watch` streams its events. */
import { serve, SERVE_USAGE } from './serve.js';

const [command = 'serve', ...rest] = process.argv.slice(2);
const commands: Record<string, (argv: string[]) => Promise<void>> = {
  serve,
  // Loaded on demand: a client has no use for the server's modules.
  watch: async (argv) => (await import('./watch.js')).watch(argv),
};

const run = command.startsWith('-') ? () => serve([command, ...rest]) : commands[command] && (() => commands[command]!(rest));
if (!run) {
  process.stderr.write(`qbt-monitor: unknown command "${command}"\n\n${SERVE_USAGE}\n`);
  process.exitCode = 64;
} else {
  run().catch((error: unknown) => {
    process.stderr.write(`qbt-monitor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
