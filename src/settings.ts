import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ALGORITHMS, type AlgorithmName, type LimitSpec } from './core/types.js';
import { MAX_SAFE, MAX_WINDOW_SECONDS } from './core/validate.js';
import { SettingsError, type FieldProblem } from './errors.js';
import { DEFAULT_OVER_LIMIT_CACHE_SIZE } from './limiter/over-limit-cache.js';

export const DEGRADED_MODES = ['local', 'open', 'closed'] as const;
export type DegradedMode = (typeof DEGRADED_MODES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Validated, frozen service configuration. Only main.ts builds one from the real environment. */
export interface Settings {
  readonly port: number;
  readonly host: string;
  /** `redis://` or `rediss://` URL of a single Redis; unset: in-memory counters */
  readonly redisUrl: string | undefined;
  /** `host:port` seeds of a Redis Cluster */
  readonly redisClusterNodes: readonly string[] | undefined;
  /** a Sentinel-managed primary: the sentinels' `host:port` and the primary's name */
  readonly redisSentinel: { readonly sentinels: readonly string[]; readonly name: string } | undefined;
  /** `http(s)://host:port` etcd endpoints; unset: in-memory config */
  readonly etcdEndpoints: readonly string[] | undefined;
  readonly etcdPrefix: string;
  readonly adminToken: string | undefined;
  readonly defaultAlgorithm: AlgorithmName;
  readonly storeDeadlineMs: number;
  readonly degradedMode: DegradedMode;
  readonly logLevel: LogLevel;
  /** limit for clients that have none of their own (RL_DEFAULT_LIMIT + RL_DEFAULT_WINDOW) */
  readonly defaultLimit: LimitSpec | undefined;
  /** most entries of the local over-limit cache; 0 turns it off */
  readonly overLimitCacheSize: number;
  /** the config file that was read, if any */
  readonly configFile: string | undefined;
}

/** Reads a config file as text; injected so tests need no file system. */
export type FileReader = (path: string) => string;

export const CONFIG_FILE_VARIABLE = 'RL_CONFIG_FILE';
export const MIN_ADMIN_TOKEN_LENGTH = 16;
/** an entry holds a client id of up to 512 bytes: 10 million stay within a few GiB */
const MAX_OVER_LIMIT_CACHE_SIZE = 10_000_000;

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function isHost(v: string): boolean {
  return isIP(v) !== 0 || HOSTNAME.test(v);
}

function isHostPort(v: string): boolean {
  const at = v.lastIndexOf(':');
  if (at <= 0) return false;
  const host = v.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = v.slice(at + 1);
  return isHost(host) && /^[0-9]{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

function hasUrlHost(v: string, protocols: readonly string[]): boolean {
  try {
    const url = new URL(v);
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A raw value from the environment (string) or the config file (string, number or string list). */
type Raw = string | number | readonly string[];

interface VariableSpec {
  /** TypeBox schema of the converted value */
  readonly schema: TSchema;
  /** what a valid value looks like, for the error message */
  readonly expected: string;
  readonly kind: 'string' | 'integer' | 'list';
  /** extra rule TypeBox cannot express */
  readonly refine?: (value: never) => boolean;
  /** never echoed back in an error message */
  readonly secret?: boolean;
}

const INTEGER = (minimum: number, maximum: number): TSchema => Type.Integer({ minimum, maximum });
const ONE_OF = (values: readonly string[]): TSchema => Type.Union(values.map((v) => Type.Literal(v)));
const LIST = Type.Array(Type.String({ minLength: 1 }), { minItems: 1 });

/** Every variable the service reads (DESIGN §4), with its rule. */
const VARIABLES = {
  PORT: { schema: INTEGER(0, 65535), expected: 'an integer port between 0 and 65535', kind: 'integer' },
  HOST: {
    schema: Type.String({ minLength: 1 }),
    expected: 'an IP address or a host name',
    kind: 'string',
    refine: isHost,
  },
  REDIS_URL: {
    schema: Type.String({ minLength: 1 }),
    expected: 'a redis://host:port/db or rediss:// URL',
    kind: 'string',
    refine: (v: string) => hasUrlHost(v, ['redis:', 'rediss:']),
  },
  REDIS_CLUSTER_NODES: {
    schema: LIST,
    expected: 'a comma-separated list of host:port',
    kind: 'list',
    refine: (v: readonly string[]) => v.every(isHostPort),
  },
  REDIS_SENTINELS: {
    schema: LIST,
    expected: 'a comma-separated list of host:port (the sentinels)',
    kind: 'list',
    refine: (v: readonly string[]) => v.every(isHostPort),
  },
  REDIS_SENTINEL_NAME: {
    schema: Type.String({ pattern: '^[!-~]{1,128}$' }),
    expected: 'the name the sentinels monitor the primary under (printable ASCII, no spaces)',
    kind: 'string',
  },
  ETCD_ENDPOINTS: {
    schema: LIST,
    expected: 'a comma-separated list of http(s)://host:port URLs',
    kind: 'list',
    refine: (v: readonly string[]) => v.every((e) => hasUrlHost(e, ['http:', 'https:'])),
  },
  ETCD_PREFIX: {
    schema: Type.String({ pattern: '^/[!-~]*[!-.0-~]$', maxLength: 256 }),
    expected: 'a key prefix starting with "/", without a trailing "/", spaces or control characters',
    kind: 'string',
  },
  RL_ADMIN_TOKEN: {
    schema: Type.String({ minLength: MIN_ADMIN_TOKEN_LENGTH, maxLength: 1024, pattern: '^[!-~]+$' }),
    expected: `at least ${MIN_ADMIN_TOKEN_LENGTH} printable ASCII characters without spaces`,
    kind: 'string',
    secret: true,
  },
  RL_DEFAULT_ALGORITHM: {
    schema: ONE_OF(ALGORITHMS),
    expected: `one of ${ALGORITHMS.join(', ')}`,
    kind: 'string',
  },
  RL_STORE_DEADLINE_MS: {
    schema: INTEGER(1, 60_000),
    expected: 'an integer number of milliseconds between 1 and 60000',
    kind: 'integer',
  },
  RL_DEGRADED_MODE: {
    schema: ONE_OF(DEGRADED_MODES),
    expected: `one of ${DEGRADED_MODES.join(', ')}`,
    kind: 'string',
  },
  LOG_LEVEL: { schema: ONE_OF(LOG_LEVELS), expected: `one of ${LOG_LEVELS.join(', ')}`, kind: 'string' },
  RL_DEFAULT_LIMIT: {
    schema: INTEGER(1, MAX_SAFE),
    expected: `an integer between 1 and ${MAX_SAFE}`,
    kind: 'integer',
  },
  RL_DEFAULT_WINDOW: {
    schema: INTEGER(1, MAX_WINDOW_SECONDS),
    expected: `an integer number of seconds between 1 and ${MAX_WINDOW_SECONDS}`,
    kind: 'integer',
  },
  RL_OVER_LIMIT_CACHE_SIZE: {
    schema: INTEGER(0, MAX_OVER_LIMIT_CACHE_SIZE),
    expected: `an integer number of entries between 0 (off) and ${MAX_OVER_LIMIT_CACHE_SIZE}`,
    kind: 'integer',
  },
} as const satisfies Record<string, VariableSpec>;

type VariableName = keyof typeof VARIABLES;
/** Every environment variable the service reads (the README's configuration table lists each). */
export const VARIABLE_NAMES = Object.keys(VARIABLES) as VariableName[];

function isVariableName(name: string): name is VariableName {
  return Object.hasOwn(VARIABLES, name);
}

/** The config file: a JSON object with (a subset of) the same keys as the environment. */
const ConfigFileSchema = Type.Object(
  Object.fromEntries(
    VARIABLE_NAMES.map((name) => [
      name,
      Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Array(Type.String())])),
    ]),
  ),
  { additionalProperties: false },
);

/** Strict conversion: no "8080abc", no "1e3", no "1.0" for integers. */
function convert(raw: Raw, kind: VariableSpec['kind']): unknown {
  switch (kind) {
    case 'string':
      return typeof raw === 'string' ? raw.trim() : raw;
    case 'integer':
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'string' && /^[0-9]+$/.test(raw.trim())) return Number(raw.trim());
      return raw;
    case 'list':
      if (typeof raw === 'string') return raw.split(',').map((s) => s.trim());
      return raw;
  }
}

function isUnset(raw: Raw | undefined): raw is undefined {
  return raw === undefined || (typeof raw === 'string' && raw.trim() === '');
}

function shown(raw: Raw, spec: VariableSpec): string {
  return spec.secret === true ? '' : ` (got ${JSON.stringify(raw)})`;
}

function readConfigFile(
  path: string,
  fileReader: FileReader,
  problems: FieldProblem[],
): Partial<Record<VariableName, Raw>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fileReader(path));
  } catch (err) {
    const why = err instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
    problems.push({ field: CONFIG_FILE_VARIABLE, message: `${JSON.stringify(path)} ${why}` });
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push({
      field: CONFIG_FILE_VARIABLE,
      message: `${JSON.stringify(path)} must hold a JSON object`,
    });
    return {};
  }
  const badKeys = new Set([...Value.Errors(ConfigFileSchema, parsed)].map((e) => e.path.split('/')[1]));
  const result: Partial<Record<VariableName, Raw>> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, Raw>)) {
    if (!isVariableName(key)) {
      problems.push({
        field: CONFIG_FILE_VARIABLE,
        message: `unknown key ${JSON.stringify(key)} in ${path}`,
      });
    } else if (badKeys.has(key)) {
      problems.push({ field: key, message: `in ${path}: must be a string, a number or a list of strings` });
    } else {
      result[key] = value;
    }
  }
  return result;
}

