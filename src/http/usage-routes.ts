import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { validateClientId } from '../core/validate.js';
import type { RateLimiter } from '../limiter/rate-limiter.js';
import { rateLimitHeaders } from './rate-limit-headers.js';
import { CostQuerySchema, DecisionSchema, IdParamsSchema, PROBLEM_RESPONSES } from './schemas.js';

type DecisionBody = Static<typeof DecisionSchema>;

export function registerUsageRoutes(app: FastifyInstance, deps: { readonly limiter: RateLimiter }): void {
  app.get<{ Params: Static<typeof IdParamsSchema>; Querystring: Static<typeof CostQuerySchema> }>(
    '/v1/clients/:id/usage',
    {
      schema: {
        summary: 'What an allow of `cost` would get now; consumes nothing',
        tags: ['allow'],
        params: IdParamsSchema,
        querystring: CostQuerySchema,
        response: { 200: DecisionSchema, ...PROBLEM_RESPONSES },
      },
    },
    async (request, reply) => {
      const id = validateClientId(request.params.id, 'path/id');
      const decision: DecisionBody = await deps.limiter.peek(id, request.query.cost ?? 1);
      return reply.headers(rateLimitHeaders(decision, { retryAfter: false })).send(decision);
    },
  );
}
