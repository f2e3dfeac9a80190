import type { LogRecord } from './log-record.js';

/** Apache combined log format; the regex of /work/shared/data/README.md (parses every line there). */
export const APACHE_LINE = /^(\S+) \S+ \S+ \[([^\]]+)\] "([^"]*)" (\d{3}) (\S+)(?: "([^"]*)" "([^"]*)")?/;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const TIME = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** `17/May/2015:10:05:03 +0000` -> Unix epoch seconds (the offset is applied), or undefined. */
export function parseApacheTime(text: string): number | undefined {
  const m = TIME.exec(text);
  if (m === null) return undefined;
  const [, day, mon, year, hh, mm, ss, sign, offH, offM] = m;
  const month = MONTHS.indexOf(mon ?? '');
  if (month < 0) return undefined;
  const local = Date.UTC(Number(year), month, Number(day), Number(hh), Number(mm), Number(ss)) / 1000;
  const offset = (Number(offH) * 60 + Number(offM)) * 60;
  return sign === '+' ? local - offset : local + offset;
}

/** One line of an Apache combined log, or undefined when it does not match. */
export function parseApacheLine(line: string): LogRecord | undefined {
  const m = APACHE_LINE.exec(line);
  if (m === null) return undefined;
  const [, address, time, , , bytes] = m;
  const second = parseApacheTime(time ?? '');
  if (address === undefined || second === undefined || bytes === undefined) return undefined;
  if (bytes !== '-' && !/^\d+$/.test(bytes)) return undefined;
  return { clientId: address, second, bytes: bytes === '-' ? null : Number(bytes) };
}