const defaultFileReader: FileReader = (path) => readFileSync(path, 'utf8');

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Environment (+ optional JSON config file named by RL_CONFIG_FILE; the environment wins) ->
 * validated, deeply frozen Settings. Empty values count as unset. Unknown `RL_*` variables and
 * unknown file keys are rejected. Throws one SettingsError listing every problem.
 */
export function loadSettings(
  env: Readonly<Record<string, string | undefined>>,
  fileReader: FileReader = defaultFileReader,
): Settings {
  const problems: FieldProblem[] = [];

  for (const name of Object.keys(env)) {
    if (name.startsWith('RL_') && name !== CONFIG_FILE_VARIABLE && !isVariableName(name)) {
      problems.push({ field: name, message: 'unknown variable (a typo?)' });
    }
  }

  const configFile = isUnset(env[CONFIG_FILE_VARIABLE]) ? undefined : env[CONFIG_FILE_VARIABLE].trim();
  const fromFile = configFile === undefined ? {} : readConfigFile(configFile, fileReader, problems);

  const values: Partial<Record<VariableName, unknown>> = {};
  for (const name of VARIABLE_NAMES) {
    const spec: VariableSpec = VARIABLES[name];
    const envRaw = env[name];
    const raw: Raw | undefined = isUnset(envRaw) ? fromFile[name] : envRaw;
    if (isUnset(raw)) continue;
    const value = convert(raw, spec.kind);
    const refine = spec.refine as ((v: unknown) => boolean) | undefined;
    if (!Value.Check(spec.schema, value) || (refine !== undefined && !refine(value))) {
      problems.push({ field: name, message: `must be ${spec.expected}${shown(raw, spec)}` });
      continue;
    }
    values[name] = value;
  }

  const redisModes = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter(
    (name) => values[name] !== undefined,
  );
  if (redisModes.length > 1) {
    problems.push({
      field: redisModes[1] ?? 'REDIS_URL',
      message: 'set one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS, not several',
    });
  }
  if ((values.REDIS_SENTINELS === undefined) !== (values.REDIS_SENTINEL_NAME === undefined)) {
    problems.push({
      field: values.REDIS_SENTINELS === undefined ? 'REDIS_SENTINELS' : 'REDIS_SENTINEL_NAME',
      message: 'REDIS_SENTINELS and REDIS_SENTINEL_NAME must be set together',
    });
  }
  const hasLimit = !isUnset(env.RL_DEFAULT_LIMIT) || !isUnset(fromFile.RL_DEFAULT_LIMIT);
  const hasWindow = !isUnset(env.RL_DEFAULT_WINDOW) || !isUnset(fromFile.RL_DEFAULT_WINDOW);
  if (hasLimit !== hasWindow) {
    problems.push({
      field: hasLimit ? 'RL_DEFAULT_WINDOW' : 'RL_DEFAULT_LIMIT',
      message: 'RL_DEFAULT_LIMIT and RL_DEFAULT_WINDOW must be set together',
    });
  }

  if (problems.length > 0) throw new SettingsError(problems);

  const defaultAlgorithm = (values.RL_DEFAULT_ALGORITHM as AlgorithmName | undefined) ?? 'sliding-window';
  const defaultLimit =
    values.RL_DEFAULT_LIMIT === undefined || values.RL_DEFAULT_WINDOW === undefined
      ? undefined
      : {
          limit: values.RL_DEFAULT_LIMIT as number,
          window: values.RL_DEFAULT_WINDOW as number,
          algorithm: defaultAlgorithm,
        };

  return deepFreeze<Settings>({
    port: (values.PORT as number | undefined) ?? 8080,
    host: (values.HOST as string | undefined) ?? '127.0.0.1',
    redisUrl: values.REDIS_URL as string | undefined,
    redisClusterNodes: values.REDIS_CLUSTER_NODES as string[] | undefined,
    redisSentinel:
      values.REDIS_SENTINELS === undefined || values.REDIS_SENTINEL_NAME === undefined
        ? undefined
        : { sentinels: values.REDIS_SENTINELS as string[], name: values.REDIS_SENTINEL_NAME as string },
    etcdEndpoints: values.ETCD_ENDPOINTS as string[] | undefined,
    etcdPrefix: (values.ETCD_PREFIX as string | undefined) ?? '/ratelimiter',
    adminToken: values.RL_ADMIN_TOKEN as string | undefined,
    defaultAlgorithm,
    storeDeadlineMs: (values.RL_STORE_DEADLINE_MS as number | undefined) ?? 50,
    degradedMode: (values.RL_DEGRADED_MODE as DegradedMode | undefined) ?? 'local',
    logLevel: (values.LOG_LEVEL as LogLevel | undefined) ?? 'info',
    defaultLimit,
    overLimitCacheSize:
      (values.RL_OVER_LIMIT_CACHE_SIZE as number | undefined) ?? DEFAULT_OVER_LIMIT_CACHE_SIZE,
    configFile,
  });
}

/** A copy safe to log: the admin token is replaced by whether it is set. */
export function describeSettings(settings: Settings): Record<string, unknown> {
  const { adminToken, ...rest } = settings;
  return { ...rest, adminTokenSet: adminToken !== undefined };
}
