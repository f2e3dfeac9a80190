import type { FieldProblem } from '../errors.js';
import type { ClientOverride, ControllerThrottle, ManualThrottle } from '../store/config-store.js';
import type { InstanceHeartbeat } from '../store/instance-registry.js';
import { assertNever } from './assert-never.js';
import type { AlgorithmName, LimitSpec } from './types.js';
import { limitSpecProblems, multiplierProblem } from './validate.js';

/**
 * The JSON values of the control plane (DESIGN §2), one schema shared by the service, the controller
 * and the CLI. Pure: parses and checks, never throws for bad input. Unknown keys are rejected, so a
 * typo (`"multipler"`) is reported instead of silently meaning "no multiplier".
 */

export const CONFIG_VALUE_KINDS = [
  'limit',
  'defaults',
  'controller-throttle',
  'manual-throttle',
  'client-override',
  'instance',
] as const;

export type ConfigValueKind = (typeof CONFIG_VALUE_KINDS)[number];

/** The parsed type of each kind. */
export interface ConfigValueTypes {
  readonly limit: LimitSpec;
  readonly defaults: LimitSpec;
  readonly 'controller-throttle': ControllerThrottle;
  readonly 'manual-throttle': ManualThrottle;
  readonly 'client-override': ClientOverride;
  readonly instance: InstanceHeartbeat;
}

export type SchemaResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly FieldProblem[] };

/** Longest `reason` accepted, in UTF-16 code units. */
export const MAX_REASON_LENGTH = 1024;

// an ISO-8601 date-time with an explicit offset: no local-time ambiguity between hosts
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

type JsonObject = Readonly<Record<string, unknown>>;

function fail<T>(problems: readonly FieldProblem[]): SchemaResult<T> {
  return { ok: false, problems };
}

function isObject(input: unknown): input is JsonObject {
  return typeof input === 'object' && input !== null && !Array.isArray(input);
}

function unknownKeyProblems(input: JsonObject, allowed: readonly string[]): FieldProblem[] {
  return Object.keys(input)
    .filter((key) => !allowed.includes(key))
    .map((key) => ({ field: `/${key}`, message: 'unknown key' }));
}

function reasonProblems(input: JsonObject): FieldProblem[] {
  const reason = input['reason'];
  if (typeof reason !== 'string') return [{ field: '/reason', message: 'must be a string' }];
  if (reason.length === 0 || reason.length > MAX_REASON_LENGTH) {
    return [{ field: '/reason', message: `must be 1 to ${MAX_REASON_LENGTH} characters` }];
  }
  return [];
}

function timeProblems(input: JsonObject, key: string): FieldProblem[] {
  const value = input[key];
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    return [
      {
        field: `/${key}`,
        message: 'must be an ISO-8601 date-time with an offset, e.g. 2030-01-01T00:00:00Z',
      },
    ];
  }
  return [];
}

function multiplierProblems(input: JsonObject): FieldProblem[] {
  const problem = multiplierProblem(input['multiplier']);
  return problem === undefined ? [] : [{ field: '/multiplier', message: problem }];
}

/** `{limit, window, algorithm?}`; a missing algorithm becomes `defaultAlgorithm`. */
export function checkLimitSpec(input: unknown, defaultAlgorithm: AlgorithmName): SchemaResult<LimitSpec> {
  if (!isObject(input)) return fail([{ field: '', message: 'must be a JSON object' }]);
  const problems = [
    ...unknownKeyProblems(input, ['limit', 'window', 'algorithm']),
    ...limitSpecProblems({ limit: input['limit'], window: input['window'], algorithm: input['algorithm'] }),
  ];
  if (problems.length > 0) return fail(problems);
  return {
    ok: true,
    value: Object.freeze({
      limit: input['limit'] as number,
      window: input['window'] as number,
      algorithm: (input['algorithm'] as AlgorithmName | undefined) ?? defaultAlgorithm,
    }),
  };
}

