/**
 * Runs `beat` now and then every `intervalMs` (measured start to start), never two at once: a beat
 * that takes longer than the interval delays the next one instead of piling up. A beat that throws
 * is reported to `onError` and the loop goes on.
 */
export class HeartbeatLoop {
  readonly #beat: () => Promise<void>;
  readonly #intervalMs: number;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(beat: () => Promise<void>, intervalMs: number, onError: (err: unknown) => void) {
    this.#beat = beat;
    this.#intervalMs = intervalMs;
    this.#onError = onError;
  }

  /** Runs the first beat; resolves when it is done, with the next one scheduled. */
  start(): Promise<void> {
    return this.#run();
  }

  /** No beat after this one resolves; waits for a beat in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    const started = performance.now();
    this.#running = this.#beat().catch(this.#onError);
    await this.#running;
    this.#running = undefined;
    if (this.#stopped) return;
    const delay = Math.max(0, this.#intervalMs - (performance.now() - started));
    this.#timer = setTimeout(() => void this.#run(), delay);
    this.#timer.unref();
  }
}
