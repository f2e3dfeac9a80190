import { parseConfigValue } from '../../core/config-schema.js';
import { DEFAULT_ALGORITHM } from '../../core/types.js';
import { prefixEnd } from '../../store/etcd/keys.js';
import type { InstanceHeartbeat } from '../../store/instance-registry.js';
import { write, type CtlContext } from './ctl-context.js';
import { readDefaults } from './defaults.js';
import { listPrefix } from './list-prefix.js';
import type { StoredLimit } from './stored-limit.js';
import { describeThrottle, readThrottle, throttleJson, type ThrottleView } from './throttle.js';

interface InstanceView {
  readonly id: string;
  /** null when its value is not a valid heartbeat */
  readonly heartbeat: InstanceHeartbeat | null;
}

interface StatusView {
  readonly prefix: string;
  readonly revision: number;
  readonly limits: number;
  readonly clientOverrides: number;
  readonly defaults: StoredLimit | null;
  readonly throttle: ThrottleView;
  readonly instances: readonly InstanceView[];
}

async function count(context: CtlContext, prefix: string): Promise<{ revision: number; count: number }> {
  const start = Buffer.from(prefix);
  return context.client.count(start, prefixEnd(start));
}

async function readInstances(context: CtlContext): Promise<{ revision: number; instances: InstanceView[] }> {
  const { keys } = context;
  const instances: InstanceView[] = [];
  const { revision } = await listPrefix(context.client, keys.instances, (kvs) => {
    for (const kv of kvs) {
      const parsedKey = keys.parse(kv.key.toString());
      if (parsedKey.kind !== 'instance') continue;
      const parsed = parseConfigValue('instance', kv.value.toString(), DEFAULT_ALGORITHM);
      instances.push({ id: parsedKey.instanceId, heartbeat: parsed.ok ? parsed.value : null });
    }
  });
  return { revision, instances };
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, i) => cell.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
}

function describeStatus(view: StatusView): string {
  const lines = [
    `etcd revision ${view.revision}, prefix ${view.prefix}`,
    `keys: ${view.limits} limits, ${view.clientOverrides} client overrides, defaults ${
      view.defaults === null ? 'none' : JSON.stringify(view.defaults)
    }`,
    describeThrottle(view.throttle).trimEnd(),
    `instances: ${view.instances.length} live`,
  ];
  if (view.instances.length > 0) {
    const header = ['ID', 'CPU', 'P99 MS', 'REQ/S', 'STORE ERR', 'VERSION', 'STARTED', 'HEARTBEAT'];
    const rows = view.instances.map(({ id, heartbeat: h }) =>
      h === null
        ? [id, '(invalid heartbeat)']
        : [
            id,
            h.cpu.toFixed(3),
            h.allowP99Ms === null ? '-' : h.allowP99Ms.toFixed(3),
            h.rps.toFixed(1),
            `${(h.storeErrorRate * 100).toFixed(2)}%`,
            h.version,
            h.startedAt,
            h.at,
          ],
    );
    const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((r) => (r[i] ?? '').length)));
    lines.push(`  ${pad(header, widths)}`, ...rows.map((row) => `  ${pad(row, widths)}`));
  }
  return `${lines.join('\n')}\n`;
}

/** `status`: what etcd holds for this deployment, read directly (no service involved). */
export async function showStatus(context: CtlContext): Promise<void> {
  const [limits, overrides, defaults, throttle, instances] = await Promise.all([
    count(context, context.keys.limits),
    count(context, context.keys.overrides),
    readDefaults(context).catch(() => null),
    readThrottle(context),
    readInstances(context),
  ]);
  const view: StatusView = {
    prefix: context.keys.root,
    revision: Math.max(limits.revision, overrides.revision, throttle.revision, instances.revision),
    limits: limits.count,
    clientOverrides: overrides.count,
    defaults: defaults ?? null,
    throttle,
    instances: instances.instances,
  };
  const text = context.options.json
    ? `${JSON.stringify({ ...view, throttle: throttleJson(throttle) })}\n`
    : describeStatus(view);
  await write(context.io.stdout, text);
}
