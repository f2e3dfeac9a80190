import type { LogFormat } from './log-record.js';

/** One request to replay. */
export interface TraceRequest {
  /** index into Trace.clients */
  readonly client: number;
  /** epoch milliseconds after spreading (see spread-timestamps.ts); non-decreasing */
  readonly at: number;
  readonly cost: number;
}

/** A parsed, time-sorted, spread access log. */
export interface Trace {
  readonly format: LogFormat;
  /** distinct client ids in order of first appearance (after sorting) */
  readonly clients: readonly string[];
  readonly requests: readonly TraceRequest[];
  /** non-empty lines that were neither a request nor the NASA header */
  readonly skippedLines: number;
}
