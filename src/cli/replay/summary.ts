import type { LimitSpec } from '../../core/types.js';
import { rankClients, type ClientRank } from './client-ranking.js';
import type { CostMode } from './cost.js';
import type { ExactComparison } from './exact-comparison.js';
import type { LogFormat } from './log-record.js';
import { percentile } from './percentile.js';
import { OUTCOME, type RunResult, type StopReason } from './run-result.js';
import type { CompressedPolicy } from './time-compression.js';
import type { Trace } from './trace.js';

/** The policy actually sent to the service in HTTP mode. */
export interface HttpPolicy {
  readonly url: string;
  readonly speedup: number;
  readonly concurrency: number;
  /** null: the service's own default limit applied (--service-default) */
  readonly sent: CompressedPolicy | null;
  readonly maxLagMs: number;
  readonly firstError: string | null;
}

/** Everything the replay reports; printed as a table, or as JSON with --json. */
export interface ReplaySummary {
  readonly file: string;
  readonly format: LogFormat;
  readonly mode: 'virtual' | 'http';
  readonly policy: LimitSpec;
  readonly cost: CostMode;
  readonly trace: {
    readonly requests: number;
    readonly clients: number;
    readonly skippedLines: number;
    readonly first: string;
    readonly last: string;
    readonly spanSeconds: number;
  };
  readonly requests: number;
  readonly allowed: number;
  readonly denied: number;
  readonly deniedBy: {
    readonly limit_exceeded: number;
    readonly cost_exceeds_limit: number;
    readonly no_limit: number;
  };
  readonly errors: number;
  readonly distinctClients: number;
  readonly clientsDenied: number;
  readonly topDenied: readonly ClientRank[];
  readonly wallSeconds: number;
  readonly decisionsPerSecond: number;
  readonly latency: { readonly unit: 'us' | 'ms'; readonly p50: number; readonly p99: number };
  readonly stoppedBy: StopReason | null;
  readonly http: HttpPolicy | null;
  readonly exact: ExactComparison | null;
}

export interface SummaryInput {
  readonly file: string;
  readonly mode: 'virtual' | 'http';
  readonly policy: LimitSpec;
  readonly cost: CostMode;
  readonly trace: Trace;
  readonly run: RunResult;
  readonly http?: HttpPolicy | undefined;
  readonly exact?: ExactComparison | undefined;
}

export function summarize(input: SummaryInput): ReplaySummary {
  const { trace, run } = input;
  const counts = new Array<number>(OUTCOME.ERROR + 1).fill(0);
  for (const outcome of run.outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  const count = (code: number): number => counts[code] ?? 0;
  const clients = rankClients(trace, run.outcomes);
  const firstAt = trace.requests[0]?.at ?? 0;
  const lastAt = trace.requests[trace.requests.length - 1]?.at ?? 0;
  const wallSeconds = run.wallMs / 1000;
  return {
    file: input.file,
    format: trace.format,
    mode: input.mode,
    policy: input.policy,
    cost: input.cost,
    trace: {
      requests: trace.requests.length,
      clients: trace.clients.length,
      skippedLines: trace.skippedLines,
      first: new Date(Math.floor(firstAt / 1000) * 1000).toISOString(),
      last: new Date(Math.floor(lastAt / 1000) * 1000).toISOString(),
      spanSeconds: Math.floor(lastAt / 1000) - Math.floor(firstAt / 1000),
    },
    requests: run.sent,
    allowed: count(OUTCOME.ALLOWED),
    denied: count(OUTCOME.LIMIT_EXCEEDED) + count(OUTCOME.COST_EXCEEDS_LIMIT) + count(OUTCOME.NO_LIMIT),
    deniedBy: {
      limit_exceeded: count(OUTCOME.LIMIT_EXCEEDED),
      cost_exceeds_limit: count(OUTCOME.COST_EXCEEDS_LIMIT),
      no_limit: count(OUTCOME.NO_LIMIT),
    },
    errors: count(OUTCOME.ERROR),
    distinctClients: clients.distinct,
    clientsDenied: clients.denied,
    topDenied: clients.top,
    wallSeconds,
    decisionsPerSecond: wallSeconds > 0 ? Math.round(run.sent / wallSeconds) : 0,
    latency: {
      unit: input.mode === 'virtual' ? 'us' : 'ms',
      p50: percentile(run.latencies, 50),
      p99: percentile(run.latencies, 99),
    },
    stoppedBy: run.stoppedBy,
    http: input.http ?? null,
    exact: input.exact ?? null,
  };
}
