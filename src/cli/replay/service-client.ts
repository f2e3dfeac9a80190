import type { DecisionReason, LimitSpec } from '../../core/types.js';

/** The service answered in a way the replay cannot use. */
export class ServiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceError';
  }
}

const REASONS: readonly DecisionReason[] = ['ok', 'limit_exceeded', 'cost_exceeds_limit', 'no_limit'];

function isReason(v: unknown): v is DecisionReason {
  return typeof v === 'string' && (REASONS as readonly string[]).includes(v);
}

/** The `reason` of a Decision JSON body, or undefined when the body is not a Decision. */
function decisionReason(text: string): DecisionReason | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const reason =
    typeof body === 'object' && body !== null ? (body as { reason?: unknown }).reason : undefined;
  return isReason(reason) ? reason : undefined;
}

/** fetch reports "fetch failed" and hides the useful part (ECONNREFUSED, ...) in `cause`. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

/** The few routes of the rate-limit service (DESIGN §4) that the replay uses. */
export class ServiceClient {
  readonly #origin: URL;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;

  constructor(origin: URL, token: string | undefined, timeoutMs = 10_000) {
    this.#origin = origin;
    this.#token = token;
    this.#timeoutMs = timeoutMs;
  }

  /** GET /healthz; throws ServiceError when the service is not reachable or not healthy. */
  async health(): Promise<void> {
    const response = await this.#fetch('GET', '/healthz');
    await response.body?.cancel();
    if (!response.ok) throw new ServiceError(`GET /healthz answered ${response.status}`);
  }

  /** PUT /v1/limits/:id (admin). */
  async setLimit(clientId: string, spec: LimitSpec): Promise<void> {
    const response = await this.#fetch('PUT', `/v1/limits/${encodeURIComponent(clientId)}`, spec, true);
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new ServiceError(
        `PUT /v1/limits answered ${response.status}: pass --token (or RL_ADMIN_TOKEN), or --service-default`,
      );
    }
    if (!response.ok)
      throw new ServiceError(`PUT /v1/limits answered ${response.status}: ${text.slice(0, 200)}`);
  }

  /** POST /v1/allow; the decision's reason ('ok' when allowed). */
  async allow(clientId: string, cost: number): Promise<DecisionReason> {
    const response = await this.#fetch('POST', '/v1/allow', { clientId, cost });
    const text = await response.text();
    // a denial is a 200 Decision; a 429 carrying a Decision is accepted too
    if (response.status !== 200 && response.status !== 429) {
      throw new ServiceError(`POST /v1/allow answered ${response.status}: ${text.slice(0, 200)}`);
    }
    const reason = decisionReason(text);
    if (reason === undefined)
      throw new ServiceError(`POST /v1/allow: no decision in the response: ${text.slice(0, 200)}`);
    return reason;
  }

  async #fetch(method: string, path: string, body?: unknown, admin = false): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (admin && this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    try {
      return await fetch(new URL(path, this.#origin), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new ServiceError(`${method} ${path}: ${describe(err)}`, { cause: err });
    }
  }
}
