import { Type, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { ALGORITHMS, type AlgorithmName } from '../core/types.js';
import { MAX_CLIENT_ID_BYTES, MAX_SAFE, MAX_WINDOW_SECONDS } from '../core/validate.js';

/**
 * TypeBox schemas of the HTTP API: request validation (without coercion of bodies, see
 * validator-compiler.ts), response serialisation and the OpenAPI document. The byte-level client
 * id rules live in core/validate.ts, which every handler applies as well.
 */

function literals<T extends string>(values: readonly T[]): TUnion<TLiteral<T>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)));
}

export const AlgorithmSchema = literals<AlgorithmName>(ALGORITHMS);

export const ClientIdSchema = Type.String({
  minLength: 1,
  maxLength: MAX_CLIENT_ID_BYTES,
  description: `1..${MAX_CLIENT_ID_BYTES} bytes of UTF-8, no control characters; any other character is legal`,
});

export const CostSchema = Type.Integer({
  minimum: 1,
  maximum: MAX_SAFE,
  description: 'units to spend (default 1)',
});

export const IdParamsSchema = Type.Object(
  { id: Type.String({ description: 'client id, percent-encoded (a "/" is %2F)' }) },
  { additionalProperties: false },
);

export const AllowBodySchema = Type.Object(
  { clientId: ClientIdSchema, cost: Type.Optional(CostSchema) },
  {
    additionalProperties: false,
  },
);

export const MAX_BATCH = 1000;

export const BatchBodySchema = Type.Object(
  {
    requests: Type.Array(
      Type.Unknown({ description: 'an allow request {clientId, cost?}; checked one by one' }),
      {
        maxItems: MAX_BATCH,
        description: `at most ${MAX_BATCH} allow requests; an invalid one gets an error in its slot and does not fail the others`,
      },
    ),
  },
  { additionalProperties: false },
);

export const CostQuerySchema = Type.Object(
  { cost: Type.Optional(CostSchema) },
  { additionalProperties: false },
);

export const DecisionSchema = Type.Object({
  allowed: Type.Boolean(),
  limit: Type.Integer({ description: 'effective limit (base x multiplier); 0 when reason is no_limit' }),
  remaining: Type.Integer(),
  resetMs: Type.Integer({ description: 'ms until the full limit is available again, rounded up' }),
  retryAfterMs: Type.Integer({
    description: 'ms until the same call would be allowed, when denied for lack of budget',
  }),
  reason: literals(['ok', 'limit_exceeded', 'cost_exceeds_limit', 'no_limit'] as const),
  multiplier: Type.Number(),
  multiplierSource: literals(['client-override', 'manual', 'controller', 'none'] as const),
  degraded: Type.Boolean(),
  algorithm: Type.Union([AlgorithmSchema, Type.Null()]),
  window: Type.Integer({ description: 'window in seconds of the applied limit; 0 when reason is no_limit' }),
});

export const FieldProblemSchema = Type.Object({ field: Type.String(), message: Type.String() });

/** RFC 9457 problem details, with our stable `code`. */
export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String(),
  errors: Type.Optional(Type.Array(FieldProblemSchema)),
});

export const BatchItemErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(FieldProblemSchema)),
  }),
});

export const BatchResponseSchema = Type.Object({
  results: Type.Array(Type.Union([DecisionSchema, BatchItemErrorSchema])),
});

export const LimitBodySchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: MAX_SAFE }),
    window: Type.Integer({ minimum: 1, maximum: MAX_WINDOW_SECONDS, description: 'seconds' }),
    algorithm: Type.Optional(AlgorithmSchema),
  },
  { additionalProperties: false },
);

export const LimitSpecSchema = Type.Object({
  limit: Type.Integer(),
  window: Type.Integer(),
  algorithm: AlgorithmSchema,
});

export const RateLimitInfoSchema = Type.Object({
  limit: Type.Integer({ description: '0 when the client has no limit' }),
  window: Type.Integer({ description: '0 when the client has no limit' }),
  algorithm: Type.Union([AlgorithmSchema, Type.Null()]),
  effectiveLimit: Type.Integer(),
  multiplier: Type.Number(),
  multiplierSource: literals(['client-override', 'manual', 'controller', 'none'] as const),
  source: Type.Union([literals(['client', 'client-override', 'default'] as const), Type.Null()]),
});

export const ManualThrottleSchema = Type.Object({
  multiplier: Type.Number(),
  reason: Type.String(),
  until: Type.Optional(Type.String({ description: 'ISO-8601 end time' })),
});

export const ControllerThrottleSchema = Type.Object({
  multiplier: Type.Number(),
  reason: Type.String(),
  at: Type.String(),
});

export const ThrottleInfoSchema = Type.Object({
  multiplier: Type.Number({ description: 'the global multiplier in force' }),
  source: literals(['manual', 'controller', 'none'] as const),
  manual: Type.Union([ManualThrottleSchema, Type.Null()]),
  controller: Type.Union([ControllerThrottleSchema, Type.Null()]),
});

export const ThrottleBodySchema = Type.Object(
  {
    multiplier: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    reason: Type.String({ minLength: 1, maxLength: 1024 }),
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_WINDOW_SECONDS })),
  },
  { additionalProperties: false },
);

export const HealthSchema = Type.Object({ status: Type.String() });

export const ReadinessSchema = Type.Object({
  status: literals(['ready', 'not-ready'] as const),
  checks: Type.Record(Type.String(), Type.String()),
});

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const InstanceStatusSchema = Type.Object({
  id: Type.String(),
  self: Type.Boolean({ description: 'true for the instance that answered' }),
  cpu: nullable(
    Type.Number({ description: "CPU busy, 0..1: of the cgroup's quota if any, else of the host" }),
  ),
  allowP99Ms: nullable(Type.Number({ description: 'p99 Allow latency over the last second, ms' })),
  rps: nullable(Type.Number({ description: 'decisions per second over the last second' })),
  storeErrorRate: nullable(Type.Number({ description: 'failed counter-store calls / calls, 0..1' })),
  startedAt: nullable(Type.String()),
  at: nullable(Type.String({ description: 'time of the heartbeat' })),
  version: nullable(Type.String()),
});

export const EtcdStatusSchema = Type.Object({
  revision: Type.Integer({ description: 'the etcd revision the mirror reflects' }),
  mirrorSize: Type.Integer({ description: 'client limits in the mirror' }),
  clientOverrides: Type.Integer(),
  relists: Type.Integer({ description: 'times the mirror was rebuilt after its watch was cancelled' }),
  invalidEntries: Type.Record(Type.String(), Type.Integer(), {
    description: 'invalid entries ignored since start, by kind',
  }),
});

export const StatusSchema = Type.Object({
  instanceId: Type.String({ description: 'the instance that answered' }),
  liveInstances: Type.Integer({ minimum: 1 }),
  instances: Type.Array(InstanceStatusSchema, {
    description: 'every live instance, this one first; stats are null while its heartbeat is unreadable',
  }),
  throttle: ThrottleInfoSchema,
  etcd: Type.Union([EtcdStatusSchema, Type.Null()], { description: 'null in embedded mode' }),
  counters: literals(['redis', 'memory'] as const),
});

/** Responses every route may give besides its success (documented in OpenAPI). */
export const PROBLEM_RESPONSES = {
  400: ProblemSchema,
  500: ProblemSchema,
  503: ProblemSchema,
} as const;

export const ADMIN_PROBLEM_RESPONSES = {
  ...PROBLEM_RESPONSES,
  401: ProblemSchema,
  403: ProblemSchema,
} as const;
