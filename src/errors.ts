/**
 * The error catalogue. Every error the service reports has a stable `code`, an HTTP status and a
 * class here; the README lists every code (a test checks it). Denials are not errors.
 */

export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: 'Invalid request' },
  UNAUTHORIZED: { status: 401, title: 'Missing or invalid admin token' },
  ADMIN_DISABLED: { status: 403, title: 'Admin routes are disabled' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
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

/** The request body has a media type the route does not accept (JSON only). */
export class UnsupportedMediaTypeError extends RateLimiterError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE' as const;
  constructor(message = 'the request body must be application/json') {
    super(message);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** The request body is larger than the server accepts. */
export class PayloadTooLargeError extends RateLimiterError {
  readonly code = 'PAYLOAD_TOO_LARGE' as const;
  constructor(message = 'the request body is too large') {
    super(message);
    this.name = 'PayloadTooLargeError';
  }
}

/**
 * Invalid start-up configuration (environment or config file). Not an HTTP error: the process
 * prints the message, which lists every problem, and exits. `field` is the variable name.
 */
export class SettingsError extends Error {
  readonly problems: readonly FieldProblem[];
  constructor(problems: readonly FieldProblem[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.field}: ${p.message}`).join('\n'),
    );
    this.name = 'SettingsError';
    this.problems = problems;
  }
}
