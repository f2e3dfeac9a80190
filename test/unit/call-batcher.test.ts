/**
 * CallBatcher's grouping and failure handling, over a recording fake `send` (pure logic: what
 * goes into which call, and who gets which outcome). The script side is tested on a real Redis
 * in test/integration/redis-batching.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/core/types.js';
import { CallBatcher } from '../../src/store/redis/call-batcher.js';
import type {
  ItemResult,
  ScriptCall,
  ScriptEntry,
  ScriptItem,
} from '../../src/store/redis/script-registry.js';

interface Sent {
  readonly entry: ScriptEntry;
  readonly now: number | undefined;
  readonly keys: readonly string[];
}

/** An outcome that names its item, so a caller can tell it got its own. */
function outcomeFor(key: string, n: number): Outcome {
  return { allowed: true, remaining: n, resetMs: key.length, retryAfterMs: 0, reason: 'ok' };
}

function item(key: string): ScriptItem {
  return { key, algorithm: 'fixed-window', cost: 1, limit: 10, windowMs: 1000 };
}

/** slot = the number after "s" in "s<slot>:<name>" */
function slotOf(key: string): number {
  return Number(/^s(\d+):/.exec(key)?.[1] ?? -1);
}

function recorder(fail?: (call: ScriptCall, attempt: number) => Error | undefined): {
  sent: Sent[];
  send: (entry: ScriptEntry, call: ScriptCall) => Promise<Outcome[]>;
} {
  const sent: Sent[] = [];
  return {
    sent,
    send: (entry, call) => {
      sent.push({ entry, now: call.now, keys: call.items.map((i) => i.key) });
      const err = fail?.(call, sent.length);
      if (err !== undefined) return Promise.reject(err);
      return Promise.resolve(call.items.map((i, n) => outcomeFor(i.key, n)));
    },
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CallBatcher', () => {
  it('sends the calls of one turn as one call per slot, items in the order asked', async () => {
    const { sent, send } = recorder();
    const batcher = new CallBatcher({ send, slotOf, maxItems: 100 });
    const keys = ['s1:a', 's2:b', 's1:c', 's1:a', 's2:d'];
    const pending = keys.map((key) => batcher.submit('allow', undefined, item(key)));
    // nothing goes out before the end of the turn
    await Promise.resolve();
    expect(sent).toEqual([]);
    const outcomes = await Promise.all(pending);
    expect(sent).toEqual([
      { entry: 'allow', now: undefined, keys: ['s1:a', 's1:c', 's1:a'] },
      { entry: 'allow', now: undefined, keys: ['s2:b', 's2:d'] },
    ]);
    // each caller gets the outcome at its own position in its call
    expect(outcomes.map((o) => o.remaining)).toEqual([0, 0, 1, 2, 1]);
  });

  it('a change of entry or explicit time within a slot starts the next call, so each slot keeps its order', async () => {
    const { sent, send } = recorder();
    const batcher = new CallBatcher({ send, slotOf, maxItems: 100 });
    await Promise.all([
      batcher.submit('allow', 5, item('s1:a')),
      batcher.submit('allow', 5, item('s2:x')),
      batcher.submit('allow', 5, item('s1:b')),
      batcher.submit('peek', 5, item('s1:a')),
      batcher.submit('peek', 5, item('s1:c')),
      batcher.submit('allow', 6, item('s1:a')),
      batcher.submit('allow', undefined, item('s1:a')),
      batcher.submit('allow', 5, item('s2:y')),
      batcher.submit('allow', undefined, item('s1:d')),
    ]);
    expect(sent).toEqual([
      { entry: 'allow', now: 5, keys: ['s1:a', 's1:b'] },
      { entry: 'allow', now: 5, keys: ['s2:x', 's2:y'] },
      { entry: 'peek', now: 5, keys: ['s1:a', 's1:c'] },
      { entry: 'allow', now: 6, keys: ['s1:a'] },
      { entry: 'allow', now: undefined, keys: ['s1:a', 's1:d'] },
    ]);
  });

  it('a call that reaches maxItems sends everything queued so far at once, in order', async () => {
    const { sent, send } = recorder();
    const batcher = new CallBatcher({ send, slotOf, maxItems: 3 });
    const pending = ['s9:x', 's0:1', 's0:2', 's0:3', 's0:4', 's0:5', 's0:6', 's0:7'].map((k) =>
      batcher.submit('allow', undefined, item(k)),
    );
    // the first two full calls went out synchronously, the queued s9 call before them
    expect(sent.map((s) => s.keys)).toEqual([['s9:x'], ['s0:1', 's0:2', 's0:3'], ['s0:4', 's0:5', 's0:6']]);
    await Promise.all(pending);
    expect(sent.map((s) => s.keys)).toEqual([
      ['s9:x'],
      ['s0:1', 's0:2', 's0:3'],
      ['s0:4', 's0:5', 's0:6'],
      ['s0:7'],
    ]);
  });

  it('a call of splitFrom items or more goes out as two halves, back to back, each caller getting its own outcome', async () => {
    const { sent, send } = recorder();
    const batcher = new CallBatcher({ send, slotOf, maxItems: 100, splitFrom: 4 });
    const asked = ['s1:a', 's2:x', 's1:b', 's1:c', 's2:y', 's1:d', 's1:e', 's2:z'];
    const outcomes = await Promise.all(asked.map((k) => batcher.submit('allow', undefined, item(k))));
    expect(sent.map((s) => s.keys)).toEqual([
      ['s1:a', 's1:b', 's1:c'],
      ['s1:d', 's1:e'],
      ['s2:x', 's2:y', 's2:z'],
    ]);
    // position within its own call: s1:d is the first item of the second half
    expect(outcomes.map((o) => o.remaining)).toEqual([0, 0, 1, 2, 1, 0, 1, 2]);
  });

  it('a full call (maxItems) goes whole; the rest of the turn, if splitFrom or more, in halves', async () => {
    const { sent, send } = recorder();
    const batcher = new CallBatcher({ send, slotOf, maxItems: 4, splitFrom: 2 });
    const asked = ['s0:1', 's0:2', 's0:3', 's0:4', 's0:5', 's0:6', 's0:7'];
    const outcomes = await Promise.all(asked.map((k) => batcher.submit('allow', undefined, item(k))));
    expect(sent.map((s) => s.keys)).toEqual([['s0:1', 's0:2', 's0:3', 's0:4'], ['s0:5', 's0:6'], ['s0:7']]);
    expect(outcomes.map((o) => o.remaining)).toEqual([0, 1, 2, 3, 0, 1, 0]);
  });

  it('splits from exactly splitFrom items', async () => {
    for (const [count, calls] of [
      [3, [['s0:0', 's0:1', 's0:2']]],
      [
        4,
        [
          ['s0:0', 's0:1'],
          ['s0:2', 's0:3'],
        ],
      ],
    ] as const) {
      const { sent, send } = recorder();
      const batcher = new CallBatcher({ send, slotOf, maxItems: 100, splitFrom: 4 });
      await Promise.all(
        Array.from({ length: count }, (_, i) => batcher.submit('allow', undefined, item(`s0:${i}`))),
      );
      expect(sent.map((s) => s.keys)).toEqual(calls);
    }
  });

  it('refuses a splitFrom below 2 or not an integer', () => {
    const { send } = recorder();
    expect(() => new CallBatcher({ send, slotOf, maxItems: 10, splitFrom: 1 })).toThrow(/splitFrom/);
    expect(() => new CallBatcher({ send, slotOf, maxItems: 10, splitFrom: 2.5 })).toThrow(/splitFrom/);
    expect(() => new CallBatcher({ send, slotOf, maxItems: 10, splitFrom: Number.NaN })).toThrow(/splitFrom/);
  });

  it('waits only for the current callback when idle, for the end of the turn while a call is out', async () => {
    const sent: string[][] = [];
    const pending: (() => void)[] = [];
    const batcher = new CallBatcher({
      send: (_entry, call) => {
        sent.push(call.items.map((i) => i.key));
        return new Promise((resolve) =>
          pending.push(() => resolve(call.items.map((i, n) => outcomeFor(i.key, n)))),
        );
      },
      slotOf,
      maxItems: 100,
    });
    const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));
    const a = batcher.submit('allow', undefined, item('s0:a'));
    await tick();
    // idle: gone after the callback that asked
    expect(sent).toEqual([['s0:a']]);
    const b = batcher.submit('allow', undefined, item('s0:b'));
    const c = batcher.submit('allow', undefined, item('s0:c'));
    await tick();
    // busy (a is out): b and c wait for the end of the turn
    expect(sent).toEqual([['s0:a']]);
    await nextTurn();
    expect(sent).toEqual([['s0:a'], ['s0:b', 's0:c']]);
    for (const release of pending) release();
    expect(await Promise.all([a, b, c])).toEqual([
      outcomeFor('s0:a', 0),
      outcomeFor('s0:b', 0),
      outcomeFor('s0:c', 1),
    ]);
  });

  it('flush() sends what is queued at once', () => {
    const { sent, send } = recorder();
    const batcher = new CallBatcher({ send, slotOf, maxItems: 100 });
    void batcher.submit('allow', undefined, item('s0:a'));
    void batcher.submit('peek', undefined, item('s0:b'));
    batcher.flush();
    expect(sent.map((s) => s.entry)).toEqual(['allow', 'peek']);
  });

  it('calls of later turns are separate calls', async () => {
    const { sent, send } = recorder();
    const batcher = new CallBatcher({ send, slotOf, maxItems: 100 });
    const first = batcher.submit('allow', undefined, item('s0:a'));
    await nextTurn();
    const second = batcher.submit('allow', undefined, item('s0:a'));
    await Promise.all([first, second]);
    expect(sent.map((s) => s.keys)).toEqual([['s0:a'], ['s0:a']]);
  });

  it("a failed call fails its own callers only, with the call's error", async () => {
    const boom = new Error('connection lost');
    const { sent, send } = recorder((call) => (call.items[0]?.key === 's1:a' ? boom : undefined));
    const batcher = new CallBatcher({ send, slotOf, maxItems: 100 });
    const results = await Promise.allSettled([
      batcher.submit('allow', undefined, item('s1:a')),
      batcher.submit('allow', undefined, item('s2:b')),
      batcher.submit('allow', undefined, item('s1:c')),
    ]);
    expect(results).toEqual([
      { status: 'rejected', reason: boom },
      { status: 'fulfilled', value: outcomeFor('s2:b', 0) },
      { status: 'rejected', reason: boom },
    ]);
    expect(sent).toHaveLength(2);
  });

  it('an item answered with an error (a key holding foreign data) fails that caller only; nothing is sent again', async () => {
    const foreign = new Error('RL_STATE s0:{x}:fw does not hold counter state');
    const sent: string[][] = [];
    const send = (_entry: ScriptEntry, call: ScriptCall): Promise<ItemResult[]> => {
      sent.push(call.items.map((i) => i.key));
      return Promise.resolve(
        call.items.map((i, n) => (i.key === 's0:{x}:fw' ? foreign : outcomeFor(i.key, n))),
      );
    };
    const batcher = new CallBatcher({ send, slotOf, maxItems: 100 });
    const results = await Promise.allSettled(
      ['s0:{a}:fw', 's0:{x}:fw', 's0:{b}:fw', 's0:{x}:fw'].map((k) => batcher.submit('allow', 7, item(k))),
    );
    expect(results).toEqual([
      { status: 'fulfilled', value: outcomeFor('s0:{a}:fw', 0) },
      { status: 'rejected', reason: foreign },
      { status: 'fulfilled', value: outcomeFor('s0:{b}:fw', 2) },
      { status: 'rejected', reason: foreign },
    ]);
    expect(sent).toEqual([['s0:{a}:fw', 's0:{x}:fw', 's0:{b}:fw', 's0:{x}:fw']]);
  });

  it('refuses a maxItems that is not a positive integer', () => {
    const { send } = recorder();
    expect(() => new CallBatcher({ send, slotOf, maxItems: 0 })).toThrow(/maxItems/);
    expect(() => new CallBatcher({ send, slotOf, maxItems: 1.5 })).toThrow(/maxItems/);
  });
});
