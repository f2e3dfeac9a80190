import { ALGORITHMS } from '../../core/types.js';

export const USAGE = `usage: npm run ctl -- COMMAND [options]

Reads and writes the rate limiter's control plane in etcd directly (no service needed), with the
same validation as the service. Client ids are given as they are (the CLI percent-encodes them
into keys): npm run ctl -- limits get 'tenant/a'.

limits
  limits get ID                            print the client's stored limit as a JSON line
  limits set ID LIMIT WINDOW [ALGORITHM]   store a limit (WINDOW in seconds; without ALGORITHM
                                           the service's RL_DEFAULT_ALGORITHM applies)
  limits delete ID                         remove the client's own limit
  limits export [FILE]                     every limit as JSON lines (stdout by default):
                                           {"id":..,"limit":..,"window":..,"algorithm":..}
  limits import FILE                       store every limit of a JSON-lines file; nothing is
                                           written unless every line is valid

multipliers
  throttle get                             the global multipliers and the one in force
  throttle set MULTIPLIER REASON [--ttl SECONDS]
                                           manual global override (0 < MULTIPLIER <= 1); beats
                                           the controller; with --ttl it ends by itself
  throttle clear                           remove the manual override
  overrides set ID --multiplier M          per-client multiplier (beats every global one)
  overrides set ID --limit L --window W    per-client absolute limit (replaces the base limit)
  overrides delete ID

defaults (the limit of clients with none of their own)
  defaults get | defaults set LIMIT WINDOW [ALGORITHM] | defaults clear

status                                     instances and their load, multipliers in force and
                                           their sources, etcd revision, key counts

options
  --endpoints URLS   etcd endpoints, comma-separated (default: $ETCD_ENDPOINTS)
  --prefix PREFIX    key prefix (default: $ETCD_PREFIX, else /ratelimiter)
  --timeout MS       longest one etcd call may take, retries included (default 5000)
  --json             throttle get, defaults get, status: print JSON
  --help             this text

ALGORITHM is one of ${ALGORITHMS.join(', ')}.
Exit status: 0 done, 1 failed (etcd unreachable, not found, invalid input file), 2 bad usage.`;

/** Bad command-line arguments; the message lists every problem. */
export class UsageError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'UsageError';
    this.problems = problems;
  }
}

/** The command ran and failed (not found, invalid input file, ...); the message says why. */
export class CtlFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CtlFailure';
  }
}
