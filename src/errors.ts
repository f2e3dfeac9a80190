/**
 * The error catalogue. Every error the service reports has a stable `code`, an HTTP status and a
 * class here; the README lists every code (a test checks it). Denials are not errors.
 */

export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: 'Invalid request' },
  UNAUTHORIZED: { status: 401, title: 'Missing or invalid admin token' },
  ADMIN_DISABLED: { status: 403, title: 'Admin routes are disabled' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  STORE_UNAVAILABLE: { status: 503, title: 'Counter store unavailable' },
  CONTROL_PLANE_UNAVAILABLE: { status: 503, title: 'Control plane unavailable; nothing was written' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldProblem {
  /** JSON-pointer-ish path of the offending field, e.g. "/cost" */
  readonly field: string;
  readonly message: string;
}

export abstract class RateLimiterError extends Error {
  abstract readonly code: ErrorCode;
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** Bad input. Nothing was changed. */
export class ValidationError extends RateLimiterError {
  readonly code = 'VALIDATION_FAILED' as const;
  readonly problems: readonly FieldProblem[];
  constructor(problems: readonly FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = 'ValidationError';
    this.problems = problems;
  }
}

export class UnauthorizedError extends RateLimiterError {
  readonly code = 'UNAUTHORIZED' as const;
  constructor(message = 'a valid "Authorization: Bearer <token>" header is required') {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

export class AdminDisabledError extends RateLimiterError {
  readonly code = 'ADMIN_DISABLED' as const;
  constructor(
    message = 'admin routes need RL_ADMIN_TOKEN when the server listens on a non-loopback address',
  ) {
    super(message);
    this.name = 'AdminDisabledError';
  }
}

export class NotFoundError extends RateLimiterError {
  readonly code = 'NOT_FOUND' as const;
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The counter store (Redis) did not answer in time or failed. */
export class StoreUnavailableError extends RateLimiterError {
  readonly code = 'STORE_UNAVAILABLE' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** The config store (etcd) did not accept a write in time. Nothing was written. */
export class ControlPlaneUnavailableError extends RateLimiterError {
  readonly code = 'CONTROL_PLANE_UNAVAILABLE' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ControlPlaneUnavailableError';
  }
}
