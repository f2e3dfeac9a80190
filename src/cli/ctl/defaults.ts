import { write, type CtlContext } from './ctl-context.js';
import { describeProblems } from './describe-problems.js';
import { encodeStoredLimit, parseStoredLimit, type StoredLimit } from './stored-limit.js';
import { CtlFailure } from './usage.js';

/** The stored defaults; undefined when none are set. */
export async function readDefaults(context: CtlContext): Promise<StoredLimit | undefined> {
  const key = context.keys.defaults;
  const { value } = await context.client.get(key);
  if (value === undefined) return undefined;
  const parsed = parseStoredLimit(value.toString());
  if (!parsed.ok) {
    throw new CtlFailure(
      `${key} holds an invalid value, ignored by the service: ${describeProblems(parsed.problems)}: ${value.toString()}`,
    );
  }
  return parsed.value;
}

/** `defaults get` */
export async function getDefaults(context: CtlContext): Promise<void> {
  const defaults = await readDefaults(context);
  if (defaults === undefined) throw new CtlFailure(`no defaults are set (${context.keys.defaults})`);
  const text = encodeStoredLimit(defaults);
  await write(context.io.stdout, context.options.json ? `${text}\n` : `defaults: ${text}\n`);
}

/** `defaults set LIMIT WINDOW [ALGORITHM]` */
export async function setDefaults(context: CtlContext, limit: StoredLimit): Promise<void> {
  const key = context.keys.defaults;
  const value = encodeStoredLimit(limit);
  const revision = await context.client.put(key, value);
  await write(context.io.stdout, `set ${key} = ${value} (revision ${revision})\n`);
}

/** `defaults clear` */
export async function clearDefaults(context: CtlContext): Promise<void> {
  const key = context.keys.defaults;
  const { revision, previous } = await context.client.delete(key);
  if (previous === undefined) throw new CtlFailure(`no defaults are set (${key})`);
  await write(context.io.stdout, `deleted ${key} (was ${previous.toString()}; revision ${revision})\n`);
}
