/**
 * Differential test: the Lua scripts against the TypeScript step functions they mirror.
 *
 * Random call sequences (times, costs, limit and window changes, extremes up to 2^53-1 and one-year
 * windows) run through Algorithm.step/peek and through RedisCounterStore with explicit time on a
 * real redis-server. Every call must give the identical Outcome, the state key read back and
 * decoded must equal the TypeScript state, and every write must carry the TTL the scripts promise.
 * Sequences run many at a time (independent clients, so their calls are in flight together) to
 * keep each algorithm within a few seconds.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAlgorithm } from '../../src/core/algorithms/index.js';
import { divMod, mulDivMod } from '../../src/core/int-math.js';
import { ALGORITHMS, type AlgorithmName, type AlgorithmState, type Outcome } from '../../src/core/types.js';
import { counterKey } from '../../src/store/redis/counter-key.js';
import { RedisCounterStore } from '../../src/store/redis/redis-counter-store.js';
import {
  MAX_WINDOW_MS,
  registerCounterScripts,
  type CounterScripts,
} from '../../src/store/redis/script-registry.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TTL_SLACK_MS = 1000;
const SEQUENCES_PER_ALGORITHM = 2000;
const MAX_STEPS = 24;
/** sequences in flight together; each one's whole life stays far below the TTL slack */
const CHUNK = 200;
const SEED = Number(process.env['RL_DIFFERENTIAL_SEED'] ?? 20_241_203);

/** xorshift128+ on 32-bit halves: deterministic, seeded, good enough for test inputs. */
class Random {
  #s = [0, 0, 0, 0];
  constructor(seed: number) {
    this.#s = [seed >>> 0 || 1, 0x9e3779b9, 0x243f6a88, 0xb7e15162];
    for (let i = 0; i < 16; i++) this.next32();
  }
  next32(): number {
    const s = this.#s;
    let t = (s[3] ?? 0) >>> 0;
    const x = (s[0] ?? 0) >>> 0;
    s[3] = s[2] ?? 0;
    s[2] = s[1] ?? 0;
    s[1] = x;
    t ^= t << 11;
    t ^= t >>> 8;
    s[0] = (t ^ x ^ (x >>> 19)) >>> 0;
    return s[0];
  }
  /** uniform integer in [min, max], both safe integers */
  int(min: number, max: number): number {
    const u = ((this.next32() >>> 11) * 2 ** 32 + this.next32()) / 2 ** 53;
    return Math.min(max, min + Math.floor(u * (max - min + 1)));
  }
  chance(p: number): boolean {
    return this.next32() / 2 ** 32 < p;
  }
  pick<T>(values: readonly T[]): T {
    const v = values[this.int(0, values.length - 1)];
    if (v === undefined) throw new Error('pick from an empty list');
    return v;
  }
}

interface Step {
  readonly op: 'allow' | 'peek';
  readonly now: number;
  readonly cost: number;
  readonly limit: number;
  readonly windowMs: number;
}

function randomWindow(r: Random): number {
  switch (r.int(0, 3)) {
    case 0:
      return r.pick([1000, 60_000, 3_600_000, MAX_WINDOW_MS]);
    case 1:
      return r.int(1, 2000);
    case 2:
      return 1000 * r.int(1, MAX_WINDOW_MS / 1000);
    default:
      return r.int(1, 100_000);
  }
}

function randomLimit(r: Random): number {
  switch (r.int(0, 4)) {
    case 0:
      return r.int(1, 10);
    case 1:
      return r.int(1, 1000);
    case 2:
      return r.int(1, 1e9);
    case 3:
      return MAX_SAFE - r.int(0, 3);
    default:
      return r.int(2 ** 40, MAX_SAFE);
  }
}

