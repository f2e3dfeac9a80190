/** Exhaustiveness check for discriminated switches. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
