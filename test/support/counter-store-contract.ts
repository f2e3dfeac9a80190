import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getAlgorithm } from '../../src/core/algorithms/index.js';
import { ALGORITHMS, type AlgorithmName, type AlgorithmState, type Outcome } from '../../src/core/types.js';
import type { CounterRequest, CounterStore } from '../../src/store/counter-store.js';

export interface ContractSubject {
  readonly store: CounterStore;
  /**
   * Base time (ms) for the explicit `now` of every request. The suite rounds it up to a multiple
   * of 1_000_000 so that windows of 1 s and 10 s start exactly there. Default 1_700_000_000_000.
   */
  readonly now?: number;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const YEAR_MS = 31_536_000_000;

/**
 * The behaviour every CounterStore must have, with exact values. Every request carries an explicit
 * `now`, so the suite runs unchanged against a store whose own clock is elsewhere (Redis TIME), and
 * every test uses fresh client ids, so it can share a server with other tests.
 */
export function describeCounterStoreContract(name: string, makeStore: () => Promise<ContractSubject>): void {
  describe(`CounterStore contract: ${name}`, () => {
    let store: CounterStore;
    let T: number;
    const prefix = `contract-${randomUUID()}`;
    let n = 0;
    /** a client id no other test (or earlier run) has used */
    const fresh = (label = 'c'): string => `${prefix}:${label}:${n++}`;

    beforeEach(async () => {
      const subject = await makeStore();
      store = subject.store;
      const base = subject.now ?? 1_700_000_000_000;
      T = Math.ceil(base / 1_000_000) * 1_000_000;
    });

    afterEach(async () => {
      await store.close();
    });

    function req(
      clientId: string,
      algorithm: AlgorithmName,
      cost: number,
      limit: number,
      windowMs: number,
      now: number,
    ): CounterRequest {
      return { clientId, algorithm, cost, limit, windowMs, now };
    }

    /**
     * limit 3 per 1000 ms: 1 at T, 2 at T+100, 1 at T+200 (denied).
     * fixed-window: window [T, T+1000). sliding-window: resets at T+2000; the denied call waits for
     * the next window, where ceil(3 x (1000 - e) / 1000) <= 2 from e = 334: T+1334.
     * sliding-log: the entry of T leaves at T+1000; the newest (T+100) at T+1100.
     * token/leaky-bucket (3 per 1000 ms, 333 1/3 ms per unit): level 1 at T; 0.7 + 2 = 2.7 at T+100;
     * 2.4 at T+200, which must drain to 2: 0.4 unit = 133 1/3 ms.
     */
    const SCENARIO: Record<AlgorithmName, readonly [Outcome, Outcome, Outcome]> = {
      'fixed-window': [
        { allowed: true, remaining: 2, resetMs: 1000, retryAfterMs: 0, reason: 'ok' },
        { allowed: true, remaining: 0, resetMs: 900, retryAfterMs: 0, reason: 'ok' },
        { allowed: false, remaining: 0, resetMs: 800, retryAfterMs: 800, reason: 'limit_exceeded' },
      ],
      'sliding-window': [
        { allowed: true, remaining: 2, resetMs: 2000, retryAfterMs: 0, reason: 'ok' },
        { allowed: true, remaining: 0, resetMs: 1900, retryAfterMs: 0, reason: 'ok' },
        { allowed: false, remaining: 0, resetMs: 1800, retryAfterMs: 1134, reason: 'limit_exceeded' },
      ],
      'sliding-log': [
        { allowed: true, remaining: 2, resetMs: 1000, retryAfterMs: 0, reason: 'ok' },
        { allowed: true, remaining: 0, resetMs: 1000, retryAfterMs: 0, reason: 'ok' },
        { allowed: false, remaining: 0, resetMs: 900, retryAfterMs: 800, reason: 'limit_exceeded' },
      ],
      'token-bucket': [
        { allowed: true, remaining: 2, resetMs: 334, retryAfterMs: 0, reason: 'ok' },
        { allowed: true, remaining: 0, resetMs: 900, retryAfterMs: 0, reason: 'ok' },
        { allowed: false, remaining: 0, resetMs: 800, retryAfterMs: 134, reason: 'limit_exceeded' },
      ],
      'leaky-bucket': [
        { allowed: true, remaining: 2, resetMs: 334, retryAfterMs: 0, reason: 'ok' },
        { allowed: true, remaining: 0, resetMs: 900, retryAfterMs: 0, reason: 'ok' },
        { allowed: false, remaining: 0, resetMs: 800, retryAfterMs: 134, reason: 'limit_exceeded' },
      ],
    };

    describe.each(ALGORITHMS)('%s', (algorithm) => {
      it('decides exactly; a denial consumes nothing and the retry time is exact', async () => {
        const id = fresh();
        const [first, second, third] = SCENARIO[algorithm];
        expect(await store.consume(req(id, algorithm, 1, 3, 1000, T))).toEqual(first);
        expect(await store.consume(req(id, algorithm, 2, 3, 1000, T + 100))).toEqual(second);
        expect(await store.consume(req(id, algorithm, 1, 3, 1000, T + 200))).toEqual(third);
        // the denial changed nothing: the same answer again, and from peek
        expect(await store.consume(req(id, algorithm, 1, 3, 1000, T + 200))).toEqual(third);
        expect(await store.peek(req(id, algorithm, 1, 3, 1000, T + 200))).toEqual(third);
        const retryAt = T + 200 + third.retryAfterMs;
        expect((await store.consume(req(id, algorithm, 1, 3, 1000, retryAt - 1))).allowed).toBe(false);
        expect((await store.consume(req(id, algorithm, 1, 3, 1000, retryAt))).allowed).toBe(true);
      });

      it('peek consumes nothing', async () => {
        const id = fresh();
        await store.consume(req(id, algorithm, 1, 3, 1000, T));
        for (let i = 0; i < 3; i++) {
          expect(await store.peek(req(id, algorithm, 2, 3, 1000, T))).toMatchObject({
            allowed: true,
            remaining: 2,
            reason: 'ok',
          });
        }
        expect(await store.consume(req(id, algorithm, 2, 3, 1000, T))).toMatchObject({
          allowed: true,
          remaining: 0,
        });
        expect(await store.peek(req(id, algorithm, 1, 3, 1000, T))).toMatchObject({
          allowed: false,
          reason: 'limit_exceeded',
        });
        // peek on a client that never called
        expect(await store.peek(req(fresh(), algorithm, 3, 3, 1000, T))).toEqual({
          allowed: true,
          remaining: 3,
          resetMs: 0,
          retryAfterMs: 0,
          reason: 'ok',
        });
      });

      it('cost > limit: cost_exceeds_limit, no retry time, nothing stored', async () => {
        const id = fresh();
        expect(await store.consume(req(id, algorithm, 4, 3, 1000, T))).toEqual({
          allowed: false,
          remaining: 3,
          resetMs: 0,
          retryAfterMs: 0,
          reason: 'cost_exceeds_limit',
        });
        expect(await store.consume(req(id, algorithm, 3, 3, 1000, T))).toMatchObject({
          allowed: true,
          remaining: 0,
        });
      });

      it('reads old state correctly long after it stopped mattering', async () => {
        const id = fresh();
        await store.consume(req(id, algorithm, 3, 3, 1000, T));
        expect(await store.consume(req(id, algorithm, 3, 3, 1000, T + 10 * 1000))).toMatchObject({
          allowed: true,
          remaining: 0,
        });
      });

      it('is atomic: concurrent calls never over-admit', async () => {
        const id = fresh();
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, () => store.consume(req(id, algorithm, 1, 7, 60_000, T))),
        );
        const admitted = outcomes.filter((o) => o.allowed);
        expect(admitted).toHaveLength(7);
        expect(admitted.map((o) => o.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
        expect(outcomes.filter((o) => !o.allowed).every((o) => o.reason === 'limit_exceeded')).toBe(true);
      });

      it('keeps exact values at the extremes: limit 2^53-1, costs 2^53-2 / 2 / 1, a one-year window', async () => {
        const id = fresh();
        expect(await store.consume(req(id, algorithm, MAX_SAFE - 1, MAX_SAFE, YEAR_MS, T))).toMatchObject({
          allowed: true,
          remaining: 1,
        });
        expect(await store.consume(req(id, algorithm, 2, MAX_SAFE, YEAR_MS, T))).toMatchObject({
          allowed: false,
          remaining: 1,
          reason: 'limit_exceeded',
        });
        expect(await store.consume(req(id, algorithm, 1, MAX_SAFE, YEAR_MS, T))).toMatchObject({
          allowed: true,
          remaining: 0,
        });
        expect(await store.consume(req(id, algorithm, MAX_SAFE, MAX_SAFE - 1, YEAR_MS, T))).toMatchObject({
          reason: 'cost_exceeds_limit',
          retryAfterMs: 0,
        });
        const full = await store.consume(req(fresh(), algorithm, MAX_SAFE, MAX_SAFE, YEAR_MS, T + 1));
        expect(full).toMatchObject({ allowed: true, remaining: 0 });
      });

      it('executes the algorithm exactly on random call sequences (limit changes included)', async () => {
        const alg = getAlgorithm(algorithm);
        const op = fc.record({
          advance: fc.oneof(
            fc.constant(0),
            fc.integer({ min: 1, max: 120 }),
            fc.integer({ min: 0, max: 2500 }),
          ),
          cost: fc.integer({ min: 1, max: 6 }),
          limit: fc.constantFrom(5, 5, 5, 2, 9),
          peek: fc.boolean(),
        });
        await fc.assert(
          fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
            const id = fresh('seq');
            let state: AlgorithmState | null = null;
            let now = T;
            for (const o of ops) {
              now += o.advance;
              const request = req(id, algorithm, o.cost, o.limit, 1000, now);
              if (o.peek) {
                expect(await store.peek(request)).toEqual(alg.peek(state, now, o.cost, o.limit, 1000));
              } else {
                const expected = alg.step(state, now, o.cost, o.limit, 1000);
                expect(await store.consume(request)).toEqual(expected.outcome);
                if (expected.outcome.allowed) state = expected.state;
              }
            }
          }),
          { numRuns: 15 },
        );
      });
    });

    it('a lowered token-bucket limit keeps its usage past the expiry the old limit gave it', async () => {
      const id = fresh();
      // 10 per 1000 ms, 10 used at T: empty at T+1000 at that limit
      await store.consume(req(id, 'token-bucket', 10, 10, 1000, T));
      // lowered to 5 per 1000 ms: the level drains at 5 per 1000 ms from T
      expect(await store.consume(req(id, 'token-bucket', 1, 5, 1000, T + 1))).toMatchObject({
        allowed: false,
        retryAfterMs: 1199,
      });
      // at T+1500: level 10 - 7.5 = 2.5, so 2 fit and a third does not
      expect(await store.consume(req(id, 'token-bucket', 2, 5, 1000, T + 1500))).toMatchObject({
        allowed: true,
        remaining: 0,
      });
      expect(await store.consume(req(id, 'token-bucket', 1, 5, 1000, T + 1500))).toMatchObject({
        allowed: false,
        retryAfterMs: 100,
      });
    });

    it('keeps each algorithm of a client apart, and each client apart', async () => {
      const id = fresh();
      for (const algorithm of ALGORITHMS) {
        expect(await store.consume(req(id, algorithm, 3, 3, 60_000, T))).toMatchObject({
          allowed: true,
          remaining: 0,
        });
      }
      // ids that differ from it (and from each other) only by separators, braces, spaces or the
      // unicode normalization form
      const others = [':x', '{x}', '/x', ' x', ':', '}', '%3A', '\u00e9', 'e\u0301'].map(
        (suffix) => `${id}${suffix}`,
      );
      others.push(`{${id}}`, `${id} `);
      for (const other of others) {
        expect(await store.consume(req(other, 'fixed-window', 3, 3, 60_000, T))).toMatchObject({
          allowed: true,
          remaining: 0,
        });
      }
    });

    it('reset forgets every algorithm of that client and nothing else', async () => {
      const id = fresh();
      const other = `${id}x`;
      for (const algorithm of ALGORITHMS) {
        await store.consume(req(id, algorithm, 3, 3, 60_000, T));
        await store.consume(req(other, algorithm, 3, 3, 60_000, T));
      }
      await store.reset(id);
      for (const algorithm of ALGORITHMS) {
        expect(await store.peek(req(id, algorithm, 3, 3, 60_000, T + 1))).toMatchObject({
          allowed: true,
          remaining: 3,
        });
        expect(await store.peek(req(other, algorithm, 1, 3, 60_000, T + 1))).toMatchObject({
          allowed: false,
          remaining: 0,
        });
      }
      // resetting a client that has nothing is fine
      await store.reset(fresh());
    });
  });
}
