import { Redis } from 'ioredis';

const PROBE_TIMEOUT_MS = 1_000;

/**
 * Opens a one-shot ioredis connection (no retries, no offline queue), runs `use`, and disconnects.
 * Rejects if the server cannot be reached or `use` rejects.
 */
export async function withRedisConnection<T>(
  host: string,
  port: number,
  use: (client: Redis) => Promise<T>,
): Promise<T> {
  const client = new Redis({
    host,
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    connectTimeout: PROBE_TIMEOUT_MS,
    commandTimeout: PROBE_TIMEOUT_MS,
  });
  // Connection errors surface through connect()/the command promise; keep them off the console.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** True once the server at host:port answers PING with PONG. Never throws. */
export async function answersPing(host: string, port: number): Promise<boolean> {
  try {
    return (await withRedisConnection(host, port, (client) => client.ping())) === 'PONG';
  } catch {
    return false;
  }
}
