import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { RateLimiter } from '../limiter/rate-limiter.js';
import type { EtcdMirrorStats } from '../store/etcd/etcd-config-store.js';
import type { InstanceRegistry, InstanceStatus } from '../store/instance-registry.js';
import type { InstanceStatusSchema } from './schemas.js';
import { ADMIN_PROBLEM_RESPONSES, StatusSchema } from './schemas.js';

/** What /v1/status reports besides the limiter's throttle. */
export interface StatusSource {
  readonly registry: InstanceRegistry;
  readonly counters: 'memory' | 'redis';
  /** undefined in embedded mode (no etcd) */
  readonly etcdStats: (() => EtcdMirrorStats) | undefined;
}

export interface StatusRoutesDeps {
  readonly limiter: RateLimiter;
  readonly adminGuard: onRequestAsyncHookHandler;
  readonly status: StatusSource;
}

const ADMIN_SECURITY = [{ bearerAuth: [] }];

function instanceView(instance: InstanceStatus): Static<typeof InstanceStatusSchema> {
  const beat = instance.heartbeat;
  return {
    id: instance.id,
    self: instance.self,
    cpu: beat?.cpu ?? null,
    allowP99Ms: beat?.allowP99Ms ?? null,
    rps: beat?.rps ?? null,
    storeErrorRate: beat?.storeErrorRate ?? null,
    startedAt: beat?.startedAt ?? null,
    at: beat?.at ?? null,
    version: beat?.version ?? null,
  };
}

export function registerStatusRoutes(app: FastifyInstance, deps: StatusRoutesDeps): void {
  const { limiter, adminGuard, status } = deps;

  app.get(
    '/v1/status',
    {
      onRequest: adminGuard,
      schema: {
        summary:
          'The deployment as this instance sees it (admin): live instances and their load, multipliers in force, the etcd mirror',
        tags: ['operations'],
        security: ADMIN_SECURITY,
        response: { 200: StatusSchema, ...ADMIN_PROBLEM_RESPONSES },
      },
    },
    () => {
      const etcd = status.etcdStats?.();
      const body: Static<typeof StatusSchema> = {
        instanceId: status.registry.instanceId,
        liveInstances: status.registry.liveInstances(),
        instances: status.registry.instances().map(instanceView),
        throttle: limiter.getThrottle(),
        etcd:
          etcd === undefined
            ? null
            : {
                revision: etcd.revision,
                mirrorSize: etcd.limits,
                clientOverrides: etcd.clientOverrides,
                relists: etcd.relists,
                invalidEntries: etcd.invalidEntries,
              },
        counters: status.counters,
      };
      return Promise.resolve(body);
    },
  );
}
