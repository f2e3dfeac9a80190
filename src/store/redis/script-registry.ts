/**
 * The counter scripts: lib/*.lua prepended to each entry (lua/allow.lua, lua/peek.lua), registered
 * on an ioredis client with `defineCommand`. ioredis sends EVAL the first time a script goes out on
 * a connection and EVALSHA afterwards, and answers NOSCRIPT (SCRIPT FLUSH, a restarted or failed-
 * over server) by sending EVAL again, per connection, on single nodes and Cluster nodes alike.
 */
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import type { AlgorithmName, Outcome } from '../../core/types.js';
import { ValidationError } from '../../errors.js';
import { ALGORITHM_CODES } from './counter-key.js';

const LUA_DIR = new URL('./lua/', import.meta.url);

/** Order matters: each file uses the locals of the ones before it. */
const LIBRARY = [
  'int-math',
  'outcomes',
  'fixed-window',
  'sliding-window',
  'sliding-log',
  'token-bucket',
  'leaky-bucket',
  'call',
] as const;

export type ScriptEntry = 'allow' | 'peek';

const COMMAND_NAMES: Readonly<Record<ScriptEntry, string>> = { allow: 'rlAllowV1', peek: 'rlPeekV1' };

/** Longest window the scripts accept (DESIGN §3: one year), in ms. */
export const MAX_WINDOW_MS = 31_536_000_000;

function readLua(name: string): string {
  return readFileSync(new URL(`${name}.lua`, LUA_DIR), 'utf8');
}

/** The full source of an entry script, as sent to Redis. */
export function scriptSource(entry: ScriptEntry): string {
  return [...LIBRARY.map((name) => readLua(`lib/${name}`)), readLua(entry)].join('\n');
}

/** One decision of a script call. All items of one call must share a Cluster slot. */
export interface ScriptItem {
  readonly key: string;
  readonly algorithm: AlgorithmName;
  readonly cost: number;
  readonly limit: number;
  readonly windowMs: number;
}

export interface ScriptCall {
  /** explicit time in ms; absent: the Redis server's clock */
  readonly now?: number | undefined;
  /** decided in this order, each seeing the writes of the ones before */
  readonly items: readonly ScriptItem[];
}

/**
 * What a call answers for one item: its outcome, or, where the item's key holds something that is
 * not counter state (another program's value), an Error naming the key: that item was not decided
 * and the key was left untouched, while the call's other items were decided as usual.
 */
export type ItemResult = Outcome | Error;

/** Typed access to the counter scripts on one client. */
export interface CounterScripts {
  /** decide every item and consume the budget of each one allowed; one result per item, in order */
  allow(call: ScriptCall): Promise<ItemResult[]>;
  /** what every item would get; consumes nothing */
  peek(call: ScriptCall): Promise<ItemResult[]>;
}

type ScriptArg = string | number;
type ScriptCommand = (...args: ScriptArg[]) => Promise<unknown>;

const REASONS = ['ok', 'limit_exceeded', 'cost_exceeds_limit'] as const;
/** the reply's reason code of an item whose key holds foreign data (lib/call.lua) */
const FOREIGN_STATE_CODE = 3;

function checkInteger(field: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError([{ field, message: `must be an integer between ${min} and ${max}` }]);
  }
}

/** Throws ValidationError when `now` is not a time the scripts accept (absent: the server's clock). */
export function checkCallTime(now: number | undefined): void {
  if (now !== undefined) checkInteger('/now', now, 0, Number.MAX_SAFE_INTEGER);
}

/** Throws ValidationError when an item holds a value the scripts would refuse (RL_ARGS). */
export function checkScriptItem(item: ScriptItem): void {
  checkInteger('/cost', item.cost, 1, Number.MAX_SAFE_INTEGER);
  checkInteger('/limit', item.limit, 1, Number.MAX_SAFE_INTEGER);
  checkInteger('/windowMs', item.windowMs, 1, MAX_WINDOW_MS);
}

/** `numKeys, KEYS..., ARGV...` as the entry headers describe them. */
function encodeCall(call: ScriptCall): ScriptArg[] {
  if (call.items.length === 0) throw new ValidationError([{ field: '/items', message: 'must not be empty' }]);
  checkCallTime(call.now);
  const keys: string[] = [];
  const args: ScriptArg[] = [call.now === undefined ? '' : String(call.now)];
  for (const item of call.items) {
    checkScriptItem(item);
    keys.push(item.key);
    // String() of a safe integer is its exact decimal form
    args.push(ALGORITHM_CODES[item.algorithm], String(item.cost), String(item.limit), String(item.windowMs));
  }
  return [keys.length, ...keys, ...args];
}

/** 5 integers per item: allowed (1/0), remaining, resetMs, retryAfterMs, reason code. */
function decodeReply(reply: unknown, items: readonly ScriptItem[]): ItemResult[] {
  const count = items.length;
  if (!Array.isArray(reply) || reply.length !== 5 * count) {
    throw new Error(`counter script replied ${JSON.stringify(reply)}, expected ${5 * count} integers`);
  }
  const values = reply.map((v: unknown) => {
    if (typeof v !== 'number')
      throw new Error(`counter script replied a non-integer: ${JSON.stringify(reply)}`);
    return v;
  });
  const outcomes: ItemResult[] = [];
  for (let i = 0; i < values.length; i += 5) {
    if (values[i + 4] === FOREIGN_STATE_CODE) {
      outcomes.push(new Error(`RL_STATE ${items[i / 5]?.key ?? '?'} does not hold counter state`));
      continue;
    }
    const reason = REASONS[values[i + 4] ?? -1];
    if (reason === undefined)
      throw new Error(`counter script replied an unknown reason: ${JSON.stringify(reply)}`);
    outcomes.push({
      allowed: values[i] === 1,
      remaining: values[i + 1] ?? 0,
      resetMs: values[i + 2] ?? 0,
      retryAfterMs: values[i + 3] ?? 0,
      reason,
    });
  }
  return outcomes;
}

function defineScript(client: Redis | Cluster, entry: ScriptEntry): ScriptCommand {
  const name = COMMAND_NAMES[entry];
  // no numberOfKeys: the first argument says how many keys follow (N items per call)
  client.defineCommand(name, { lua: scriptSource(entry) });
  const command: unknown = Reflect.get(client, name);
  if (typeof command !== 'function') throw new Error(`ioredis did not define the ${name} command`);
  return (...args) => (command as ScriptCommand).apply(client, args);
}

/** Registers both entry scripts on `client` (once per client) and returns typed callers. */
export function registerCounterScripts(client: Redis | Cluster): CounterScripts {
  const allow = defineScript(client, 'allow');
  const peek = defineScript(client, 'peek');
  return {
    allow: async (call) => decodeReply(await allow(...encodeCall(call)), call.items),
    peek: async (call) => decodeReply(await peek(...encodeCall(call)), call.items),
  };
}
