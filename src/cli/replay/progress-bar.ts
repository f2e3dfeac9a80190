/** Where the bar is drawn: a TTY stream (stderr). */
export interface ProgressStream {
  readonly columns?: number;
  write(chunk: string): boolean;
}

/**
 * A one-line progress bar, redrawn in place at most every `intervalMs`. The caller creates it only
 * when stderr is a TTY, so pipes and files never see control characters.
 */
export class ProgressBar {
  readonly #stream: ProgressStream;
  readonly #total: number;
  readonly #intervalMs: number;
  #lastDraw = Number.NEGATIVE_INFINITY;

  constructor(stream: ProgressStream, total: number, intervalMs = 100) {
    this.#stream = stream;
    this.#total = total;
    this.#intervalMs = intervalMs;
  }

  update(done: number): void {
    const now = performance.now();
    if (now - this.#lastDraw < this.#intervalMs && done < this.#total) return;
    this.#lastDraw = now;
    const fraction = this.#total > 0 ? Math.min(1, done / this.#total) : 1;
    const label = ` ${(fraction * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en-US')}/${this.#total.toLocaleString('en-US')}`;
    const width = Math.max(10, Math.min(40, (this.#stream.columns || 80) - label.length - 3));
    const filled = Math.round(fraction * width);
    this.#stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${label}`);
  }

  /** Erases the bar. */
  finish(): void {
    this.#stream.write('\r\u001b[2K');
  }
}
