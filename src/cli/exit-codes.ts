/** The exit statuses of every `qbt-monitor` command, from BSD's sysexits where one fits; README lists them. */
export const ExitCode = {
  /** Done, or stopped by SIGINT/SIGTERM. */
  OK: 0,
  /** The work failed: the server refused `watch`, `keys` found no such key, `serve` stopped uncleanly or its stop overran. */
  FAILURE: 1,
  /** Bad command line: an unknown command or option, a missing or malformed value. */
  USAGE: 64,
  /** `serve` could not listen: the port is taken, or the address cannot be used. */
  UNAVAILABLE: 69,
  /** A file could not be written (the config file that `keys` edits). */
  CANT_CREATE: 73,
  /** `serve` cannot use its data directory: not writable, full, a damaged database (the line says which file and what to do). */
  IO_ERROR: 74,
  /** The config file is missing, not JSON, or invalid. */
  CONFIG: 78,
} as const;

/** A command-line mistake: reported with the command's usage, exit status 64. */
export class UsageError extends Error {}
