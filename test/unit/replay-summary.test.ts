import { describe, expect, it } from 'vitest';
import { rankClients } from '../../src/cli/replay/client-ranking.js';
import { compareWithExact } from '../../src/cli/replay/exact-comparison.js';
import { peakInWindow } from '../../src/cli/replay/peak-in-window.js';
import { percentile } from '../../src/cli/replay/percentile.js';
import { formatReport } from '../../src/cli/replay/report.js';
import { OUTCOME } from '../../src/cli/replay/run-result.js';
import { summarize } from '../../src/cli/replay/summary.js';
import type { Trace } from '../../src/cli/replay/trace.js';

const { ALLOWED: A, LIMIT_EXCEEDED: D, COST_EXCEEDS_LIMIT: C, ERROR: E, NOT_SENT: N } = OUTCOME;

const trace: Trace = {
  format: 'nasa',
  clients: ['host-a', 'host-b', 'host-c'],
  requests: [
    { client: 0, at: 0, cost: 1 },
    { client: 0, at: 100, cost: 1 },
    { client: 1, at: 200, cost: 2 },
    { client: 0, at: 10_000, cost: 1 },
    { client: 1, at: 10_100, cost: 1 },
    { client: 2, at: 10_200, cost: 1 },
  ],
  skippedLines: 3,
};
const spec = { limit: 2, window: 10, algorithm: 'sliding-window' } as const;

describe('replay summary pieces', () => {
  it('peak per client counts (t - window, t]: a call exactly one window old has left', () => {
    expect(Array.from(peakInWindow(trace, Uint8Array.from([A, A, A, A, A, N]), 10_000))).toEqual([2, 3, 0]);
    expect(Array.from(peakInWindow(trace, Uint8Array.from([A, A, A, A, A, N]), 10_001))).toEqual([3, 3, 0]);
  });

  it('compares two runs decision by decision', () => {
    const chosen = Uint8Array.from([A, A, A, A, D, N]);
    const exact = Uint8Array.from([A, D, A, A, A, N]);
    expect(compareWithExact(trace, spec, chosen, exact)).toEqual({
      exactAlgorithm: 'sliding-log',
      exactAllowed: 4,
      exactDenied: 1,
      overAdmits: 1,
      underAdmits: 1,
      peakInWindow: { chosen: 2, exact: 3 },
      clientsOverLimit: 0,
    });
  });

  it('ranks clients by denials without naming them', () => {
    const counts = rankClients(trace, Uint8Array.from([A, D, D, D, C, E]));
    expect(counts).toEqual({
      distinct: 3,
      denied: 2,
      // tie on denials: more requests first
      top: [
        { rank: 1, denied: 2, allowed: 1, requests: 3 },
        { rank: 2, denied: 2, allowed: 0, requests: 2 },
      ],
    });
  });

  it('takes nearest-rank percentiles of the finite values', () => {
    expect(percentile(Float64Array.from([4, 100, 2, 3, 1]), 50)).toBe(3);
    expect(percentile(Float64Array.from([4, 100, 2, 3, 1]), 99)).toBe(100);
    expect(percentile(Float64Array.from([Number.NaN, 7]), 50)).toBe(7);
    expect(percentile(new Float64Array(0), 99)).toBe(0);
  });

  it('summarises a run and prints it without client ids', () => {
    const summary = summarize({
      file: 'trace.tsv',
      mode: 'virtual',
      policy: spec,
      cost: 'one',
      trace,
      run: {
        outcomes: Uint8Array.from([A, A, C, D, A, N]),
        latencies: Float64Array.from([1, 2, 3, 4, 100]),
        sent: 5,
        wallMs: 2000,
        stoppedBy: 'max-requests',
      },
    });
    expect(summary).toMatchObject({
      format: 'nasa',
      trace: { requests: 6, clients: 3, skippedLines: 3, first: '1970-01-01T00:00:00.000Z', spanSeconds: 10 },
      requests: 5,
      allowed: 3,
      denied: 2,
      deniedBy: { limit_exceeded: 1, cost_exceeds_limit: 1, no_limit: 0 },
      errors: 0,
      distinctClients: 2,
      clientsDenied: 2,
      decisionsPerSecond: 3,
      latency: { unit: 'us', p50: 3, p99: 100 },
      stoppedBy: 'max-requests',
      http: null,
      exact: null,
    });
    const text = formatReport(summary);
    expect(text).toContain('(stopped by --max-requests)');
    expect(text).not.toMatch(/host-/);
  });
});
