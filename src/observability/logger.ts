import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../settings.js';

export type { Logger } from 'pino';

/** Paths whose values are never written: bearer tokens in any shape they may be logged in. */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'request.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  'adminToken',
  '*.token',
  '*.adminToken',
  '*.headers.authorization',
];

export interface LoggerOptions {
  readonly level: LogLevel;
  /** where lines go; stdout when absent (tests pass a stream to read them back) */
  readonly destination?: DestinationStream;
}

/** The root logger. Built once in main.ts; components take `logger.child({ component })`. */
export function createLogger(options: LoggerOptions): Logger {
  const config = {
    level: options.level,
    redact: { paths: [...REDACTED_PATHS], censor: '[Redacted]' },
    base: { pid: process.pid },
  };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}
