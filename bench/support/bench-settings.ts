import { ALGORITHMS, type AlgorithmName } from '../../src/core/types.js';

/** Knobs of a benchmark run, read once from the environment (bench only; the service never reads these). */
export interface BenchSettings {
  /** measured seconds per cell */
  readonly seconds: number;
  /** unmeasured warm-up seconds before each cell */
  readonly warmupSeconds: number;
  /** distinct client ids cycled through by every cell */
  readonly clients: number;
  /** in-flight levels of the library bench */
  readonly inFlight: readonly number[];
  /** algorithms of our store measured by the library bench */
  readonly algorithms: readonly AlgorithmName[];
  /** fixed request rate of the HTTP latency run */
  readonly httpRate: number;
  /** connections the HTTP load generators keep open */
  readonly httpConnections: number;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function positiveIntegers(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: readonly number[],
): readonly number[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`${name} must be a comma-separated list of positive integers, got "${raw}"`);
  }
  return values;
}

function isAlgorithm(name: string): name is AlgorithmName {
  return (ALGORITHMS as readonly string[]).includes(name);
}

/** BENCH_ALGORITHMS: a comma-separated list, or "all"; default fixed-window and sliding-window. */
function algorithmList(raw: string | undefined): readonly AlgorithmName[] {
  if (raw === undefined || raw === '') return ['fixed-window', 'sliding-window'];
  if (raw === 'all') return ALGORITHMS;
  const names = raw.split(',').map((a) => a.trim());
  const unknown = names.filter((n) => !isAlgorithm(n));
  if (unknown.length > 0)
    throw new Error(`BENCH_ALGORITHMS: unknown ${unknown.join(', ')} (known: ${ALGORITHMS.join(', ')}, all)`);
  return names.filter(isAlgorithm);
}

export function readBenchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const seconds = positiveNumber(env, 'BENCH_SECONDS', 4);
  const algorithms = algorithmList(env['BENCH_ALGORITHMS']);
  return Object.freeze({
    seconds,
    warmupSeconds: positiveNumber(env, 'BENCH_WARMUP_SECONDS', Math.min(1, seconds / 4)),
    clients: Math.round(positiveNumber(env, 'BENCH_CLIENTS', 10_000)),
    inFlight: positiveIntegers(env, 'BENCH_IN_FLIGHT', [1, 64, 256]),
    algorithms,
    httpRate: positiveNumber(env, 'BENCH_HTTP_RATE', 5_000),
    httpConnections: Math.round(positiveNumber(env, 'BENCH_HTTP_CONNECTIONS', 64)),
  });
}
