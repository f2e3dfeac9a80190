import type { LogRecord } from './log-record.js';

/** The header row of the NASA TSV conversion. */
export const NASA_HEADER = 'host\tlogname\ttime\tmethod\turl\tresponse\tbytes\treferer\tuseragent';

const DIGITS = /^\d+$/;

/**
 * One line of the NASA TSV (`host logname time method url response bytes referer useragent`,
 * tab-separated, `time` in epoch seconds). Returns undefined for the header row and for a line
 * that does not have that shape.
 */
export function parseNasaLine(line: string): LogRecord | undefined {
  const fields = line.split('\t');
  if (fields.length < 7) return undefined;
  const [host, , time, , , , bytes] = fields;
  if (host === undefined || host === '' || time === undefined || !DIGITS.test(time)) return undefined;
  if (bytes === undefined || (bytes !== '-' && !DIGITS.test(bytes))) return undefined;
  return { clientId: host, second: Number(time), bytes: bytes === '-' ? null : Number(bytes) };
}
