/**
 * Replays the real NASA trace (../shared/data beside the project) in virtual time and checks the
 * allowed/denied counts against a brute-force reference written here: its own parsing, time
 * spreading and algorithms (no src/core/algorithms), so a bug on either side shows up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AlgorithmName } from '../../src/core/types.js';
import { loadTrace } from '../../src/cli/replay/load-trace.js';
import { OUTCOME } from '../../src/cli/replay/run-result.js';
import type { Trace } from '../../src/cli/replay/trace.js';
import { runVirtual } from '../../src/cli/replay/virtual-runner.js';

const NASA = fileURLToPath(new URL('../../../shared/data/nasa_19950801.tsv', import.meta.url));
const LIMIT = 5;
const WINDOW_MS = 10_000;

interface RefRequest {
  readonly host: string;
  readonly at: number;
}

/** Independent parse: split on tabs, skip the header, spread each second's n requests as i*1000/n. */
function referenceRequests(text: string): RefRequest[] {
  const rows = text
    .split('\n')
    .slice(1)
    .filter((line) => line.length > 0)
    .map((line) => {
      const cols = line.split('\t');
      return { host: cols[0] ?? '', second: Number(cols[2]) };
    });
  const perSecond = new Map<number, number>();
  for (const row of rows) perSecond.set(row.second, (perSecond.get(row.second) ?? 0) + 1);
  const seen = new Map<number, number>();
  return rows.map((row) => {
    const i = seen.get(row.second) ?? 0;
    seen.set(row.second, i + 1);
    const n = perSecond.get(row.second) ?? 1;
    return { host: row.host, at: row.second * 1000 + Math.floor((i * 1000) / n) };
  });
}

/** Exact log per host: allowed when fewer than LIMIT allowed calls lie in (at - W, at]. */
function refSlidingLog(requests: readonly RefRequest[]): boolean[] {
  const logs = new Map<string, number[]>();
  return requests.map(({ host, at }) => {
    const live = (logs.get(host) ?? []).filter((t) => t > at - WINDOW_MS);
    const ok = live.length < LIMIT;
    if (ok) live.push(at);
    logs.set(host, live);
    return ok;
  });
}

/** One counter per host and aligned window floor(at / W). */
function refFixedWindow(requests: readonly RefRequest[]): boolean[] {
  const counts = new Map<string, number>();
  return requests.map(({ host, at }) => {
    const key = `${host}\n${Math.floor(at / WINDOW_MS)}`;
    const used = counts.get(key) ?? 0;
    const ok = used < LIMIT;
    if (ok) counts.set(key, used + 1);
    return ok;
  });
}

/** Bucket of LIMIT tokens refilled at LIMIT per W, kept exactly as tokens x W in BigInt. */
function refTokenBucket(requests: readonly RefRequest[]): boolean[] {
  const limit = BigInt(LIMIT);
  const w = BigInt(WINDOW_MS);
  const full = limit * w;
  const buckets = new Map<string, { scaled: bigint; last: bigint }>();
  return requests.map(({ host, at }) => {
    const now = BigInt(at);
    const b = buckets.get(host) ?? { scaled: full, last: now };
    const refilled = b.scaled + (now - b.last) * limit;
    const scaled = refilled > full ? full : refilled;
    const ok = scaled >= w;
    buckets.set(host, { scaled: ok ? scaled - w : scaled, last: now });
    return ok;
  });
}

const REFERENCES: Record<
  'sliding-log' | 'fixed-window' | 'token-bucket',
  (r: readonly RefRequest[]) => boolean[]
> = {
  'sliding-log': refSlidingLog,
  'fixed-window': refFixedWindow,
  'token-bucket': refTokenBucket,
};

function count(decisions: readonly boolean[]): { allowed: number; denied: number } {
  const allowed = decisions.filter(Boolean).length;
  return { allowed, denied: decisions.length - allowed };
}

describe('replay of nasa_19950801.tsv in virtual time, 5 per 10 s per host', () => {
  let trace: Trace;
  let reference: RefRequest[];

  beforeAll(async () => {
    if (!existsSync(NASA)) {
      throw new Error(
        `replay test data missing: ${NASA} (expected ../shared/data/nasa_19950801.tsv beside the project root)`,
      );
    }
    trace = await loadTrace(NASA, { format: undefined, cost: 'one' });
    reference = referenceRequests(readFileSync(NASA, 'utf8'));
  });

  it('loads every request with the spread timestamps of the reference parse', () => {
    expect(trace.format).toBe('nasa');
    expect(trace.requests.length).toBe(30_969);
    expect(trace.clients.length).toBe(2_365);
    expect(trace.skippedLines).toBe(0);
    expect(reference.length).toBe(30_969);
    const loaded = trace.requests.map((r) => ({ host: trace.clients[r.client], at: r.at }));
    expect(loaded).toEqual(reference);
  });

  it.each(Object.keys(REFERENCES) as (keyof typeof REFERENCES)[])(
    '%s: allowed/denied equal the brute-force reference, decision by decision',
    async (algorithm: AlgorithmName & keyof typeof REFERENCES) => {
      const expected = REFERENCES[algorithm](reference);
      const run = await runVirtual(trace, { limit: LIMIT, window: WINDOW_MS / 1000, algorithm });
      const decisions = Array.from(run.outcomes, (o) => o === OUTCOME.ALLOWED);
      expect(run.sent).toBe(30_969);
      expect(run.outcomes.every((o) => o === OUTCOME.ALLOWED || o === OUTCOME.LIMIT_EXCEEDED)).toBe(true);
      expect(count(decisions)).toEqual(count(expected));
      expect(decisions.findIndex((d, i) => d !== expected[i])).toBe(-1);
    },
  );

  it('the three references really differ on this trace (the comparison can fail)', () => {
    const results = Object.values(REFERENCES).map((ref) => count(ref(reference)).allowed);
    expect(new Set(results).size).toBe(3);
  });
});
