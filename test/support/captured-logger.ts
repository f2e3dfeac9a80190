import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface CapturedLogger {
  readonly logger: Logger;
  /** every line written so far, parsed */
  readonly lines: Record<string, unknown>[];
}

/** A pino logger at `level` whose lines are kept in memory for assertions. */
export function captureLogs(level = 'info'): CapturedLogger {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) {
        if (line.length > 0) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: pino({ level }, destination), lines };
}
