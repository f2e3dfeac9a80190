import { assertNever } from '../../core/assert-never.js';
import type { DecisionReason } from '../../core/types.js';

/** What happened to one replayed request; stored in a Uint8Array indexed like Trace.requests. */
export const OUTCOME = {
  NOT_SENT: 0,
  ALLOWED: 1,
  LIMIT_EXCEEDED: 2,
  COST_EXCEEDS_LIMIT: 3,
  NO_LIMIT: 4,
  /** the call failed (HTTP mode: network error, timeout or an unexpected response) */
  ERROR: 5,
} as const;

export type OutcomeCode = (typeof OUTCOME)[keyof typeof OUTCOME];

export function outcomeCode(reason: DecisionReason): OutcomeCode {
  switch (reason) {
    case 'ok':
      return OUTCOME.ALLOWED;
    case 'limit_exceeded':
      return OUTCOME.LIMIT_EXCEEDED;
    case 'cost_exceeds_limit':
      return OUTCOME.COST_EXCEEDS_LIMIT;
    case 'no_limit':
      return OUTCOME.NO_LIMIT;
    default:
      return assertNever(reason);
  }
}

export function isDenied(code: number): boolean {
  return code === OUTCOME.LIMIT_EXCEEDED || code === OUTCOME.COST_EXCEEDS_LIMIT || code === OUTCOME.NO_LIMIT;
}

/** Why a run ended before the end of the trace. */
export type StopReason = 'max-requests' | 'max-seconds';

/** The raw result of one run (virtual or HTTP) over a trace. */
export interface RunResult {
  /** one OutcomeCode per trace request; NOT_SENT past where the run stopped */
  readonly outcomes: Uint8Array;
  /** latency of each sent allow call (microseconds in virtual mode, milliseconds over HTTP) */
  readonly latencies: Float64Array;
  /** requests sent (a prefix of the trace in virtual mode) */
  readonly sent: number;
  readonly wallMs: number;
  readonly stoppedBy: StopReason | null;
}
