import { createServer } from 'node:net';

/** Redis Cluster's bus listens on the client port + 10000. */
export const CLUSTER_BUS_OFFSET = 10_000;
const MAX_PORT = 65_535;
const MAX_ATTEMPTS = 100;

/** Every port handed out by this process, so two helpers never get the same one. */
const handedOut = new Set<number>();

/** Bind 127.0.0.1:`port` (0 = let the kernel choose), close, and return the bound port; null if in use. */
function probe(port: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') {
        resolve(null);
      } else {
        reject(err);
      }
    });
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

/** A loopback port that was free a moment ago and has not been handed out before in this process. */
export async function getFreePort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = await probe(0);
    if (port !== null && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port after ${MAX_ATTEMPTS} attempts`);
}

/** Like getFreePort, but port + 10000 (the Redis Cluster bus port) is free and unused too. */
export async function getFreeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = await probe(0);
    if (port === null || port + CLUSTER_BUS_OFFSET > MAX_PORT) {
      continue;
    }
    const busPort = port + CLUSTER_BUS_OFFSET;
    if (handedOut.has(port) || handedOut.has(busPort)) {
      continue;
    }
    if ((await probe(busPort)) === busPort) {
      handedOut.add(port);
      handedOut.add(busPort);
      return port;
    }
  }
  throw new Error(`no free loopback port pair (p, p+${CLUSTER_BUS_OFFSET}) after ${MAX_ATTEMPTS} attempts`);
}
