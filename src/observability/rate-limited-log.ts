import type { Clock } from '../core/clock.js';
import type { Logger } from './logger.js';

/**
 * Error logs that cannot flood: at most one line per `kind` per `intervalMs`. While etcd or Redis is
 * down a watch fails every few hundred milliseconds and every request fails; one line every few
 * seconds says the same, and carries how many were suppressed since the previous one.
 */
export class RateLimitedLog {
  readonly #logger: Pick<Logger, 'error' | 'info'>;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #lastAt = new Map<string, number>();
  readonly #suppressed = new Map<string, number>();

  constructor(logger: Pick<Logger, 'error' | 'info'>, intervalMs: number, clock: Clock) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
  }

  /** Logs `message` at error level unless `kind` was logged less than the interval ago. */
  error(kind: string, err: unknown, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    const now = this.#clock.now();
    const last = this.#lastAt.get(kind);
    if (last !== undefined && now - last < this.#intervalMs) {
      this.#suppressed.set(kind, (this.#suppressed.get(kind) ?? 0) + 1);
      return;
    }
    const suppressed = this.#suppressed.get(kind) ?? 0;
    this.#lastAt.set(kind, now);
    this.#suppressed.delete(kind);
    this.#logger.error({ ...fields, err, kind, suppressed }, message);
  }

  /** Logs a recovery at info level and lets the next failure of `kind` log at once. */
  recovered(kind: string, message: string): void {
    const suppressed = this.#suppressed.get(kind) ?? 0;
    this.#lastAt.delete(kind);
    this.#suppressed.delete(kind);
    this.#logger.info({ kind, suppressed }, message);
  }
}
