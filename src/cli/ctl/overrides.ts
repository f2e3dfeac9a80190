import { encodeConfigValue } from '../../core/config-schema.js';
import type { ClientOverride } from '../../store/config-store.js';
import { write, type CtlContext } from './ctl-context.js';
import { CtlFailure } from './usage.js';

/** `overrides set ID --multiplier M | --limit L --window W` */
export async function setOverride(context: CtlContext, id: string, override: ClientOverride): Promise<void> {
  const key = context.keys.override(id);
  const value = encodeConfigValue('client-override', override);
  const revision = await context.client.put(key, value);
  await write(context.io.stdout, `set ${key} = ${value} (revision ${revision})\n`);
}

/** `overrides delete ID` */
export async function deleteOverride(context: CtlContext, id: string): Promise<void> {
  const key = context.keys.override(id);
  const { revision, previous } = await context.client.delete(key);
  if (previous === undefined) throw new CtlFailure(`no override for client ${JSON.stringify(id)} (${key})`);
  await write(context.io.stdout, `deleted ${key} (was ${previous.toString()}; revision ${revision})\n`);
}
