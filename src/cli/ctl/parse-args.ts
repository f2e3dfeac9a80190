import { parseArgs } from 'node:util';
import { DEFAULT_ETCD_PREFIX } from '../../store/etcd/keys.js';
import type { ClientOverride } from '../../store/config-store.js';
import { MAX_WINDOW_SECONDS, multiplierProblem, validateClientId } from '../../core/validate.js';
import { ValidationError } from '../../errors.js';
import { checkStoredLimit, type StoredLimit } from './stored-limit.js';
import { UsageError } from './usage.js';

export type CtlCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'limits-get'; readonly id: string }
  | { readonly kind: 'limits-set'; readonly id: string; readonly limit: StoredLimit }
  | { readonly kind: 'limits-delete'; readonly id: string }
  | { readonly kind: 'limits-export'; readonly file: string | undefined }
  | { readonly kind: 'limits-import'; readonly file: string }
  | { readonly kind: 'throttle-get' }
  | {
      readonly kind: 'throttle-set';
      readonly multiplier: number;
      readonly reason: string;
      readonly ttlSeconds: number | undefined;
    }
  | { readonly kind: 'throttle-clear' }
  | { readonly kind: 'overrides-set'; readonly id: string; readonly override: ClientOverride }
  | { readonly kind: 'overrides-delete'; readonly id: string }
  | { readonly kind: 'defaults-get' }
  | { readonly kind: 'defaults-set'; readonly limit: StoredLimit }
  | { readonly kind: 'defaults-clear' }
  | { readonly kind: 'status' };

export interface CtlOptions {
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly json: boolean;
}

export interface ParsedCtlArgs {
  readonly command: CtlCommand;
  readonly options: CtlOptions;
}

export const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_TIMEOUT_MS = 600_000;
const INTEGER = /^[0-9]+$/;
const DECIMAL = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
/** what each command accepts besides the global options */
const COMMAND_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  'throttle-set': ['ttl'],
  'overrides-set': ['multiplier', 'limit', 'window'],
  'throttle-get': ['json'],
  'defaults-get': ['json'],
  status: ['json'],
};

type Values = Partial<Record<string, string | boolean | undefined>>;

function integer(name: string, text: string | undefined, problems: string[]): number | undefined {
  if (text === undefined) return undefined;
  if (!INTEGER.test(text) || !Number.isSafeInteger(Number(text))) {
    problems.push(`${name} must be a whole number (got ${JSON.stringify(text)})`);
    return undefined;
  }
  return Number(text);
}

function clientId(text: string | undefined, problems: string[]): string {
  if (text === undefined) {
    problems.push('ID is missing');
    return '';
  }
  try {
    return validateClientId(text, 'ID');
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    problems.push(...err.problems.map((p) => `${p.field} ${p.message}`));
    return '';
  }
}

/** LIMIT WINDOW [ALGORITHM], checked with the service's schema. */
function storedLimit(args: readonly string[], problems: string[]): StoredLimit {
  const [limitText, windowText, algorithm, ...extra] = args;
  if (limitText === undefined || windowText === undefined) {
    problems.push('LIMIT and WINDOW are required');
    return { limit: 0, window: 0 };
  }
  if (extra.length > 0) problems.push(`unexpected arguments: ${extra.join(' ')}`);
  const limit = integer('LIMIT', limitText, problems);
  const window = integer('WINDOW', windowText, problems);
  if (limit === undefined || window === undefined) return { limit: 0, window: 0 };
  const checked = checkStoredLimit(
    algorithm === undefined ? { limit, window } : { limit, window, algorithm },
  );
  if (checked.ok) return checked.value;
  problems.push(...checked.problems.map((p) => `${p.field.slice(1).toUpperCase()} ${p.message}`));
  return { limit: 0, window: 0 };
}

function multiplier(text: string, problems: string[]): number {
  const value = DECIMAL.test(text) ? Number(text) : Number.NaN;
  const problem = Number.isNaN(value) ? 'must be a number' : multiplierProblem(value);
  if (problem !== undefined) problems.push(`MULTIPLIER ${problem} (got ${JSON.stringify(text)})`);
  return value;
}

function override(values: Values, problems: string[]): ClientOverride {
  const m = values['multiplier'];
  const limit = values['limit'];
  const window = values['window'];
  if (typeof m === 'string') {
    if (limit !== undefined || window !== undefined)
      problems.push('give either --multiplier, or --limit and --window, not both');
    return { multiplier: multiplier(m, problems) };
  }
  if (typeof limit !== 'string' || typeof window !== 'string') {
    problems.push('give --multiplier M, or --limit L and --window W');
    return { multiplier: 1 };
  }
  const spec = storedLimit([limit, window], problems);
  return { limit: spec.limit, window: spec.window };
}

function noMoreArgs(args: readonly string[], count: number, problems: string[]): void {
  if (args.length > count) problems.push(`unexpected arguments: ${args.slice(count).join(' ')}`);
}

