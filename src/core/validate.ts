import { ValidationError, type FieldProblem } from '../errors.js';
import { ALGORITHMS, DEFAULT_ALGORITHM, type AlgorithmName, type LimitSpec } from './types.js';

export const MAX_CLIENT_ID_BYTES = 512;
export const MAX_WINDOW_SECONDS = 31_536_000;
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

// C0 controls, DEL and C1 controls
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
// with the u flag this matches only unpaired surrogates, which have no UTF-8 encoding
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** UTF-8 length of a well-formed string, without touching Buffer. */
export function utf8ByteLength(s: string): number {
  let bytes = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Why `id` is not a valid client id (DESIGN §3), or undefined when it is one. */
export function clientIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'must be a string';
  if (id.length === 0) return 'must not be empty';
  if (LONE_SURROGATE.test(id)) return 'must be valid UTF-8 (unpaired surrogate)';
  if (CONTROL.test(id)) return 'must not contain control characters';
  if (utf8ByteLength(id) > MAX_CLIENT_ID_BYTES)
    return `must be at most ${MAX_CLIENT_ID_BYTES} bytes of UTF-8`;
  return undefined;
}

function intProblem(v: unknown, min: number, max: number): string | undefined {
  if (typeof v !== 'number') return 'must be a number';
  if (!Number.isInteger(v)) return 'must be an integer';
  if (v < min || v > max) return `must be between ${min} and ${max}`;
  return undefined;
}

function check(problems: FieldProblem[], field: string, problem: string | undefined): void {
  if (problem !== undefined) problems.push({ field, message: problem });
}

function throwIfAny(problems: FieldProblem[]): void {
  if (problems.length > 0) throw new ValidationError(problems);
}

export function validateClientId(id: unknown, field = '/clientId'): string {
  const problems: FieldProblem[] = [];
  check(problems, field, clientIdProblem(id));
  throwIfAny(problems);
  return id as string;
}

export function validateCost(cost: unknown, field = '/cost'): number {
  const problems: FieldProblem[] = [];
  check(problems, field, intProblem(cost, 1, MAX_SAFE));
  throwIfAny(problems);
  return cost as number;
}

export function isAlgorithmName(v: unknown): v is AlgorithmName {
  return typeof v === 'string' && (ALGORITHMS as readonly string[]).includes(v);
}

/** Validates id + cost together so every problem is reported at once. */
export function validateAllow(clientId: unknown, cost: unknown): { clientId: string; cost: number } {
  const problems: FieldProblem[] = [];
  check(problems, '/clientId', clientIdProblem(clientId));
  check(problems, '/cost', intProblem(cost, 1, MAX_SAFE));
  throwIfAny(problems);
  return { clientId: clientId as string, cost: cost as number };
}

export function limitSpecProblems(
  input: { limit: unknown; window: unknown; algorithm?: unknown },
  prefix = '',
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  check(problems, `${prefix}/limit`, intProblem(input.limit, 1, MAX_SAFE));
  check(problems, `${prefix}/window`, intProblem(input.window, 1, MAX_WINDOW_SECONDS));
  if (input.algorithm !== undefined && !isAlgorithmName(input.algorithm)) {
    problems.push({ field: `${prefix}/algorithm`, message: `must be one of ${ALGORITHMS.join(', ')}` });
  }
  return problems;
}

/** Validates a limit; a missing algorithm becomes `defaultAlgorithm`. */
export function validateLimitSpec(
  input: { limit: unknown; window: unknown; algorithm?: unknown },
  defaultAlgorithm: AlgorithmName = DEFAULT_ALGORITHM,
  clientId?: unknown,
): LimitSpec {
  const problems: FieldProblem[] = [];
  if (clientId !== undefined || arguments.length > 2) check(problems, '/clientId', clientIdProblem(clientId));
  problems.push(...limitSpecProblems(input));
  throwIfAny(problems);
  return Object.freeze({
    limit: input.limit as number,
    window: input.window as number,
    algorithm: (input.algorithm as AlgorithmName | undefined) ?? defaultAlgorithm,
  });
}

export function multiplierProblem(m: unknown): string | undefined {
  if (typeof m !== 'number' || !Number.isFinite(m)) return 'must be a finite number';
  if (m <= 0 || m > 1) return 'must be greater than 0 and at most 1';
  return undefined;
}

export function validateMultiplier(m: unknown, field = '/multiplier'): number {
  const problems: FieldProblem[] = [];
  check(problems, field, multiplierProblem(m));
  throwIfAny(problems);
  return m as number;
}
