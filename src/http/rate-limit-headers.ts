import type { Decision } from '../core/types.js';

/** Largest Integer a Structured Field (RFC 9651) may carry; bigger limits are clamped to it. */
export const SF_INTEGER_MAX = 999_999_999_999_999;

export const POLICY_NAME = 'default';

function sfInteger(n: number): number {
  return Math.min(Math.max(0, n), SF_INTEGER_MAX);
}

function ceilSeconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/**
 * Response headers for a decision, per draft-ietf-httpapi-ratelimit-headers (-10/-11):
 *   RateLimit-Policy: "default";q=<limit>;w=<window seconds>
 *   RateLimit: "default";r=<remaining>;t=<seconds until reset, rounded up>
 * plus, when `retryAfter` is asked for and the call was denied for lack of budget,
 *   Retry-After: <seconds, rounded up, at least 1>.
 * A client with no limit gets no rate-limit headers (there is no policy to describe).
 */
export function rateLimitHeaders(
  decision: Decision,
  options: { retryAfter: boolean },
): Record<string, string> {
  if (decision.reason === 'no_limit') return {};
  const headers: Record<string, string> = {
    'ratelimit-policy': `"${POLICY_NAME}";q=${sfInteger(decision.limit)};w=${decision.window}`,
    ratelimit: `"${POLICY_NAME}";r=${sfInteger(decision.remaining)};t=${ceilSeconds(decision.resetMs)}`,
  };
  if (options.retryAfter && decision.reason === 'limit_exceeded') {
    headers['retry-after'] = String(Math.max(1, ceilSeconds(decision.retryAfterMs)));
  }
  return headers;
}
