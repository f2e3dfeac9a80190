import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { RateLimiter } from './limiter/rate-limiter.js';
import { createAdminGuard, type AdminAuthOptions } from './http/admin-auth.js';
import { registerAllowRoutes } from './http/allow-routes.js';
import { answerError, registerErrorHandling } from './http/error-handler.js';
import { registerHealthRoutes, type ReadinessCheck } from './http/health-routes.js';
import { registerLimitsRoutes } from './http/limits-routes.js';
import { registerMetricsRoutes } from './http/metrics-routes.js';
import { registerStatusRoutes, type StatusSource } from './http/status-routes.js';
import { registerThrottleRoutes } from './http/throttle-routes.js';
import { registerUsageRoutes } from './http/usage-routes.js';
import { typeBoxValidatorCompiler } from './http/validator-compiler.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import { RateLimitedLog } from './observability/rate-limited-log.js';
import type { Clock } from './core/clock.js';
import { systemClock } from './store/memory/system-clock.js';

export interface AppDeps {
  readonly limiter: RateLimiter;
  /** metrics (and the registry /metrics exposes) */
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly admin: AdminAuthOptions;
  readonly readiness: ReadinessCheck;
  /** what /v1/status reports (instances, etcd mirror, counter store); without it, no /v1/status */
  readonly status?: StatusSource;
  /** times the outage log's interval (default: the system clock) */
  readonly clock?: Clock;
  /**
   * True once the service is shutting down: every response from then on, including those of
   * requests already in flight, says `Connection: close`, so no keep-alive client sends a next
   * request on a socket about to close (it would get a reset, not knowing whether it was served)
   */
  readonly draining?: () => boolean;
}

/** At most one log line per 503 code in this long, with the count of those left out. */
const OUTAGE_LOG_INTERVAL_MS = 5000;

/** Room for a 512-byte id fully percent-encoded (3 characters per byte). */
const MAX_PARAM_LENGTH = 2048;
/** A full batch of 1000 items with long ids fits. */
const BODY_LIMIT = 4 * 1024 * 1024;

/** The HTTP service around a RateLimiter. Never listens: main.ts does, tests use inject(). */
export function buildApp(deps: AppDeps): FastifyInstance {
  const logger: FastifyBaseLogger = deps.logger.child({ component: 'http' });
  const reporting = {
    metrics: deps.metrics,
    outageLog: new RateLimitedLog(logger, OUTAGE_LOG_INTERVAL_MS, deps.clock ?? systemClock),
  };
  const app = Fastify({
    loggerInstance: logger,
    // one line per request at info level would swamp the logs at the rates this serves
    logController: new LogController({ disableRequestLogging: true }),
    // malformed percent-encoding in a path, answered before routing
    frameworkErrors: (error, request, reply) => {
      answerError(error, request, reply, reporting);
    },
    // no per-request child logger (an allocation per request); lines that need it carry reqId
    childLoggerFactory: (parent) => parent,
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // while draining, a request that arrives on an open keep-alive connection is still answered
    // (fastify marks it Connection: close) rather than refused with a plain-JSON 503
    return503OnClosing: false,
  });
  const draining = deps.draining;
  if (draining !== undefined) {
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (draining()) void reply.header('connection', 'close');
      done(null, payload);
    });
  }

  registerErrorHandling(app, reporting);
  // JSON only: a text/plain body is a 415, not a string handed to the validator
  app.removeContentTypeParser('text/plain');

  // one debug line per request; the hook costs every request, so it exists only at debug level
  if (deps.logger.isLevelEnabled('debug')) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.debug(
        {
          reqId: request.id,
          method: request.method,
          route: request.routeOptions.url,
          statusCode: reply.statusCode,
          ms: reply.elapsedTime,
        },
        'request',
      );
      done();
    });
  }

  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Adaptive rate limiter',
        version: '1',
        description:
          'Asks whether a client may spend `cost` units now. Errors are RFC 9457 application/problem+json with a stable `code`.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
  });
  void app.register(swaggerUi, { routePrefix: '/docs' });

  void app.register((api, _options, done) => {
    api.setValidatorCompiler(typeBoxValidatorCompiler);
    const adminGuard = createAdminGuard(deps.admin);
    registerAllowRoutes(api, deps);
    registerUsageRoutes(api, deps);
    registerLimitsRoutes(api, { limiter: deps.limiter, adminGuard });
    registerThrottleRoutes(api, { limiter: deps.limiter, adminGuard });
    if (deps.status !== undefined)
      registerStatusRoutes(api, { limiter: deps.limiter, adminGuard, status: deps.status });
    registerHealthRoutes(api, { readiness: deps.readiness });
    registerMetricsRoutes(api, { registry: deps.metrics.registry });
    done();
  });

  return app;
}
