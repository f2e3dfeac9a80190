import { checkLimitSpec } from '../../core/config-schema.js';
import { DEFAULT_ALGORITHM, type AlgorithmName } from '../../core/types.js';
import type { FieldProblem } from '../../errors.js';

/**
 * A limit as it is stored: `{limit, window, algorithm?}`. Unlike the service, the CLI does not know
 * the service's RL_DEFAULT_ALGORITHM, so a value without an algorithm stays without one (the
 * service applies its default when it reads it) and export/import carry it over exactly.
 */
export interface StoredLimit {
  readonly limit: number;
  readonly window: number;
  readonly algorithm?: AlgorithmName;
}

export type StoredLimitResult =
  | { readonly ok: true; readonly value: StoredLimit }
  | { readonly ok: false; readonly problems: readonly FieldProblem[] };

/** Checks a decoded `{limit, window, algorithm?}` with the service's schema. */
export function checkStoredLimit(input: unknown): StoredLimitResult {
  const checked = checkLimitSpec(input, DEFAULT_ALGORITHM);
  if (!checked.ok) return checked;
  const named = (input as { algorithm?: unknown }).algorithm !== undefined;
  const { limit, window, algorithm } = checked.value;
  return { ok: true, value: named ? { limit, window, algorithm } : { limit, window } };
}

/** Parses a stored value (JSON text). */
export function parseStoredLimit(text: string): StoredLimitResult {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    return { ok: false, problems: [{ field: '', message: 'must be valid JSON' }] };
  }
  return checkStoredLimit(input);
}

/** The stored JSON text: keys in the service's order, so equal limits are equal strings. */
export function encodeStoredLimit(value: StoredLimit): string {
  return JSON.stringify(
    value.algorithm === undefined
      ? { limit: value.limit, window: value.window }
      : { limit: value.limit, window: value.window, algorithm: value.algorithm },
  );
}

/** One line of an export/import file: `{"id":..,"limit":..,"window":..,"algorithm":..}`. */
export function encodeLimitLine(id: string, value: StoredLimit): string {
  return JSON.stringify(
    value.algorithm === undefined
      ? { id, limit: value.limit, window: value.window }
      : { id, limit: value.limit, window: value.window, algorithm: value.algorithm },
  );
}
