import { setTimeout as sleep } from 'node:timers/promises';
import { withRedisConnection } from './redis-probe.js';
import { runCommand } from './run-command.js';
import { startRedis, type RedisServer } from './redis-server.js';

const PRIMARIES = 3;
const SLOT_COUNT = 16_384;
const READY_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 50;
const CREATE_TIMEOUT_MS = 30_000;

export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
}

export interface RedisCluster {
  /** The primaries, in start order. */
  readonly nodes: readonly RedisClusterNode[];
  /** Kills every node by pid and removes their temp dirs. Idempotent. */
  stop(): Promise<void>;
}

const CLUSTER_ARGS = [
  '--cluster-enabled',
  'yes',
  '--cluster-config-file',
  'nodes.conf',
  '--cluster-node-timeout',
  '2000',
] as const;

function parseInfo(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      fields.set(line.slice(0, colon), line.slice(colon + 1));
    }
  }
  return fields;
}

/** Why `server` is not yet a healthy member of a PRIMARIES-node cluster, or null when it is. */
async function notReadyReason(server: RedisServer): Promise<string | null> {
  let info: string;
  try {
    info = await withRedisConnection(server.host, server.port, (client) => client.cluster('INFO'));
  } catch (err) {
    return `${server.port}: CLUSTER INFO failed: ${String(err)}`;
  }
  const fields = parseInfo(info);
  const state = fields.get('cluster_state');
  const assigned = fields.get('cluster_slots_assigned');
  const known = fields.get('cluster_known_nodes');
  if (state === 'ok' && assigned === String(SLOT_COUNT) && known === String(PRIMARIES)) {
    return null;
  }
  return `${server.port}: cluster_state=${String(state)} slots_assigned=${String(assigned)} known_nodes=${String(known)}`;
}

async function createCluster(servers: readonly RedisServer[]): Promise<void> {
  const addresses = servers.map((s) => `${s.host}:${s.port}`);
  await runCommand(
    'redis-cli',
    ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
    {
      timeoutMs: CREATE_TIMEOUT_MS,
    },
  );
}

async function waitUntilReady(servers: readonly RedisServer[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const reasons = (await Promise.all(servers.map(notReadyReason))).filter((r) => r !== null);
    if (reasons.length === 0) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`Redis Cluster not ready within ${READY_TIMEOUT_MS} ms:\n${reasons.join('\n')}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/**
 * Starts three cluster-enabled redis-server primaries (each in its own temp dir, bus port = port +
 * 10000), joins them with `redis-cli --cluster create`, and resolves once every node reports
 * cluster_state:ok with all 16384 slots assigned.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const started = await Promise.allSettled(
    Array.from({ length: PRIMARIES }, () => startRedis({ clusterBus: true, args: CLUSTER_ARGS })),
  );
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    const failed = started.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      throw failed.reason;
    }
    await createCluster(servers);
    await waitUntilReady(servers);
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    nodes: servers.map((s) => ({ host: s.host, port: s.port, pid: s.pid })),
    stop: stopAll,
  };
}
