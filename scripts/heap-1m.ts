/**
 * Proof that embedded mode's memory is bounded: one million distinct clients go through
 * RateLimiter.allow on the in-memory stores (one default limit, a ManualClock), then the clock
 * moves past every window and the counter store's sweep runs. The heap (after GC) must come back
 * to within 10% of where it started; the exit status says whether it did.
 *
 *   npm run heap-1m [-- ALGORITHM]      (tsx --expose-gc scripts/heap-1m.ts; default sliding-window)
 */
import { ALGORITHMS, DEFAULT_ALGORITHM, type AlgorithmName, type LimitSpec } from '../src/core/types.js';
import { isAlgorithmName } from '../src/core/validate.js';
import { RateLimiter } from '../src/limiter/rate-limiter.js';
import { ManualClock } from '../src/store/memory/manual-clock.js';
import { MemoryConfigStore } from '../src/store/memory/memory-config-store.js';
import { MemoryCounterStore } from '../src/store/memory/memory-counter-store.js';

const CLIENTS = 1_000_000;
const TOLERANCE = 0.1;

const gc = globalThis.gc;
if (gc === undefined) {
  process.stderr.write('heap-1m: run with --expose-gc (npm run heap-1m)\n');
  process.exit(2);
}

const arg = process.argv[2] ?? DEFAULT_ALGORITHM;
if (!isAlgorithmName(arg)) {
  process.stderr.write(`heap-1m: algorithm must be one of ${ALGORITHMS.join(', ')}\n`);
  process.exit(2);
}
const algorithm: AlgorithmName = arg;
const spec: LimitSpec = { limit: 10, window: 1, algorithm };

function heapUsed(): number {
  // twice: the first pass can leave work (weak references, finalizers) for the second
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const clock = new ManualClock(1_700_000_000_000);
const counters = new MemoryCounterStore({ clock, sweepIntervalMs: 0 });
const config = new MemoryConfigStore(clock);
await config.setDefaults(spec);
const limiter = new RateLimiter({ counters, config, clock });

/** Moves the clock past every window that could still hold state, then sweeps everything. */
function expireAll(): number {
  // no algorithm keeps state for longer than two windows after its last allowed call
  clock.advance(2 * spec.window * 1000 + 1);
  return counters.sweep();
}

// warm up the code paths (JIT, lazily built objects) so they are part of the baseline, not the growth
for (let i = 0; i < 10_000; i++) await limiter.allow(`warm-up-${i}`);
expireAll();

const start = heapUsed();
let allowed = 0;
for (let i = 0; i < CLIENTS; i++) {
  if ((await limiter.allow(`client-${i}`)).allowed) allowed++;
}
const live = counters.size;
const full = heapUsed();
const dropped = expireAll();
const left = counters.size;
const end = heapUsed();
await counters.close();

const ratio = end / start;
const lines = [
  `heap-1m: ${CLIENTS.toLocaleString('en-US')} distinct clients, ${spec.limit} per ${spec.window} s, ${algorithm}`,
  `  allowed                  ${allowed.toLocaleString('en-US')}`,
  `  heapUsed at start        ${mb(start)}`,
  `  heapUsed after 1M        ${mb(full)}  (${live.toLocaleString('en-US')} live entries, ~${Math.round((full - start) / CLIENTS)} B per client)`,
  `  heapUsed after sweep     ${mb(end)}  (${dropped.toLocaleString('en-US')} entries swept, ${left.toLocaleString('en-US')} left)`,
  `  end / start              ${ratio.toFixed(3)}  (must be within ${TOLERANCE * 100}% of 1)`,
];
process.stdout.write(`${lines.join('\n')}\n`);
const bounded = Math.abs(ratio - 1) <= TOLERANCE && allowed === CLIENTS && left === 0;
if (!bounded) process.stderr.write('heap-1m: FAILED: memory did not return to its starting level\n');
process.exitCode = bounded ? 0 : 1;
