import { parseArgs } from 'node:util';
import { ALGORITHMS, DEFAULT_ALGORITHM, type LimitSpec } from '../../core/types.js';
import { limitSpecProblems } from '../../core/validate.js';
import { ValidationError } from '../../errors.js';
import { COST_MODES, type CostMode } from './cost.js';
import { parseTarget, TargetError } from './http-target.js';
import { LOG_FORMATS, type LogFormat } from './log-record.js';
import { compressPolicy, type CompressedPolicy } from './time-compression.js';

export const USAGE = `usage: npm run replay -- FILE [options]

Replays an access log (NASA TSV or Apache combined log) through the rate limiter, one policy
for every client (clientId = host / remote address), and prints what was allowed and denied.
Timestamps have 1 s resolution: the i-th of the n requests of second s is replayed at
s*1000 + floor(i*1000/n) ms.

policy
  --limit N               units per window (default 10)
  --window SECONDS        window length in whole seconds (default 60)
  --algorithm NAME        ${ALGORITHMS.join(' | ')} (default ${DEFAULT_ALGORITHM})
  --cost one|bytes        1 per request (default), or max(1, ceil(bytes/10000)) with '-' as 0

input
  --format auto|nasa|apache   log format (default auto: judged from the first line)
  --max-requests N        replay only the first N requests (after sorting by time)
  --max-seconds S         stop sending after S seconds of wall time (http mode default 60)

mode
  --mode virtual          (default) in-process limiter on in-memory stores; a manual clock
                          follows the trace: deterministic, as fast as possible
  --compare-exact         virtual mode: also replay with sliding-log and report how many
                          decisions differ (over-/under-admits) and the peak per window
  --mode http             real time against a running service: POST /v1/allow per request
  --url URL               service address (default http://127.0.0.1:8080); loopback only
  --allow-remote          permit a non-loopback --url
  --speedup N             integer: replay N times faster than logged. The policy is scaled
                          by N: the window is divided by N when it divides evenly (exact),
                          otherwise the limit is multiplied by N (same average rate)
  --concurrency K         most calls in flight (default 32)
  --token TOKEN           admin bearer token for PUT /v1/limits/:id (default: $RL_ADMIN_TOKEN)
  --service-default       do not PUT limits; rely on the service's default limit

output
  --json                  print the summary as JSON on stdout
  --help                  this text

A progress bar is drawn on stderr when it is a terminal. Exit status: 0 done, 1 failed or
some calls failed (the summary is still printed), 2 bad arguments or unreadable input.`;

export type ReplayMode = 'virtual' | 'http';

export interface HttpOptions {
  readonly url: URL;
  readonly speedup: number;
  readonly concurrency: number;
  readonly token: string | undefined;
  /** the policy to PUT per client, scaled for the speedup; null with --service-default */
  readonly sent: CompressedPolicy | null;
}

export interface ReplayOptions {
  readonly file: string;
  readonly format: LogFormat | undefined;
  readonly cost: CostMode;
  readonly spec: LimitSpec;
  readonly mode: ReplayMode;
  /** set in http mode only */
  readonly http: HttpOptions | undefined;
  readonly maxRequests: number | undefined;
  readonly maxSeconds: number | undefined;
  readonly compareExact: boolean;
  readonly json: boolean;
}

export type ParsedArgs =
  { readonly kind: 'help' } | { readonly kind: 'run'; readonly options: ReplayOptions };

/** Bad command-line arguments; the message lists every problem. */
export class UsageError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'UsageError';
    this.problems = problems;
  }
}

const HTTP_DEFAULT_MAX_SECONDS = 60;

const FLAGS = {
  format: { type: 'string' },
  cost: { type: 'string' },
  limit: { type: 'string' },
  window: { type: 'string' },
  algorithm: { type: 'string' },
  mode: { type: 'string' },
  url: { type: 'string' },
  'allow-remote': { type: 'boolean' },
  speedup: { type: 'string' },
  concurrency: { type: 'string' },
  token: { type: 'string' },
  'service-default': { type: 'boolean' },
  'max-requests': { type: 'string' },
  'max-seconds': { type: 'string' },
  'compare-exact': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HTTP_ONLY = ['url', 'allow-remote', 'speedup', 'concurrency', 'token', 'service-default'] as const;

function oneOf<T extends string>(
  problems: string[],
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`--${flag}: must be one of ${allowed.join(', ')} (got "${value}")`);
  return undefined;
}

