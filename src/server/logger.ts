/** The structured logger (pino, JSON lines on stderr), with the API document's level names mapped to pino's. */
import { pino, type Logger } from 'pino';

const LEVELS: Record<string, pino.Level> = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  warn: 'warn',
  error: 'error',
  critical: 'fatal',
};

export function pinoLevel(level: string): pino.Level {
  return LEVELS[level.toLowerCase()] ?? 'info';
}

export function createLogger(level: string): Logger {
  return pino({ level: pinoLevel(level), base: { pid: process.pid } }, pino.destination(2));
}
