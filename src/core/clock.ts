/** A source of integer milliseconds since the epoch. Injected everywhere time is read. */
export interface Clock {
  now(): number;
}