function randomCost(r: Random, limit: number): number {
  switch (r.int(0, 6)) {
    case 0:
    case 1:
      return 1;
    case 2:
      return r.int(1, Math.min(limit, 5));
    case 3:
      return r.int(1, limit);
    case 4:
      return limit;
    case 5:
      return limit < MAX_SAFE ? r.int(limit + 1, MAX_SAFE) : MAX_SAFE;
    default:
      return Math.max(1, Math.floor(limit / r.int(1, 8)));
  }
}

function randomStart(r: Random): number {
  switch (r.int(0, 3)) {
    case 0:
      return r.int(0, 100_000);
    case 1:
      return 2 ** 52 + r.int(0, 2 ** 40);
    default:
      return 1_700_000_000_000 + r.int(0, 1e11);
  }
}

function randomDelta(r: Random, windowMs: number): number {
  switch (r.int(0, 7)) {
    case 0:
    case 1:
      return 0;
    case 2:
      return r.int(0, Math.min(windowMs, 10));
    case 3:
    case 4:
      return r.int(0, windowMs);
    case 5:
      return r.int(0, 3 * windowMs);
    case 6:
      return windowMs - r.int(0, Math.min(windowMs, 2));
    default:
      // the clock going backwards
      return -r.int(0, Math.ceil(windowMs / 2));
  }
}

function randomSequence(r: Random): Step[] {
  let now = randomStart(r);
  let limit = randomLimit(r);
  let windowMs = randomWindow(r);
  const steps: Step[] = [];
  const length = r.int(1, MAX_STEPS);
  for (let i = 0; i < length; i++) {
    if (i > 0) now = Math.max(0, now + randomDelta(r, windowMs));
    if (r.chance(0.15))
      limit = r.chance(0.5) ? randomLimit(r) : Math.min(MAX_SAFE, Math.max(1, limit + r.int(-3, 3)));
    // window changes, often a shrink far below the one the state was written under
    if (r.chance(0.08)) windowMs = r.chance(0.5) ? randomWindow(r) : r.int(1, windowMs);
    steps.push({ op: r.chance(0.2) ? 'peek' : 'allow', now, cost: randomCost(r, limit), limit, windowMs });
  }
  return steps;
}

/** The MessagePack subset the scripts write: one array of integers. */
function decodeState(bytes: Buffer): number[] {
  let at = 0;
  const u8 = (): number => {
    const v = bytes.readUInt8(at);
    at += 1;
    return v;
  };
  const integer = (): number => {
    const tag = u8();
    if (tag <= 0x7f) return tag;
    if (tag >= 0xe0) return tag - 0x100;
    let v: number | bigint;
    switch (tag) {
      case 0xcc:
        v = bytes.readUInt8(at);
        at += 1;
        break;
      case 0xcd:
        v = bytes.readUInt16BE(at);
        at += 2;
        break;
      case 0xce:
        v = bytes.readUInt32BE(at);
        at += 4;
        break;
      case 0xcf:
        v = bytes.readBigUInt64BE(at);
        at += 8;
        break;
      case 0xd0:
        v = bytes.readInt8(at);
        at += 1;
        break;
      case 0xd1:
        v = bytes.readInt16BE(at);
        at += 2;
        break;
      case 0xd2:
        v = bytes.readInt32BE(at);
        at += 4;
        break;
      case 0xd3:
        v = bytes.readBigInt64BE(at);
        at += 8;
        break;
      default:
        throw new Error(`state holds a non-integer (MessagePack type 0x${tag.toString(16)})`);
    }
    if (typeof v === 'bigint') {
      if (v > BigInt(MAX_SAFE) || v < -BigInt(MAX_SAFE)) throw new Error(`state holds ${v}, beyond 2^53`);
      return Number(v);
    }
    return v;
  };
  const head = u8();
  let length: number;
  if (head >= 0x90 && head <= 0x9f) length = head - 0x90;
  else if (head === 0xdc) {
    length = bytes.readUInt16BE(at);
    at += 2;
  } else if (head === 0xdd) {
    length = bytes.readUInt32BE(at);
    at += 4;
  } else throw new Error(`state is not a MessagePack array (0x${head.toString(16)})`);
  const values: number[] = [];
  for (let i = 0; i < length; i++) values.push(integer());
  if (at !== bytes.length) throw new Error(`${bytes.length - at} trailing bytes after the state`);
  return values;
}

