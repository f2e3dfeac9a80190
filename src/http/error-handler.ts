import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ERROR_CODES,
  NotFoundError,
  PayloadTooLargeError,
  RateLimiterError,
  UnsupportedMediaTypeError,
  ValidationError,
  type ErrorCode,
  type FieldProblem,
} from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { RateLimitedLog } from '../observability/rate-limited-log.js';

/** RFC 9457 problem details plus our stable `code` (and field problems for VALIDATION_FAILED). */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly errors?: readonly FieldProblem[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** A stable, non-resolving URI per code; the codes are documented in the README. */
export function problemType(code: ErrorCode): string {
  return `urn:ratelimiter:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

export function problemFor(error: RateLimiterError): Problem {
  const { status, title } = ERROR_CODES[error.code];
  // a 5xx message may name hosts, ports or internal state: the body gets the title only
  const detail = status >= 500 ? title : error.message;
  const base = { type: problemType(error.code), title, status, detail, code: error.code };
  return error instanceof ValidationError ? { ...base, errors: error.problems } : base;
}

function hasValidation(
  error: unknown,
): error is FastifyError & { validation: { instancePath?: string; message?: string }[] } {
  return (
    typeof error === 'object' &&
    error !== null &&
    Array.isArray((error as { validation?: unknown }).validation)
  );
}

/**
 * Our typed error for anything that reached the error handler, or undefined for an unexpected
 * failure (a bug): that becomes a 500 with nothing of the cause in the body.
 */
export function toRateLimiterError(error: unknown): RateLimiterError | undefined {
  if (error instanceof RateLimiterError) return error;
  if (hasValidation(error)) {
    return new ValidationError(
      error.validation.map((v) => ({ field: v.instancePath ?? '/', message: v.message ?? 'is invalid' })),
    );
  }
  const fastifyError = error as Partial<FastifyError> | null;
  const statusCode = fastifyError?.statusCode;
  switch (fastifyError?.code ?? '') {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaTypeError();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError();
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ValidationError([{ field: '/', message: 'a JSON body is required' }]);
    case 'FST_ERR_NOT_FOUND':
      return new NotFoundError('no such route');
    case 'FST_ERR_BAD_URL':
      return new ValidationError([{ field: 'path', message: 'is not a valid percent-encoded UTF-8 path' }]);
    default:
      if (error instanceof SyntaxError || fastifyError?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        return new ValidationError([{ field: '/', message: 'the body is not valid JSON' }]);
      }
      if (statusCode === 404) return new NotFoundError('no such route');
      if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
        return new ValidationError([{ field: '/', message: 'the request is malformed' }]);
      }
      return undefined;
  }
}

const INTERNAL: Problem = {
  type: problemType('INTERNAL'),
  title: ERROR_CODES.INTERNAL.title,
  status: ERROR_CODES.INTERNAL.status,
  detail: ERROR_CODES.INTERNAL.title,
  code: 'INTERNAL',
};

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 503) void reply.header('retry-after', '1');
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** What answering an error reports to: metrics, and the log of store outages (rate limited). */
export interface ErrorReporting {
  readonly metrics: Metrics;
  /** 503s: a Redis or etcd outage fails every request alike, so one line per code per interval */
  readonly outageLog: RateLimitedLog;
}

/**
 * Answers any error as a problem. Client errors are logged at debug level; an unavailable store
 * (503) at error level, rate limited, with the count of those left out; any other server error
 * (a bug) at error level every time, with the cause. The body never carries the cause.
 */
export function answerError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  reporting: ErrorReporting,
): FastifyReply {
  const typed = toRateLimiterError(error);
  const problem = typed === undefined ? INTERNAL : problemFor(typed);
  reporting.metrics.recordError(problem.code);
  if (problem.status === 503)
    reporting.outageLog.error(problem.code, error, 'request failed: store unavailable', {
      reqId: request.id,
    });
  else if (problem.status >= 500)
    request.log.error({ err: error, code: problem.code, reqId: request.id }, 'request failed');
  else
    request.log.debug({ code: problem.code, status: problem.status, reqId: request.id }, 'request rejected');
  return sendProblem(reply, problem);
}

/** Every error and unknown route becomes application/problem+json. */
export function registerErrorHandling(app: FastifyInstance, reporting: ErrorReporting): void {
  app.setErrorHandler((error, request, reply) => answerError(error, request, reply, reporting));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    return answerError(
      new NotFoundError(`no route for ${request.method} ${path}`),
      request,
      reply,
      reporting,
    );
  });
}
