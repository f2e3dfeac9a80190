import { isIP } from 'node:net';

/** A replay target URL that is not allowed or not usable. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** True for localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Parses the service URL. Only http(s) is accepted, and only a loopback host unless `allowRemote`:
 * a replay is a load test and must not hit someone else's service by accident.
 */
export function parseTarget(url: string, allowRemote: boolean): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new TargetError(`--url: not a URL: ${url}`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new TargetError(`--url: must be http:// or https://, got ${target.protocol}`);
  }
  if (!allowRemote && !isLoopbackHost(target.hostname)) {
    throw new TargetError(
      `--url: ${target.hostname} is not a loopback address; pass --allow-remote to replay against it`,
    );
  }
  return target;
}