interface Reference {
  state: AlgorithmState | null;
}

function describeStep(algorithm: AlgorithmName, seq: number, steps: readonly Step[], upTo: number): string {
  return `${algorithm} seed ${SEED} sequence ${seq}, step ${upTo}: ${JSON.stringify(steps.slice(0, upTo + 1))}`;
}

let server: RedisServer;
let store: RedisCounterStore;
let raw: Redis;
let scripts: CounterScripts;
const prefix = `diff-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  server = await startRedis();
  // a generous deadline: this test checks results, not latency, with hundreds of calls in flight
  store = new RedisCounterStore({
    connection: { mode: 'single', url: server.url },
    keyPrefix: prefix,
    deadlineMs: 30_000,
  });
  await store.ready();
  raw = new Redis(server.url);
  scripts = registerCounterScripts(raw);
});

afterAll(async () => {
  await store.close();
  raw.disconnect();
  await server.stop();
});

/** Runs sequences [from, to) of one algorithm, all in flight together, step by step. */
async function runChunk(
  algorithm: AlgorithmName,
  sequences: readonly Step[][],
  from: number,
  to: number,
): Promise<number> {
  const alg = getAlgorithm(algorithm);
  const refs: Reference[] = sequences.slice(from, to).map(() => ({ state: null }));
  let calls = 0;
  for (let stepIndex = 0; stepIndex < MAX_STEPS; stepIndex++) {
    const live: number[] = [];
    for (let i = from; i < to; i++) if ((sequences[i]?.length ?? 0) > stepIndex) live.push(i);
    if (live.length === 0) break;
    const outcomes = await Promise.all(
      live.map((i) => {
        const step = sequences[i]?.[stepIndex];
        if (step === undefined) throw new Error('missing step');
        const request = {
          clientId: `c${i}`,
          algorithm,
          cost: step.cost,
          limit: step.limit,
          windowMs: step.windowMs,
          now: step.now,
        };
        return step.op === 'allow' ? store.consume(request) : store.peek(request);
      }),
    );
    const readBack = raw.pipeline();
    for (const i of live) {
      const key = counterKey(prefix, `c${i}`, algorithm);
      readBack.getBuffer(key);
      readBack.pttl(key);
    }
    const stored = (await readBack.exec()) ?? [];
    live.forEach((i, n) => {
      const step = sequences[i]?.[stepIndex];
      const ref = refs[i - from];
      if (step === undefined || ref === undefined) throw new Error('missing step');
      const where = describeStep(algorithm, i, sequences[i] ?? [], stepIndex);
      let expected: Outcome;
      let wroteUntil: number | undefined;
      if (step.op === 'allow') {
        const result = alg.step(ref.state, step.now, step.cost, step.limit, step.windowMs);
        expected = result.outcome;
        if (result.outcome.allowed) wroteUntil = result.expiresAt;
        ref.state = result.state;
      } else {
        expected = alg.peek(ref.state, step.now, step.cost, step.limit, step.windowMs);
      }
      expect(outcomes[n], where).toEqual(expected);
      // times are never negative, never past 2^53-1, and a denial for lack of budget has a retry time
      expect(expected.resetMs >= 0 && expected.resetMs <= MAX_SAFE, where).toBe(true);
      expect(expected.retryAfterMs >= (expected.reason === 'limit_exceeded' ? 1 : 0), where).toBe(true);
      expect(expected.retryAfterMs <= MAX_SAFE, where).toBe(true);
      const [getErr, bytes] = stored[2 * n] ?? [];
      const [pttlErr, pttl] = stored[2 * n + 1] ?? [];
      expect(getErr ?? pttlErr ?? null, where).toBeNull();
      const state = bytes === null ? null : decodeState(bytes as Buffer);
      expect(state, where).toEqual(ref.state === null ? null : [...ref.state]);
      // every key has a TTL; one written just now: (expiresAt - now) + slack, less what has passed
      if (state !== null) expect(pttl, where).toBeGreaterThan(0);
      if (wroteUntil !== undefined) {
        expect(pttl, where).toBeLessThanOrEqual(Math.max(0, wroteUntil - step.now) + TTL_SLACK_MS);
      }
      calls++;
    });
  }
  return calls;
}

describe('Lua scripts vs TypeScript step functions (explicit time, real redis-server)', () => {
  for (const [index, algorithm] of ALGORITHMS.entries()) {
    it(`${algorithm}: identical outcomes and state over ${SEQUENCES_PER_ALGORITHM} random sequences`, async () => {
      const r = new Random(SEED + index);
      const sequences = Array.from({ length: SEQUENCES_PER_ALGORITHM }, () => randomSequence(r));
      let calls = 0;
      for (let from = 0; from < sequences.length; from += CHUNK) {
        calls += await runChunk(algorithm, sequences, from, Math.min(from + CHUNK, sequences.length));
      }
      expect(calls).toBe(sequences.reduce((sum, s) => sum + s.length, 0));
    });
  }

  it('one call of N items decides them in arrival order, as N steps would', async () => {
    const r = new Random(SEED + 99);
    for (let round = 0; round < 200; round++) {
      const clientId = `batch-${round}`;
      const now = randomStart(r);
      const items = Array.from({ length: r.int(1, 12) }, () => {
        const algorithm = r.pick(ALGORITHMS);
        const limit = r.chance(0.5) ? r.int(1, 6) : randomLimit(r);
        return { algorithm, cost: randomCost(r, limit), limit, windowMs: randomWindow(r) };
      });
      const states = new Map<AlgorithmName, AlgorithmState | null>();
      const expected = items.map((item) => {
        const result = getAlgorithm(item.algorithm).step(
          states.get(item.algorithm) ?? null,
          now,
          item.cost,
          item.limit,
          item.windowMs,
        );
        states.set(item.algorithm, result.state);
        return result.outcome;
      });
      const call = {
        now,
        items: items.map((item) => ({ ...item, key: counterKey(prefix, clientId, item.algorithm) })),
      };
      expect(await scripts.allow(call), `round ${round}: ${JSON.stringify(call)}`).toEqual(expected);
      for (const [algorithm, state] of states) {
        const bytes = await raw.getBuffer(counterKey(prefix, clientId, algorithm));
        expect(bytes === null ? null : decodeState(bytes), `round ${round} ${algorithm}`).toEqual(
          state === null ? null : [...state],
        );
      }
    }
  });

  it('int-math.lua: divMod and mulDivMod equal the TypeScript on adversarial operands', async () => {
    const lib = readFileSync(new URL('../../src/store/redis/lua/lib/int-math.lua', import.meta.url), 'utf8');
    // a = k x c - 1 near 2^53 (the largest remainder at the largest quotient), products past
    // 2^53 (the long multiplication), and plain random operands
    const script = `${lib}
