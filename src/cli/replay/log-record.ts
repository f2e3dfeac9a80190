/** The two access-log formats the replay reads (see /work/shared/data/README.md). */
export const LOG_FORMATS = ['nasa', 'apache'] as const;

export type LogFormat = (typeof LOG_FORMATS)[number];

/** One request line of an access log, before sorting and time spreading. */
export interface LogRecord {
  /** host (NASA) or remote address (Apache) */
  readonly clientId: string;
  /** Unix epoch seconds (the logs have 1 s resolution) */
  readonly second: number;
  /** response size; null when the log says `-` */
  readonly bytes: number | null;
}
