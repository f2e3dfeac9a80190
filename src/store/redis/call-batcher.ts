/**
 * Micro-batching of counter script calls (issue 3, Build 2).
 *
 * The decisions asked of one store are held for a moment, then sent as script calls: one per
 * run of consecutive items of a Cluster slot (on a single node every key shares one) that use the
 * same entry script (allow or peek) and the same explicit time (or none: the server's clock). In
 * the usual case (allows on the server's clock) that is one call per slot per turn. The script
 * decides a call's items in order, each seeing the writes of the ones before, and the calls of a
 * slot go out in order on its connection, so every key sees its decisions in the order they were
 * asked: a batch gives exactly the results of the same calls sent one by one. A call holds at most
 * `maxItems`; reaching it sends everything queued so far at once. A call of `splitFrom` items or
 * more that is not full goes out as two halves, back to back, so this process and Redis work at the
 * same time (bench/results/batching.md: at 64 in flight on one redis-server, about 25% more calls/s
 * than one call of 64). A full call goes whole: at that demand calls already follow each other
 * back to back, and there halves only cost Redis more per decision.
 *
 * How long is "a moment": while a call of this batcher is waiting for Redis, until the end of the
 * event-loop turn (setImmediate: the decisions asked by every I/O callback of the turn, such as
 * requests read from many sockets, join); when none is, only until the current callback and its
 * microtasks are done (process.nextTick), so a lone decision on an idle store waits for nothing.
 *
 * One reply settles every caller of the call, each with its own item's result: an outcome, or the
 * error of a key that holds something that is not counter state (the script answers such an item
 * without deciding it and decides the others). A failed call fails its own callers only, with the
 * script's or the connection's error; nothing is ever sent again, so no decision can overtake one
 * asked before it. Deadlines are the caller's business (RedisCounterStore races each call against
 * its own).
 */
import type { Outcome } from '../../core/types.js';
import type { ItemResult, ScriptCall, ScriptEntry, ScriptItem } from './script-registry.js';

export interface CallBatcherOptions {
  /** one script call; resolves with one result per item, in item order */
  readonly send: (entry: ScriptEntry, call: ScriptCall) => Promise<ItemResult[]>;
  /** the Cluster slot of a key: only items of equal slots share a call */
  readonly slotOf: (key: string) => number;
  /** most items one call holds */
  readonly maxItems: number;
  /**
   * A call of at least this many items, and fewer than maxItems, goes out as two calls of half
   * each (default: never), so that Redis decides the first half while this process writes the
   * second, and this process reads the first reply while Redis decides the second half.
   */
  readonly splitFrom?: number;
}

interface Waiter {
  readonly item: ScriptItem;
  readonly resolve: (outcome: Outcome) => void;
  readonly reject: (err: unknown) => void;
}

interface Group {
  readonly entry: ScriptEntry;
  readonly now: number | undefined;
  readonly waiters: Waiter[];
}

export class CallBatcher {
  readonly #send: CallBatcherOptions['send'];
  readonly #slotOf: CallBatcherOptions['slotOf'];
  readonly #maxItems: number;
  readonly #splitFrom: number;
  /** per slot, the group that the next item of the same entry and time joins */
  readonly #open = new Map<number, Group>();
  /** every group of this turn, in the order opened */
  #queue: Group[] = [];
  /** a flush is scheduled (nextTick or setImmediate) */
  #scheduled = false;
  /** script calls sent and not settled */
  #inFlight = 0;
  readonly #scheduledFlush = (): void => {
    this.flush();
  };

  constructor(options: CallBatcherOptions) {
    if (!Number.isInteger(options.maxItems) || options.maxItems < 1) {
      throw new Error(`maxItems must be a positive integer, got ${options.maxItems}`);
    }
    this.#send = options.send;
    this.#slotOf = options.slotOf;
    this.#maxItems = options.maxItems;
    this.#splitFrom = options.splitFrom ?? Number.POSITIVE_INFINITY;
    if (!(this.#splitFrom >= 2) || !(Number.isInteger(this.#splitFrom) || this.#splitFrom === Infinity)) {
      throw new Error(
        `splitFrom must be an integer of at least 2 (or Infinity: never), got ${this.#splitFrom}`,
      );
    }
  }

  /** Queues one decision for this turn's calls; resolves with its outcome. */
  submit(entry: ScriptEntry, now: number | undefined, item: ScriptItem): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const slot = this.#slotOf(item.key);
      let group = this.#open.get(slot);
      if (group === undefined || group.entry !== entry || group.now !== now) {
        group = { entry, now, waiters: [] };
        this.#open.set(slot, group);
        this.#queue.push(group);
      }
      group.waiters.push({ item, resolve, reject });
      if (group.waiters.length >= this.#maxItems) this.flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        if (this.#inFlight === 0) process.nextTick(this.#scheduledFlush);
        else setImmediate(this.#scheduledFlush);
      }
    });
  }

  /** Sends everything queued so far now, in order, without waiting for the end of the turn. */
  flush(): void {
    // a flush scheduled earlier still runs, and finds nothing or what was asked since: sent sooner
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    this.#open.clear();
    for (const group of queue) {
      const { waiters } = group;
      // a full call goes whole: demand already fills calls back to back, and halves cost Redis more
      if (waiters.length < this.#splitFrom || waiters.length >= this.#maxItems)
        this.#dispatch(group, waiters);
      else {
        // two calls back to back on the slot's connection: still decided in the order asked
        const half = Math.ceil(waiters.length / 2);
        this.#dispatch(group, waiters.slice(0, half));
        this.#dispatch(group, waiters.slice(half));
      }
    }
  }

  #dispatch(group: Group, waiters: readonly Waiter[]): void {
    this.#inFlight++;
    void this.#send(group.entry, { now: group.now, items: waiters.map((w) => w.item) }).then(
      (results) => {
        this.#inFlight--;
        waiters.forEach((waiter, i) => {
          const result = results[i];
          if (result === undefined) waiter.reject(new Error(`script call replied no outcome for item ${i}`));
          else if (result instanceof Error) waiter.reject(result);
          else waiter.resolve(result);
        });
      },
      (err: unknown) => {
        this.#inFlight--;
        for (const waiter of waiters) waiter.reject(err);
      },
    );
  }
}
