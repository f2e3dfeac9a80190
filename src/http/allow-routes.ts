import type { Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { ERROR_CODES, ValidationError, type RateLimiterError } from '../errors.js';
import type { RateLimiter } from '../limiter/rate-limiter.js';
import type { Metrics } from '../observability/metrics.js';
import { problemFor, toRateLimiterError } from './error-handler.js';
import { rateLimitHeaders } from './rate-limit-headers.js';
import { problemsOf } from './validator-compiler.js';
import {
  AllowBodySchema,
  BatchBodySchema,
  type BatchItemErrorSchema,
  BatchResponseSchema,
  DecisionSchema,
  PROBLEM_RESPONSES,
} from './schemas.js';

type AllowBody = Static<typeof AllowBodySchema>;
type DecisionBody = Static<typeof DecisionSchema>;
type BatchResult = Static<typeof BatchResponseSchema>['results'][number];
type BatchItemError = Static<typeof BatchItemErrorSchema>;

const allowItemChecker = TypeCompiler.Compile(AllowBodySchema);

export interface AllowRoutesDeps {
  readonly limiter: RateLimiter;
  readonly metrics: Metrics;
}

/** One batch item: its decision, or its own error (never failing the others). */
async function allowItem(
  item: unknown,
  index: number,
  deps: AllowRoutesDeps,
  log: FastifyBaseLogger,
  reqId: string,
): Promise<BatchResult> {
  try {
    if (!allowItemChecker.Check(item)) throw new ValidationError(problemsOf(allowItemChecker.Errors(item)));
    const decision: DecisionBody = await deps.limiter.allow(item.clientId, item.cost ?? 1);
    return decision;
  } catch (err) {
    const typed = toRateLimiterError(err);
    if (typed === undefined) log.error({ err, index, reqId }, 'batch item failed');
    deps.metrics.recordError(typed?.code ?? 'INTERNAL');
    return { error: itemError(typed, index) };
  }
}

function itemError(typed: RateLimiterError | undefined, index: number): BatchItemError['error'] {
  if (typed === undefined) return { code: 'INTERNAL', detail: ERROR_CODES.INTERNAL.title };
  const { code, detail, errors } = problemFor(typed);
  if (errors === undefined) return { code, detail };
  // "/cost" of the item becomes "/requests/3/cost" of the batch body
  return {
    code,
    detail,
    errors: errors.map((e) => ({ field: `/requests/${index}${e.field}`, message: e.message })),
  };
}

export function registerAllowRoutes(app: FastifyInstance, deps: AllowRoutesDeps): void {
  app.post<{ Body: AllowBody }>(
    '/v1/allow',
    {
      schema: {
        summary: 'Check and, if allowed, consume cost units of a client budget',
        description:
          'A denial is a 200 with allowed:false (the caller decides what to answer its own client). ' +
          'Sets RateLimit-Policy and RateLimit headers, and Retry-After when denied for lack of budget.',
        tags: ['allow'],
        body: AllowBodySchema,
        response: { 200: DecisionSchema, ...PROBLEM_RESPONSES },
      },
    },
    async (request, reply) => {
      const decision: DecisionBody = await deps.limiter.allow(request.body.clientId, request.body.cost ?? 1);
      return reply.headers(rateLimitHeaders(decision, { retryAfter: true })).send(decision);
    },
  );

  app.post<{ Body: Static<typeof BatchBodySchema> }>(
    '/v1/allow/batch',
    {
      schema: {
        summary: 'Many allow calls in one request, answered in order',
        description: 'Each result is a Decision or {error:{code, detail, errors?}} for that item alone.',
        tags: ['allow'],
        body: BatchBodySchema,
        response: { 200: BatchResponseSchema, ...PROBLEM_RESPONSES },
      },
    },
    async (request) => {
      const results = await Promise.all(
        request.body.requests.map((item, index) => allowItem(item, index, deps, request.log, request.id)),
      );
      return { results };
    },
  );
}
