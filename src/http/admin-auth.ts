import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AdminDisabledError, UnauthorizedError } from '../errors.js';

export interface AdminAuthOptions {
  /** RL_ADMIN_TOKEN; undefined when none is configured */
  readonly token: string | undefined;
  /** whether the server listens on a loopback address only (see isLoopbackHost) */
  readonly listenIsLoopback: boolean;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for 127.0.0.0/8, ::1 (and ::ffff:127.x.x.x) and "localhost"; false for 0.0.0.0, :: and other names. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === 'localhost.') return true;
  if (isIPv4(h)) return LOOPBACK.check(h, 'ipv4');
  if (isIPv6(h)) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)?.[1];
    return mapped !== undefined ? LOOPBACK.check(mapped, 'ipv4') : LOOPBACK.check(h, 'ipv6');
  }
  return false;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  return /^Bearer +([^\s]+) *$/i.exec(header)?.[1];
}

/**
 * onRequest hook for admin routes (runs before the body is read or validated, so an
 * unauthenticated caller learns nothing about the route). Tokens are compared as SHA-256 digests
 * with timingSafeEqual, so neither content nor length leaks through timing; they are never logged.
 */
export function createAdminGuard(options: AdminAuthOptions): onRequestAsyncHookHandler {
  const expected = options.token === undefined ? undefined : digest(options.token);
  return (request, reply) => {
    if (expected === undefined) {
      if (!options.listenIsLoopback) return Promise.reject(new AdminDisabledError());
      return Promise.resolve();
    }
    const token = presentedToken(request);
    if (token === undefined || !timingSafeEqual(digest(token), expected)) {
      void reply.header('www-authenticate', token === undefined ? 'Bearer' : 'Bearer error="invalid_token"');
      return Promise.reject(new UnauthorizedError());
    }
    return Promise.resolve();
  };
}