function expectArgs(args: readonly string[], count: number, names: string, problems: string[]): void {
  if (args.length > count) problems.push(`unexpected arguments: ${args.slice(count).join(' ')}`);
  if (args.length < count) problems.push(`${names} ${count - args.length === 1 ? 'is' : 'are'} missing`);
}

function command(words: readonly string[], values: Values, problems: string[]): CtlCommand {
  const [group, action, ...args] = words;
  const name = action === undefined ? (group ?? '') : `${group}-${action}`;
  switch (name) {
    case 'limits-get':
    case 'limits-delete':
    case 'overrides-delete':
      noMoreArgs(args, 1, problems);
      return { kind: name, id: clientId(args[0], problems) };
    case 'limits-set':
      return { kind: name, id: clientId(args[0], problems), limit: storedLimit(args.slice(1), problems) };
    case 'limits-export':
      noMoreArgs(args, 1, problems);
      return { kind: name, file: args[0] };
    case 'limits-import':
      expectArgs(args, 1, 'FILE', problems);
      return { kind: name, file: args[0] ?? '' };
    case 'throttle-get':
    case 'throttle-clear':
    case 'defaults-get':
    case 'defaults-clear':
      expectArgs(args, 0, '', problems);
      return { kind: name };
    case 'throttle-set': {
      expectArgs(args, 2, 'MULTIPLIER and REASON', problems);
      const reason = args[1] ?? '';
      if (args[1] !== undefined && (reason.length === 0 || reason.length > 1024))
        problems.push('REASON must be 1 to 1024 characters');
      const ttl = values['ttl'];
      const ttlSeconds = typeof ttl === 'string' ? integer('--ttl', ttl, problems) : undefined;
      if (ttlSeconds !== undefined && (ttlSeconds < 1 || ttlSeconds > MAX_WINDOW_SECONDS))
        problems.push(`--ttl must be between 1 and ${MAX_WINDOW_SECONDS} seconds`);
      const m = args[0] === undefined ? 1 : multiplier(args[0], problems);
      return { kind: name, multiplier: m, reason, ttlSeconds };
    }
    case 'overrides-set':
      noMoreArgs(args, 1, problems);
      return { kind: name, id: clientId(args[0], problems), override: override(values, problems) };
    case 'defaults-set':
      return { kind: name, limit: storedLimit(args, problems) };
    case 'status':
      return { kind: 'status' };
    default:
      problems.push(
        words.length === 0 ? 'no command given' : `unknown command: ${words.slice(0, 2).join(' ')}`,
      );
      return { kind: 'help' };
  }
}

function endpoints(text: string | undefined, problems: string[]): string[] {
  if (text === undefined || text.trim() === '') {
    problems.push('no etcd endpoints: set ETCD_ENDPOINTS or pass --endpoints http://host:2379');
    return [];
  }
  const list = text.split(',').map((e) => e.trim());
  for (const endpoint of list) {
    let ok = false;
    try {
      const url = new URL(endpoint);
      ok = (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`endpoint ${JSON.stringify(endpoint)} is not an http(s)://host:port URL`);
  }
  return list;
}

/** Parses the command line; throws UsageError listing every problem. */
export function parseCtlArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedCtlArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        endpoints: { type: 'string' },
        prefix: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        ttl: { type: 'string' },
        multiplier: { type: 'string' },
        limit: { type: 'string' },
        window: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError([err instanceof Error ? err.message : String(err)]);
  }
  const { values, positionals } = parsed;
  const defaults: CtlOptions = { endpoints: [], prefix: DEFAULT_ETCD_PREFIX, timeoutMs: 0, json: false };
  if (values.help === true) return { command: { kind: 'help' }, options: defaults };

  const problems: string[] = [];
  const parsedCommand = command(positionals, values, problems);
  const allowed = COMMAND_OPTIONS[parsedCommand.kind] ?? [];
  for (const option of ['ttl', 'multiplier', 'limit', 'window', 'json'] as const) {
    if (values[option] !== undefined && !allowed.includes(option) && parsedCommand.kind !== 'help')
      problems.push(`--${option} does not apply to this command`);
  }
  const prefix = values.prefix ?? env['ETCD_PREFIX'] ?? DEFAULT_ETCD_PREFIX;
  if (!/^\/[!-~]*$/.test(prefix) || prefix.replace(/\/+$/, '') === '')
    problems.push(
      `--prefix must start with "/" and hold printable ASCII only (got ${JSON.stringify(prefix)})`,
    );
  const timeoutMs =
    values.timeout === undefined ? DEFAULT_TIMEOUT_MS : integer('--timeout', values.timeout, problems);
  if (timeoutMs !== undefined && (timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS))
    problems.push(`--timeout must be between 1 and ${MAX_TIMEOUT_MS} ms`);
  const endpointList = endpoints(values.endpoints ?? env['ETCD_ENDPOINTS'], problems);
  if (problems.length > 0) throw new UsageError(problems);
  return {
    command: parsedCommand,
    options: {
      endpoints: endpointList,
      prefix,
      timeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS,
      json: values.json === true,
    },
  };
}
