import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { validateClientId } from '../core/validate.js';
import { NotFoundError } from '../errors.js';
import type { RateLimiter } from '../limiter/rate-limiter.js';
import {
  ADMIN_PROBLEM_RESPONSES,
  IdParamsSchema,
  LimitBodySchema,
  LimitSpecSchema,
  PROBLEM_RESPONSES,
  ProblemSchema,
  RateLimitInfoSchema,
} from './schemas.js';

type Params = Static<typeof IdParamsSchema>;

export interface LimitsRoutesDeps {
  readonly limiter: RateLimiter;
  readonly adminGuard: onRequestAsyncHookHandler;
}

const ADMIN_SECURITY = [{ bearerAuth: [] }];

export function registerLimitsRoutes(app: FastifyInstance, deps: LimitsRoutesDeps): void {
  const { limiter, adminGuard } = deps;

  app.put<{ Params: Params; Body: Static<typeof LimitBodySchema> }>(
    '/v1/limits/:id',
    {
      onRequest: adminGuard,
      schema: {
        summary: "Set a client's base limit (admin); used budget is kept",
        tags: ['limits'],
        security: ADMIN_SECURITY,
        params: IdParamsSchema,
        body: LimitBodySchema,
        response: { 200: LimitSpecSchema, ...ADMIN_PROBLEM_RESPONSES },
      },
    },
    async (request) => {
      const id = validateClientId(request.params.id, 'path/id');
      const { limit, window, algorithm } = request.body;
      const spec: Static<typeof LimitSpecSchema> = await limiter.setRateLimit(id, limit, window, algorithm);
      return spec;
    },
  );

  app.get<{ Params: Params }>(
    '/v1/limits/:id',
    {
      schema: {
        summary: "A client's limit and the multiplier in force ({limit:0, window:0} when it has none)",
        tags: ['limits'],
        params: IdParamsSchema,
        response: { 200: RateLimitInfoSchema, ...PROBLEM_RESPONSES },
      },
    },
    (request) => {
      const info: Static<typeof RateLimitInfoSchema> = limiter.getRateLimit(
        validateClientId(request.params.id, 'path/id'),
      );
      return Promise.resolve(info);
    },
  );

  app.delete<{ Params: Params }>(
    '/v1/limits/:id',
    {
      onRequest: adminGuard,
      schema: {
        summary: "Remove a client's own limit (admin); its usage counters are kept",
        tags: ['limits'],
        security: ADMIN_SECURITY,
        params: IdParamsSchema,
        response: {
          204: { type: 'null', description: 'removed' },
          404: ProblemSchema,
          ...ADMIN_PROBLEM_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const id = validateClientId(request.params.id, 'path/id');
      if (!(await limiter.deleteRateLimit(id)))
        throw new NotFoundError('this client has no limit of its own');
      return reply.code(204).send();
    },
  );
}