/** `{multiplier, reason, at}`, written (leased) by the controller. */
export function checkControllerThrottle(input: unknown): SchemaResult<ControllerThrottle> {
  if (!isObject(input)) return fail([{ field: '', message: 'must be a JSON object' }]);
  const problems = [
    ...unknownKeyProblems(input, ['multiplier', 'reason', 'at']),
    ...multiplierProblems(input),
    ...reasonProblems(input),
    ...timeProblems(input, 'at'),
  ];
  if (problems.length > 0) return fail(problems);
  return {
    ok: true,
    value: Object.freeze({
      multiplier: input['multiplier'] as number,
      reason: input['reason'] as string,
      at: input['at'] as string,
    }),
  };
}

/** `{multiplier, reason, until?}`, written by an operator. */
export function checkManualThrottle(input: unknown): SchemaResult<ManualThrottle> {
  if (!isObject(input)) return fail([{ field: '', message: 'must be a JSON object' }]);
  const problems = [
    ...unknownKeyProblems(input, ['multiplier', 'reason', 'until']),
    ...multiplierProblems(input),
    ...reasonProblems(input),
    ...(input['until'] === undefined ? [] : timeProblems(input, 'until')),
  ];
  if (problems.length > 0) return fail(problems);
  const base = { multiplier: input['multiplier'] as number, reason: input['reason'] as string };
  const until = input['until'] as string | undefined;
  return { ok: true, value: Object.freeze(until === undefined ? base : { ...base, until }) };
}

/** `{multiplier}` or `{limit, window}` (an absolute limit replacing the client's base one). */
export function checkClientOverride(input: unknown): SchemaResult<ClientOverride> {
  if (!isObject(input)) return fail([{ field: '', message: 'must be a JSON object' }]);
  const hasMultiplier = 'multiplier' in input;
  const hasLimit = 'limit' in input || 'window' in input;
  if (hasMultiplier && hasLimit) {
    return fail([{ field: '', message: 'must have either multiplier, or limit and window, not both' }]);
  }
  if (hasMultiplier) {
    const problems = [...unknownKeyProblems(input, ['multiplier']), ...multiplierProblems(input)];
    if (problems.length > 0) return fail(problems);
    return { ok: true, value: Object.freeze({ multiplier: input['multiplier'] as number }) };
  }
  if (!hasLimit) return fail([{ field: '', message: 'must have multiplier, or limit and window' }]);
  const problems = [
    ...unknownKeyProblems(input, ['limit', 'window']),
    ...limitSpecProblems({ limit: input['limit'], window: input['window'] }),
  ];
  if (problems.length > 0) return fail(problems);
  return {
    ok: true,
    value: Object.freeze({ limit: input['limit'] as number, window: input['window'] as number }),
  };
}

/** Longest `version` accepted in a heartbeat. */
export const MAX_VERSION_LENGTH = 64;

function numberProblems(input: JsonObject, key: string, max: number, nullable = false): FieldProblem[] {
  const value = input[key];
  if (nullable && value === null) return [];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    const range = max === Number.MAX_VALUE ? 'a finite number >= 0' : `a number between 0 and ${max}`;
    return [{ field: `/${key}`, message: `must be ${range}${nullable ? ' or null' : ''}` }];
  }
  return [];
}

