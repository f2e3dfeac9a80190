import { write, type CtlContext } from './ctl-context.js';
import { describeProblems } from './describe-problems.js';
import { encodeLimitLine, encodeStoredLimit, parseStoredLimit, type StoredLimit } from './stored-limit.js';
import { CtlFailure } from './usage.js';

/** `limits get ID`: the stored limit as one JSON line, the export format. */
export async function getLimit(context: CtlContext, id: string): Promise<void> {
  const key = context.keys.limit(id);
  const { value } = await context.client.get(key);
  if (value === undefined) throw new CtlFailure(`no limit for client ${JSON.stringify(id)} (${key})`);
  const parsed = parseStoredLimit(value.toString());
  if (!parsed.ok) {
    throw new CtlFailure(
      `${key} holds an invalid value, ignored by the service: ${describeProblems(parsed.problems)}: ${value.toString()}`,
    );
  }
  await write(context.io.stdout, `${encodeLimitLine(id, parsed.value)}\n`);
}

/** `limits set ID LIMIT WINDOW [ALGORITHM]` */
export async function setLimit(context: CtlContext, id: string, limit: StoredLimit): Promise<void> {
  const key = context.keys.limit(id);
  const value = encodeStoredLimit(limit);
  const revision = await context.client.put(key, value);
  await write(context.io.stdout, `set ${key} = ${value} (revision ${revision})\n`);
}

/** `limits delete ID` */
export async function deleteLimit(context: CtlContext, id: string): Promise<void> {
  const key = context.keys.limit(id);
  const { revision, previous } = await context.client.delete(key);
  if (previous === undefined) throw new CtlFailure(`no limit for client ${JSON.stringify(id)} (${key})`);
  await write(context.io.stdout, `deleted ${key} (was ${previous.toString()}; revision ${revision})\n`);
}
