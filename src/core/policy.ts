import type { ClientOverride, ControllerThrottle, ManualThrottle } from '../store/config-store.js';
import type { AlgorithmName, LimitSpec, MultiplierSource } from './types.js';

/** Everything the mirror knows about one client, as plain data. */
export interface PolicyInputs {
  readonly base: LimitSpec | undefined;
  readonly defaults: LimitSpec | undefined;
  readonly clientOverride: ClientOverride | undefined;
  readonly manual: ManualThrottle | undefined;
  readonly controller: ControllerThrottle | undefined;
  readonly defaultAlgorithm: AlgorithmName;
}

/** The limit in force for one call. */
export interface Policy {
  /** the base limit before any multiplier (the client's own, an absolute override, or the default) */
  readonly base: LimitSpec;
  readonly baseSource: 'client' | 'client-override' | 'default';
  readonly effectiveLimit: number;
  readonly multiplier: number;
  readonly multiplierSource: MultiplierSource;
}

/** floor(base x m), never below 1 and never above base. */
export function applyMultiplier(base: number, multiplier: number): number {
  if (multiplier >= 1) return base;
  return Math.min(base, Math.max(1, Math.floor(base * multiplier)));
}

/**
 * Precedence: per-client override > manual global override > controller > 1.0.
 * An absolute per-client override replaces the base limit and is not multiplied further.
 * Returns undefined when the client has no limit and there is no default.
 */
export function resolvePolicy(inputs: PolicyInputs): Policy | undefined {
  const { clientOverride, manual, controller } = inputs;
  if (clientOverride !== undefined && 'limit' in clientOverride) {
    const base: LimitSpec = {
      limit: clientOverride.limit,
      window: clientOverride.window,
      algorithm: inputs.base?.algorithm ?? inputs.defaults?.algorithm ?? inputs.defaultAlgorithm,
    };
    return {
      base,
      baseSource: 'client-override',
      effectiveLimit: base.limit,
      multiplier: 1,
      multiplierSource: 'client-override',
    };
  }
  const base = inputs.base ?? inputs.defaults;
  if (base === undefined) return undefined;
  const baseSource = inputs.base !== undefined ? 'client' : 'default';
  let multiplier = 1;
  let multiplierSource: MultiplierSource = 'none';
  if (clientOverride !== undefined) {
    multiplier = clientOverride.multiplier;
    multiplierSource = 'client-override';
  } else if (manual !== undefined) {
    multiplier = manual.multiplier;
    multiplierSource = 'manual';
  } else if (controller !== undefined) {
    multiplier = controller.multiplier;
    multiplierSource = 'controller';
  }
  return {
    base,
    baseSource,
    effectiveLimit: applyMultiplier(base.limit, multiplier),
    multiplier,
    multiplierSource,
  };
}
