import type { LimitSpec } from '../../core/types.js';
import { peakInWindow } from './peak-in-window.js';
import { OUTCOME, isDenied } from './run-result.js';
import type { Trace } from './trace.js';

/** How one algorithm's decisions differ from exact sliding-log's over the same trace. */
export interface ExactComparison {
  readonly exactAlgorithm: 'sliding-log';
  readonly exactAllowed: number;
  readonly exactDenied: number;
  /** allowed by the chosen algorithm, denied by sliding-log */
  readonly overAdmits: number;
  /** denied by the chosen algorithm, allowed by sliding-log */
  readonly underAdmits: number;
  /** most units any client got inside one window: chosen algorithm / sliding-log (<= limit) */
  readonly peakInWindow: { readonly chosen: number; readonly exact: number };
  /** clients that the chosen algorithm let exceed the limit inside some window */
  readonly clientsOverLimit: number;
}

/**
 * Compares two independent replays of the same trace prefix, decision by decision. Each run keeps
 * its own state, so after a first difference the two budgets can drift apart: the counts are
 * what each algorithm would really have decided, not a per-call error against a shared state.
 */
export function compareWithExact(
  trace: Trace,
  spec: LimitSpec,
  chosen: Uint8Array,
  exact: Uint8Array,
): ExactComparison {
  let exactAllowed = 0;
  let exactDenied = 0;
  let overAdmits = 0;
  let underAdmits = 0;
  for (let i = 0; i < exact.length; i++) {
    const e = exact[i] ?? OUTCOME.NOT_SENT;
    const c = chosen[i] ?? OUTCOME.NOT_SENT;
    if (e === OUTCOME.ALLOWED) exactAllowed++;
    else if (isDenied(e)) exactDenied++;
    if (c === OUTCOME.ALLOWED && isDenied(e)) overAdmits++;
    else if (isDenied(c) && e === OUTCOME.ALLOWED) underAdmits++;
  }
  const windowMs = spec.window * 1000;
  const chosenPeaks = peakInWindow(trace, chosen, windowMs);
  const exactPeaks = peakInWindow(trace, exact, windowMs);
  return {
    exactAlgorithm: 'sliding-log',
    exactAllowed,
    exactDenied,
    overAdmits,
    underAdmits,
    peakInWindow: { chosen: largest(chosenPeaks), exact: largest(exactPeaks) },
    clientsOverLimit: chosenPeaks.filter((peak) => peak > spec.limit).length,
  };
}

function largest(values: Float64Array): number {
  return values.reduce((max, v) => (v > max ? v : max), 0);
}