local out = {}
for i = 1, #ARGV, 3 do
  local a, b, c = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local q, r = divMod(a, c)
  local mq, mr = mulDivMod(a, b, c)
  if mq > MAX_SAFE then mq = MAX_SAFE end
  out[#out + 1] = q; out[#out + 1] = r; out[#out + 1] = mq; out[#out + 1] = mr
end
return out`;
    const r = new Random(SEED + 7);
    const args: string[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const c = r.chance(0.5) ? r.int(2 ** 11, 2 ** 24) : r.int(1, MAX_SAFE);
      const a = r.chance(0.5) ? Math.floor(MAX_SAFE / c) * c - 1 : r.int(0, MAX_SAFE);
      const b = r.pick([0, 1, r.int(1, 1000), r.int(1, MAX_SAFE), MAX_SAFE]);
      args.push(String(Math.max(a, 0)), String(b), String(c));
      const [q, rem] = divMod(Math.max(a, 0), c);
      const [mq, mr] = mulDivMod(Math.max(a, 0), b, c);
      // quotients past 2^53 are only promised to stay past it (and a reply cannot carry 2^63)
      expected.push(q, rem, Math.min(mq, MAX_SAFE), mr);
    }
    const reply = (await raw.eval(script, 0, ...args)) as number[];
    expect(reply).toEqual(expected);
  });

  it('token-bucket: a window shrunk below the stored progress reads it as windowMs - 1, in both', async () => {
    const tb = getAlgorithm('token-bucket');
    const t0 = 1_700_000_000_000;
    const request = { clientId: 'shrink', algorithm: 'token-bucket' as const, limit: 10 };
    // 6 at t0 under a minute's window, 1 more 5495 ms later: stored [7, 54_950, t0 + 5495]
    const first = tb.step(null, t0, 6, 10, 60_000);
    const second = tb.step(first.state, t0 + 5495, 1, 10, 60_000);
    expect(second.state).toEqual([7, 54_950, t0 + 5495]);
    await store.consume({ ...request, cost: 6, windowMs: 60_000, now: t0 });
    await store.consume({ ...request, cost: 1, windowMs: 60_000, now: t0 + 5495 });
    // read with a 773 ms window: level 7 - 772/773; 1 more: 8 - 772/773, empty in ceil(541.2) ms
    const expected = { allowed: true, remaining: 2, resetMs: 542, retryAfterMs: 0, reason: 'ok' };
    expect(tb.step(second.state, t0 + 5495, 1, 10, 773).outcome).toEqual(expected);
    expect(await store.consume({ ...request, cost: 1, windowMs: 773, now: t0 + 5495 })).toEqual(expected);
    const bytes = await raw.getBuffer(counterKey(prefix, 'shrink', 'token-bucket'));
    expect(bytes === null ? null : decodeState(bytes)).toEqual([8, 772, t0 + 5495]);
  });

  it('token-bucket: drain times past 2^53-1 ms are 2^53-1 in both', async () => {
    const now = 1_700_000_000_000;
    const request = { clientId: 'steep', algorithm: 'token-bucket' as const, windowMs: MAX_WINDOW_MS, now };
    await store.consume({ ...request, cost: MAX_SAFE, limit: MAX_SAFE });
    const tb = getAlgorithm('token-bucket');
    const full = tb.step(null, now, MAX_SAFE, MAX_SAFE, MAX_WINDOW_MS);
    // the whole bucket at limit 1: 2^53-1 years to drain
    const expected = tb.step(full.state, now, 1, 1, MAX_WINDOW_MS).outcome;
    expect(expected).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: MAX_SAFE,
      retryAfterMs: MAX_SAFE,
      reason: 'limit_exceeded',
    });
    expect(await store.consume({ ...request, cost: 1, limit: 1 })).toEqual(expected);
  });

  it('keeps 2^53-1 exact in state and replies', async () => {
    const now = 1_700_000_000_000;
    const outcome = await store.consume({
      clientId: 'max',
      algorithm: 'token-bucket',
      cost: MAX_SAFE - 1,
      limit: MAX_SAFE,
      windowMs: MAX_WINDOW_MS,
      now,
    });
    expect(outcome).toEqual(
      getAlgorithm('token-bucket').step(null, now, MAX_SAFE - 1, MAX_SAFE, MAX_WINDOW_MS).outcome,
    );
    expect(outcome.remaining).toBe(1);
    const bytes = await raw.getBuffer(counterKey(prefix, 'max', 'token-bucket'));
    expect(bytes === null ? null : decodeState(bytes)).toEqual([MAX_SAFE - 1, 0, now]);
  });
});
