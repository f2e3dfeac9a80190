/**
 * Redis keys of counter state (DESIGN §2): `<prefix>:v1:{<encoded id>}:<algorithm code>`.
 *
 * Redis Cluster hashes the text between the first `{` and the next `}`, so the id is
 * percent-encoded for exactly `%`, `{` and `}`: the tag is then the whole encoded id (one slot per
 * client, whatever bytes the id holds), and the encoding is injective (distinct ids, distinct
 * keys). Every other byte (`:`, spaces, unicode) is kept as it is, so keys stay readable.
 */
import type { AlgorithmName } from '../../core/types.js';

/** What the Lua scripts call each algorithm (ARGV) and the suffix of its state key. */
export const ALGORITHM_CODES = {
  'fixed-window': 'fw',
  'sliding-window': 'sw',
  'sliding-log': 'sl',
  'token-bucket': 'tb',
  'leaky-bucket': 'lb',
} as const satisfies Record<AlgorithmName, string>;

export type AlgorithmCode = (typeof ALGORITHM_CODES)[AlgorithmName];

export const DEFAULT_KEY_PREFIX = 'rl';

const ESCAPES: Readonly<Record<string, string>> = { '%': '%25', '{': '%7B', '}': '%7D' };

/** The client id as it appears inside the hash tag. */
export function encodeClientId(clientId: string): string {
  return clientId.replace(/[%{}]/g, (ch) => ESCAPES[ch] ?? ch);
}

/** Why `prefix` cannot prefix counter keys, or undefined when it can. */
export function keyPrefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0) return 'must not be empty';
  // a brace in the prefix would move the hash tag away from the client id
  if (/[{}]/.test(prefix)) return 'must not contain "{" or "}"';
  return undefined;
}

export function counterKey(prefix: string, clientId: string, algorithm: AlgorithmName): string {
  return `${prefix}:v1:{${encodeClientId(clientId)}}:${ALGORITHM_CODES[algorithm]}`;
}
