import { parseApacheLine } from './apache-parser.js';
import type { LogFormat } from './log-record.js';
import { NASA_HEADER, parseNasaLine } from './nasa-parser.js';

/** The format of a log judged from its first non-empty line, or undefined when neither fits. */
export function detectFormat(firstLine: string): LogFormat | undefined {
  if (firstLine.startsWith(NASA_HEADER) || parseNasaLine(firstLine) !== undefined) return 'nasa';
  if (parseApacheLine(firstLine) !== undefined) return 'apache';
  return undefined;
}