/** An instance's heartbeat `{cpu, allowP99Ms, rps, storeErrorRate, startedAt, at, version}`. */
export function checkInstanceHeartbeat(input: unknown): SchemaResult<InstanceHeartbeat> {
  if (!isObject(input)) return fail([{ field: '', message: 'must be a JSON object' }]);
  const version = input['version'];
  const problems = [
    ...unknownKeyProblems(input, [
      'cpu',
      'allowP99Ms',
      'rps',
      'storeErrorRate',
      'startedAt',
      'at',
      'version',
    ]),
    ...numberProblems(input, 'cpu', 1),
    ...numberProblems(input, 'allowP99Ms', Number.MAX_VALUE, true),
    ...numberProblems(input, 'rps', Number.MAX_VALUE),
    ...numberProblems(input, 'storeErrorRate', 1),
    ...timeProblems(input, 'startedAt'),
    ...timeProblems(input, 'at'),
    ...(typeof version === 'string' && version.length >= 1 && version.length <= MAX_VERSION_LENGTH
      ? []
      : [{ field: '/version', message: `must be a string of 1 to ${MAX_VERSION_LENGTH} characters` }]),
  ];
  if (problems.length > 0) return fail(problems);
  return {
    ok: true,
    value: Object.freeze({
      cpu: input['cpu'] as number,
      allowP99Ms: input['allowP99Ms'] as number | null,
      rps: input['rps'] as number,
      storeErrorRate: input['storeErrorRate'] as number,
      startedAt: input['startedAt'] as string,
      at: input['at'] as string,
      version: version as string,
    }),
  };
}

/** Checks an already-decoded value of `kind` (HTTP bodies, CLI input). */
export function checkConfigValue<K extends ConfigValueKind>(
  kind: K,
  input: unknown,
  defaultAlgorithm: AlgorithmName,
): SchemaResult<ConfigValueTypes[K]>;
export function checkConfigValue(
  kind: ConfigValueKind,
  input: unknown,
  defaultAlgorithm: AlgorithmName,
): SchemaResult<ConfigValueTypes[ConfigValueKind]> {
  switch (kind) {
    case 'limit':
    case 'defaults':
      return checkLimitSpec(input, defaultAlgorithm);
    case 'controller-throttle':
      return checkControllerThrottle(input);
    case 'manual-throttle':
      return checkManualThrottle(input);
    case 'client-override':
      return checkClientOverride(input);
    case 'instance':
      return checkInstanceHeartbeat(input);
    default:
      return assertNever(kind);
  }
}

/** Parses the JSON text of a stored value of `kind` (etcd values, JSON-lines import). */
export function parseConfigValue<K extends ConfigValueKind>(
  kind: K,
  text: string,
  defaultAlgorithm: AlgorithmName,
): SchemaResult<ConfigValueTypes[K]> {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    return fail([{ field: '', message: 'must be valid JSON' }]);
  }
  return checkConfigValue(kind, input, defaultAlgorithm);
}

/**
 * The stored JSON text of a value: known keys only, in a fixed order, so equal values are equal
 * strings (idempotent writes, exact export/import round trips).
 */
export function encodeConfigValue<K extends ConfigValueKind>(kind: K, value: ConfigValueTypes[K]): string;
export function encodeConfigValue(kind: ConfigValueKind, value: ConfigValueTypes[ConfigValueKind]): string {
  switch (kind) {
    case 'limit':
    case 'defaults': {
      const spec = value as LimitSpec;
      return JSON.stringify({ limit: spec.limit, window: spec.window, algorithm: spec.algorithm });
    }
    case 'controller-throttle': {
      const throttle = value as ControllerThrottle;
      return JSON.stringify({ multiplier: throttle.multiplier, reason: throttle.reason, at: throttle.at });
    }
    case 'manual-throttle': {
      const throttle = value as ManualThrottle;
      return JSON.stringify({
        multiplier: throttle.multiplier,
        reason: throttle.reason,
        until: throttle.until,
      });
    }
    case 'client-override': {
      const override = value as ClientOverride;
      return 'multiplier' in override
        ? JSON.stringify({ multiplier: override.multiplier })
        : JSON.stringify({ limit: override.limit, window: override.window });
    }
    case 'instance': {
      const heartbeat = value as InstanceHeartbeat;
      return JSON.stringify({
        cpu: heartbeat.cpu,
        allowP99Ms: heartbeat.allowP99Ms,
        rps: heartbeat.rps,
        storeErrorRate: heartbeat.storeErrorRate,
        startedAt: heartbeat.startedAt,
        at: heartbeat.at,
        version: heartbeat.version,
      });
    }
    default:
      return assertNever(kind);
  }
}
