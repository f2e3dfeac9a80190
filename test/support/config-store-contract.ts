import { describe, expect, it } from 'vitest';
import type { ConfigChange, ConfigStore } from '../../src/store/config-store.js';
import type { ManualClock } from '../../src/store/memory/manual-clock.js';

export interface ContractSubject {
  readonly store: ConfigStore;
  /** the clock the store reads (timed overrides) */
  readonly clock: ManualClock;
}

const T0 = Date.parse('2030-01-01T00:00:00Z');

/**
 * The ConfigStore contract, run against every implementation. `make` gives a fresh, empty store
 * whose clock reads T0 (2030-01-01T00:00:00Z); the suite closes it.
 */
export function describeConfigStoreContract(name: string, make: () => Promise<ContractSubject>): void {
  async function withStore(use: (subject: ContractSubject) => Promise<void>): Promise<void> {
    const subject = await make();
    subject.clock.set(T0);
    try {
      await use(subject);
    } finally {
      await subject.store.close();
    }
  }

  describe(`ConfigStore contract: ${name}`, () => {
    it('a limit is readable at once after setLimit resolves, and deleteLimit says whether one existed', () =>
      withStore(async ({ store }) => {
        expect(store.getLimit('a/b c')).toBeUndefined();
        expect(store.size()).toBe(0);
        await store.setLimit('a/b c', { limit: 10, window: 60, algorithm: 'token-bucket' });
        expect(store.getLimit('a/b c')).toEqual({ limit: 10, window: 60, algorithm: 'token-bucket' });
        expect(store.size()).toBe(1);
        await store.setLimit('a/b c', { limit: 11, window: 1, algorithm: 'fixed-window' });
        expect(store.getLimit('a/b c')).toEqual({ limit: 11, window: 1, algorithm: 'fixed-window' });
        expect(store.size()).toBe(1);
        expect(await store.deleteLimit('a/b c')).toBe(true);
        expect(store.getLimit('a/b c')).toBeUndefined();
        expect(store.size()).toBe(0);
        expect(await store.deleteLimit('a/b c')).toBe(false);
      }));

    it('keeps ids that differ only in bytes an encoding could confuse apart', () =>
      withStore(async ({ store }) => {
        const ids = ['x', 'x/', 'x%2F', 'x%252F', 'X', 'x ', '🐎', '{x}:y'];
        for (const [i, id] of ids.entries())
          await store.setLimit(id, { limit: i + 1, window: 1, algorithm: 'fixed-window' });
        expect(ids.map((id) => store.getLimit(id)?.limit)).toEqual(ids.map((_, i) => i + 1));
        expect(store.size()).toBe(ids.length);
      }));

    it('sets and clears defaults', () =>
      withStore(async ({ store }) => {
        expect(store.getDefaults()).toBeUndefined();
        await store.setDefaults({ limit: 5, window: 10, algorithm: 'sliding-window' });
        expect(store.getDefaults()).toEqual({ limit: 5, window: 10, algorithm: 'sliding-window' });
        await store.setDefaults(undefined);
        expect(store.getDefaults()).toBeUndefined();
      }));

    it('sets and clears client overrides of both shapes', () =>
      withStore(async ({ store }) => {
        await store.setClientOverride('c', { multiplier: 0.25 });
        expect(store.getClientOverride('c')).toEqual({ multiplier: 0.25 });
        await store.setClientOverride('c', { limit: 3, window: 2 });
        expect(store.getClientOverride('c')).toEqual({ limit: 3, window: 2 });
        await store.setClientOverride('c', undefined);
        expect(store.getClientOverride('c')).toBeUndefined();
      }));

    it('a manual throttle holds until cleared; clearing says whether one was in force', () =>
      withStore(async ({ store }) => {
        expect(await store.clearManualThrottle()).toBe(false);
        await store.setManualThrottle({ multiplier: 0.5, reason: 'incident 7' });
        expect(store.getManualThrottle()).toEqual({ multiplier: 0.5, reason: 'incident 7' });
        expect(await store.clearManualThrottle()).toBe(true);
        expect(store.getManualThrottle()).toBeUndefined();
      }));

    it('a timed manual throttle reads as undefined once its end has passed', () =>
      withStore(async ({ store, clock }) => {
        const until = new Date(T0 + 60_000).toISOString();
        await store.setManualThrottle({ multiplier: 0.3, reason: 'drill', until });
        expect(store.getManualThrottle()).toEqual({ multiplier: 0.3, reason: 'drill', until });
        clock.set(T0 + 59_999);
        expect(store.getManualThrottle()?.multiplier).toBe(0.3);
        clock.set(T0 + 60_000);
        expect(store.getManualThrottle()).toBeUndefined();
        // it had already ended: clearing finds nothing in force
        expect(await store.clearManualThrottle()).toBe(false);
      }));

    it('announces each change once, in order, and stops after unsubscribing', () =>
      withStore(async ({ store }) => {
        const changes: ConfigChange[] = [];
        const unsubscribe = store.onChange((change) => changes.push(change));
        await store.setLimit('a', { limit: 1, window: 1, algorithm: 'fixed-window' });
        await store.setClientOverride('a', { multiplier: 0.5 });
        await store.setDefaults({ limit: 2, window: 2, algorithm: 'fixed-window' });
        await store.setManualThrottle({ multiplier: 0.9, reason: 'r' });
        await store.deleteLimit('a');
        expect(changes).toEqual([
          { kind: 'limit', clientId: 'a' },
          { kind: 'client-override', clientId: 'a' },
          { kind: 'defaults' },
          { kind: 'throttle' },
          { kind: 'limit', clientId: 'a' },
        ]);
        unsubscribe();
        await store.setLimit('b', { limit: 1, window: 1, algorithm: 'fixed-window' });
        expect(changes).toHaveLength(5);
      }));
  });
}
