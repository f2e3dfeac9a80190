import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { NotFoundError } from '../errors.js';
import type { RateLimiter } from '../limiter/rate-limiter.js';
import {
  ADMIN_PROBLEM_RESPONSES,
  ManualThrottleSchema,
  PROBLEM_RESPONSES,
  ProblemSchema,
  ThrottleBodySchema,
  ThrottleInfoSchema,
} from './schemas.js';

export interface ThrottleRoutesDeps {
  readonly limiter: RateLimiter;
  readonly adminGuard: onRequestAsyncHookHandler;
}

const ADMIN_SECURITY = [{ bearerAuth: [] }];

export function registerThrottleRoutes(app: FastifyInstance, deps: ThrottleRoutesDeps): void {
  const { limiter, adminGuard } = deps;

  app.get(
    '/v1/throttle',
    {
      schema: {
        summary:
          'The global multiplier in force and where it came from (manual override beats the controller)',
        tags: ['throttle'],
        response: { 200: ThrottleInfoSchema, ...PROBLEM_RESPONSES },
      },
    },
    () => {
      const info: Static<typeof ThrottleInfoSchema> = limiter.getThrottle();
      return Promise.resolve(info);
    },
  );

  app.put<{ Body: Static<typeof ThrottleBodySchema> }>(
    '/v1/throttle',
    {
      onRequest: adminGuard,
      schema: {
        summary: 'Set a manual global multiplier (admin); ttlSeconds makes it end by itself',
        tags: ['throttle'],
        security: ADMIN_SECURITY,
        body: ThrottleBodySchema,
        response: { 200: ManualThrottleSchema, ...ADMIN_PROBLEM_RESPONSES },
      },
    },
    async (request) => {
      const { multiplier, reason, ttlSeconds } = request.body;
      const stored: Static<typeof ManualThrottleSchema> = await limiter.setThrottle(
        multiplier,
        reason,
        ttlSeconds,
      );
      return stored;
    },
  );

  app.delete(
    '/v1/throttle',
    {
      onRequest: adminGuard,
      schema: {
        summary: 'Remove the manual global multiplier (admin)',
        tags: ['throttle'],
        security: ADMIN_SECURITY,
        response: {
          204: { type: 'null', description: 'removed' },
          404: ProblemSchema,
          ...ADMIN_PROBLEM_RESPONSES,
        },
      },
    },
    async (_request, reply) => {
      if (!(await limiter.clearThrottle())) throw new NotFoundError('there is no manual throttle in force');
      return reply.code(204).send();
    },
  );
}
