import type { LimitSpec } from '../../core/types.js';
import { validateLimitSpec } from '../../core/validate.js';

/** How the policy was adapted to a replay running `speedup` times faster than the log. */
export type CompressionMethod = 'none' | 'window-divided' | 'limit-multiplied';

export interface CompressedPolicy {
  readonly spec: LimitSpec;
  readonly method: CompressionMethod;
}

/**
 * Replaying at `speedup` x real time divides every offset by `speedup`. The policy is scaled by
 * the same factor so clients meet the same budget per unit of trace time:
 * - window divisible by speedup: window / speedup, limit unchanged. Exact: every window of the
 *   trace maps onto exactly one window of the replay.
 * - otherwise: window unchanged, limit x speedup. The same average rate, but one replay window
 *   spans `speedup` trace windows, so bursts inside it are allowed more than in the log.
 * Throws ValidationError when the scaled limit is out of range.
 */
export function compressPolicy(spec: LimitSpec, speedup: number): CompressedPolicy {
  if (speedup === 1) return { spec, method: 'none' };
  if (spec.window % speedup === 0) {
    return { spec: { ...spec, window: spec.window / speedup }, method: 'window-divided' };
  }
  return {
    spec: validateLimitSpec({ ...spec, limit: spec.limit * speedup }, spec.algorithm),
    method: 'limit-multiplied',
  };
}