/** An integer flag in [min, max]; undefined when absent or invalid (the problem is recorded). */
function integer(
  problems: string[],
  flag: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  problems.push(`--${flag}: must be an integer between ${min} and ${max} (got "${value}")`);
  return undefined;
}

function positive(problems: string[], flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (n > 0 && Number.isFinite(n)) return n;
  problems.push(`--${flag}: must be a positive number of seconds (got "${value}")`);
  return undefined;
}

function numberOrText(value: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

function policy(
  problems: string[],
  values: { limit?: string; window?: string; algorithm?: string },
): LimitSpec {
  const input = {
    limit: numberOrText(values.limit ?? '10'),
    window: numberOrText(values.window ?? '60'),
    algorithm: values.algorithm ?? DEFAULT_ALGORITHM,
  };
  for (const p of limitSpecProblems(input)) problems.push(`--${p.field.slice(1)}: ${p.message}`);
  return input as LimitSpec;
}

function httpOptions(
  problems: string[],
  values: {
    url?: string;
    'allow-remote'?: boolean;
    speedup?: string;
    concurrency?: string;
    token?: string;
    'service-default'?: boolean;
  },
  spec: LimitSpec,
  envToken: string | undefined,
): HttpOptions | undefined {
  let url: URL | undefined;
  try {
    url = parseTarget(values.url ?? 'http://127.0.0.1:8080', values['allow-remote'] === true);
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    problems.push(err.message);
  }
  const speedup = integer(problems, 'speedup', values.speedup ?? '1', 1, 1_000_000);
  const concurrency = integer(problems, 'concurrency', values.concurrency ?? '32', 1, 1024);
  if (url === undefined || speedup === undefined || concurrency === undefined || problems.length > 0)
    return undefined;
  let sent: CompressedPolicy | null = null;
  if (values['service-default'] !== true) {
    try {
      sent = compressPolicy(spec, speedup);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      problems.push(`--speedup: the limit scaled by ${speedup} is out of range (${err.message})`);
      return undefined;
    }
  }
  const token = values.token ?? (envToken === '' ? undefined : envToken);
  return { url, speedup, concurrency, token, sent };
}

/**
 * Parses and validates the command line; every problem is reported at once (UsageError).
 * `envToken` is $RL_ADMIN_TOKEN, used when --token is absent.
 */
export function parseReplayArgs(argv: readonly string[], envToken?: string): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError([err instanceof Error ? err.message : String(err)]);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  const problems: string[] = [];
  if (positionals.length !== 1) problems.push(`expected exactly one FILE, got ${positionals.length}`);
  const format = values.format === 'auto' ? undefined : oneOf(problems, 'format', values.format, LOG_FORMATS);
  const cost = oneOf(problems, 'cost', values.cost, COST_MODES) ?? 'one';
  const mode = oneOf(problems, 'mode', values.mode, ['virtual', 'http'] as const) ?? 'virtual';
  const spec = policy(problems, values);
  const maxRequests = integer(problems, 'max-requests', values['max-requests'], 1, Number.MAX_SAFE_INTEGER);
  let maxSeconds = positive(problems, 'max-seconds', values['max-seconds']);
  let http: HttpOptions | undefined;
  if (mode === 'http') {
    if (values['compare-exact'] === true) problems.push('--compare-exact: only with --mode virtual');
    http = httpOptions(problems, values, spec, envToken);
    maxSeconds ??= HTTP_DEFAULT_MAX_SECONDS;
  } else {
    for (const flag of HTTP_ONLY) {
      if (values[flag] !== undefined) problems.push(`--${flag}: only with --mode http`);
    }
  }
  if (problems.length > 0) throw new UsageError(problems);
  return {
    kind: 'run',
    options: {
      file: positionals[0] ?? '',
      format,
      cost,
      spec,
      mode,
      http,
      maxRequests,
      maxSeconds,
      compareExact: values['compare-exact'] === true,
      json: values.json === true,
    },
  };
}
