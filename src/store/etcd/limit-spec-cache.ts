import { parseConfigValue, type SchemaResult } from '../../core/config-schema.js';
import type { AlgorithmName, LimitSpec } from '../../core/types.js';

export const DEFAULT_LIMIT_SPEC_CACHE_ENTRIES = 10_000;

/**
 * Parsed limit values by their JSON text. Most clients share a handful of specs, so a mirror of a
 * million clients holds a handful of LimitSpec objects and parses each distinct text once; a mirror
 * entry costs little more than its id. Bounded: past `maxEntries` distinct texts, values are still
 * parsed (and correct) but each gets its own object.
 */
export class LimitSpecCache {
  readonly #byText = new Map<string, LimitSpec>();
  readonly #defaultAlgorithm: AlgorithmName;
  readonly #maxEntries: number;

  constructor(defaultAlgorithm: AlgorithmName, maxEntries = DEFAULT_LIMIT_SPEC_CACHE_ENTRIES) {
    this.#defaultAlgorithm = defaultAlgorithm;
    this.#maxEntries = maxEntries;
  }

  parse(text: string): SchemaResult<LimitSpec> {
    const cached = this.#byText.get(text);
    if (cached !== undefined) return { ok: true, value: cached };
    const result = parseConfigValue('limit', text, this.#defaultAlgorithm);
    if (result.ok && this.#byText.size < this.#maxEntries) this.#byText.set(text, result.value);
    return result;
  }
}
