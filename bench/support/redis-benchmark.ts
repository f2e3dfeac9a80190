import { runCommand } from '../../test/support/run-command.js';

export interface RedisBenchmarkOptions {
  readonly port: number;
  /** total requests */
  readonly requests: number;
  /** parallel connections (-c) */
  readonly connections: number;
  /** requests per pipeline (-P) */
  readonly pipeline: number;
  /** key space for __rand_int__ (-r) */
  readonly keyspace: number;
  /** the command and its arguments, `__rand_int__` replaced per request */
  readonly command: readonly string[];
  readonly timeoutMs: number;
}

export interface RedisBenchmarkResult {
  readonly requestsPerSec: number;
  /** redis-benchmark's own latency columns; with -P > 1 they time whole pipelines */
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly commandLine: string;
}

function parseCsvLine(line: string): string[] {
  return [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => (m[1] ?? '').replaceAll('""', '"'));
}

/** Parses `redis-benchmark --csv` output: a header row and one row per test. */
function parseRedisBenchmarkCsv(stdout: string): Omit<RedisBenchmarkResult, 'commandLine'> {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('"'));
  const header = parseCsvLine(lines[0] ?? '');
  const row = parseCsvLine(lines[1] ?? '');
  const field = (name: string): number => {
    const value = Number(row[header.indexOf(name)]);
    if (!Number.isFinite(value))
      throw new Error(`redis-benchmark output has no numeric "${name}":\n${stdout}`);
    return value;
  };
  return {
    requestsPerSec: Math.round(field('rps')),
    avgMs: field('avg_latency_ms'),
    p50Ms: field('p50_latency_ms'),
    p99Ms: field('p99_latency_ms'),
  };
}

/** Spawns the real redis-benchmark binary against the bench Redis and parses its requests/s. */
export async function runRedisBenchmark(options: RedisBenchmarkOptions): Promise<RedisBenchmarkResult> {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(options.port),
    '-n',
    String(options.requests),
    '-c',
    String(options.connections),
    '-P',
    String(options.pipeline),
    '-r',
    String(options.keyspace),
    '--csv',
    ...options.command,
  ];
  const stdout = await runCommand('redis-benchmark', args, { timeoutMs: options.timeoutMs });
  return { ...parseRedisBenchmarkCsv(stdout), commandLine: `redis-benchmark ${args.join(' ')}` };
}
