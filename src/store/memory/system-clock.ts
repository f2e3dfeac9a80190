import type { Clock } from '../../core/clock.js';

/** Wall-clock milliseconds. The only clock that reads real time; everything else is injected. */
export const systemClock: Clock = { now: () => Date.now() };
