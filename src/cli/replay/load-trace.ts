import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseApacheLine } from './apache-parser.js';
import { costOf, type CostMode } from './cost.js';
import { detectFormat } from './detect-format.js';
import type { LogFormat, LogRecord } from './log-record.js';
import { NASA_HEADER, parseNasaLine } from './nasa-parser.js';
import { spreadTimestamps } from './spread-timestamps.js';
import type { Trace, TraceRequest } from './trace.js';

export interface LoadTraceOptions {
  /** undefined: detect from the first non-empty line */
  readonly format?: LogFormat | undefined;
  readonly cost: CostMode;
}

/** The file is not a log this replay can read. */
export class TraceFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceFormatError';
  }
}

/**
 * Stream-parses an access log line by line, then stable-sorts it by second (the Apache log is not
 * sorted; the NASA one already is) and spreads each second's requests over its 1000 ms.
 * Holds one small record per request in memory.
 */
export async function loadTrace(path: string, options: LoadTraceOptions): Promise<Trace> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let format = options.format;
  const records: LogRecord[] = [];
  let skippedLines = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    if (format === undefined) {
      format = detectFormat(line);
      if (format === undefined) {
        throw new TraceFormatError(`${path}: first line is neither the NASA TSV nor an Apache combined log`);
      }
    }
    if (format === 'nasa' && line.startsWith(NASA_HEADER)) continue;
    const record = format === 'nasa' ? parseNasaLine(line) : parseApacheLine(line);
    if (record === undefined) skippedLines++;
    else records.push(record);
  }
  if (format === undefined || records.length === 0) throw new TraceFormatError(`${path}: no requests found`);
  // Array.prototype.sort is stable: lines of the same second keep their log order
  records.sort((a, b) => a.second - b.second);
  const times = spreadTimestamps(records.map((r) => r.second));
  const index = new Map<string, number>();
  const clients: string[] = [];
  const requests: TraceRequest[] = records.map((record, i) => {
    let client = index.get(record.clientId);
    if (client === undefined) {
      client = clients.length;
      index.set(record.clientId, client);
      clients.push(record.clientId);
    }
    return { client, at: times[i] ?? 0, cost: costOf(record.bytes, options.cost) };
  });
  return { format, clients, requests, skippedLines };
}
