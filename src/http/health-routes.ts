import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { HealthSchema, ReadinessSchema } from './schemas.js';

export type Readiness = Static<typeof ReadinessSchema>;

/** Whether this instance can serve: its stores are reachable and it is not shutting down. */
export type ReadinessCheck = () => Promise<Readiness>;

export interface HealthRoutesDeps {
  readonly readiness: ReadinessCheck;
}

export function registerHealthRoutes(app: FastifyInstance, deps: HealthRoutesDeps): void {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['operations'],
        response: { 200: HealthSchema },
      },
    },
    () => Promise.resolve({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: 200 when every dependency is ready, 503 otherwise',
        tags: ['operations'],
        response: { 200: ReadinessSchema, 503: ReadinessSchema },
      },
    },
    async (_request, reply) => {
      const readiness = await deps.readiness();
      return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
    },
  );
}
