/** Limits every run honours, and a hook for the progress bar. */
export interface RunBounds {
  /** stop after this many requests (undefined: the whole trace) */
  readonly maxRequests?: number | undefined;
  /** stop sending after this much wall-clock time (undefined: no limit) */
  readonly maxSeconds?: number | undefined;
  /** called now and then with the number of requests sent so far */
  readonly onProgress?: ((sent: number) => void) | undefined;
}
