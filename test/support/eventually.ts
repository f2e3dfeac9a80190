import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` until it stops throwing (then returns its value) or `timeoutMs` passes (then throws
 * its last error). For changes that arrive asynchronously, such as an etcd watch event.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
    await sleep(intervalMs);
  }
}
