import { encodeConfigValue, parseConfigValue } from '../../core/config-schema.js';
import { DEFAULT_ALGORITHM } from '../../core/types.js';
import type { ControllerThrottle, ManualThrottle } from '../../store/config-store.js';
import { write, type CtlContext } from './ctl-context.js';
import { describeProblems } from './describe-problems.js';
import { listPrefix } from './list-prefix.js';
import { CtlFailure } from './usage.js';

/** The global multipliers in etcd, as the service resolves them (same shape as GET /v1/throttle). */
export interface ThrottleView {
  readonly multiplier: number;
  readonly source: 'manual' | 'controller' | 'none';
  readonly manual: ManualThrottle | null;
  readonly controller: ControllerThrottle | null;
  /** a timed manual override that has ended (the service ignores it) */
  readonly endedManual: ManualThrottle | null;
  /** values the service ignores as invalid, by key */
  readonly invalid: readonly string[];
  readonly revision: number;
}

/** Reads both global multipliers at one revision and resolves the one in force (manual > controller > 1). */
export async function readThrottle(context: CtlContext): Promise<ThrottleView> {
  const { keys } = context;
  const values = new Map<string, string>();
  const { revision } = await listPrefix(context.client, `${keys.root}/throttle/`, (kvs) => {
    for (const kv of kvs) values.set(kv.key.toString(), kv.value.toString());
  });
  const invalid: string[] = [];
  const read = <K extends 'manual-throttle' | 'controller-throttle'>(kind: K, key: string) => {
    const text = values.get(key);
    if (text === undefined) return null;
    const parsed = parseConfigValue(kind, text, DEFAULT_ALGORITHM);
    if (parsed.ok) return parsed.value;
    invalid.push(`${key}: ${describeProblems(parsed.problems)}`);
    return null;
  };
  const found = read('manual-throttle', keys.manualThrottle);
  const controller = read('controller-throttle', keys.controllerThrottle);
  const ended = found?.until !== undefined && Date.parse(found.until) <= context.io.now();
  const manual = ended ? null : found;
  return {
    multiplier: manual?.multiplier ?? controller?.multiplier ?? 1,
    source: manual !== null ? 'manual' : controller !== null ? 'controller' : 'none',
    manual,
    controller,
    endedManual: ended ? found : null,
    invalid,
    revision,
  };
}

export function describeThrottle(view: ThrottleView): string {
  const sourceText = {
    manual: 'the manual override',
    controller: 'the controller',
    none: 'none: base limits',
  };
  const lines = [`multiplier in force: ${view.multiplier} (${sourceText[view.source]})`];
  const { manual, controller, endedManual } = view;
  lines.push(
    manual === null
      ? `  manual override: ${endedManual === null ? 'none' : `none (one ended at ${endedManual.until ?? ''})`}`
      : `  manual override: ${manual.multiplier}, reason ${JSON.stringify(manual.reason)}, ${manual.until === undefined ? 'until cleared' : `until ${manual.until}`}`,
    controller === null
      ? '  controller:      none'
      : `  controller:      ${controller.multiplier}, reason ${JSON.stringify(controller.reason)}, at ${controller.at}`,
  );
  for (const entry of view.invalid) lines.push(`  invalid (ignored by the service): ${entry}`);
  return `${lines.join('\n')}\n`;
}

export function throttleJson(view: ThrottleView): object {
  return {
    multiplier: view.multiplier,
    source: view.source,
    manual: view.manual,
    controller: view.controller,
  };
}

/** `throttle get` */
export async function getThrottle(context: CtlContext): Promise<void> {
  const view = await readThrottle(context);
  await write(
    context.io.stdout,
    context.options.json ? `${JSON.stringify(throttleJson(view))}\n` : describeThrottle(view),
  );
}

/** `throttle set MULTIPLIER REASON [--ttl SECONDS]`; the end time is this machine's clock + ttl. */
export async function setThrottle(
  context: CtlContext,
  multiplier: number,
  reason: string,
  ttlSeconds: number | undefined,
): Promise<void> {
  const throttle: ManualThrottle =
    ttlSeconds === undefined
      ? { multiplier, reason }
      : { multiplier, reason, until: new Date(context.io.now() + ttlSeconds * 1000).toISOString() };
  const key = context.keys.manualThrottle;
  const value = encodeConfigValue('manual-throttle', throttle);
  const revision = await context.client.put(key, value);
  await write(context.io.stdout, `set ${key} = ${value} (revision ${revision})\n`);
}

/** `throttle clear` */
export async function clearThrottle(context: CtlContext): Promise<void> {
  const key = context.keys.manualThrottle;
  const { revision, previous } = await context.client.delete(key);
  if (previous === undefined) throw new CtlFailure(`there is no manual override (${key})`);
  await write(context.io.stdout, `deleted ${key} (was ${previous.toString()}; revision ${revision})\n`);
}
