import { join } from 'node:path';
import { getFreePort } from './free-port.js';
import { runCommand } from './run-command.js';
import { isPortClash, spawnService, type RunningService } from './spawn-service.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

const HOST = '127.0.0.1';
const MEMBER_NAME = 'default';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const HEALTH_TIMEOUT_MS = 1_000;
const ETCDCTL_TIMEOUT_MS = 15_000;
const PORT_ATTEMPTS = 3;

export interface EtcdServer {
  /** Client URLs, e.g. ['http://127.0.0.1:40123']. */
  readonly endpoints: readonly string[];
  /** Client port. */
  readonly port: number;
  /** pid of the current process (changes on restart). */
  readonly pid: number;
  /** Temp dir holding the data dir and the log; removed by stop(). */
  readonly dir: string;
  /** Kills the process by pid (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops the process and starts a new one with the same data dir and ports: data survives. */
  restart(): Promise<void>;
}

interface EtcdPorts {
  readonly client: number;
  readonly peer: number;
}

async function isHealthy(clientUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    if (!response.ok) {
      return false;
    }
    const body: unknown = await response.json();
    return typeof body === 'object' && body !== null && 'health' in body && body.health === 'true';
  } catch {
    return false;
  }
}

function spawnEtcd(dir: string, ports: EtcdPorts): Promise<RunningService> {
  const clientUrl = `http://${HOST}:${ports.client}`;
  const peerUrl = `http://${HOST}:${ports.peer}`;
  return spawnService({
    command: 'etcd',
    args: [
      '--name',
      MEMBER_NAME,
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `${MEMBER_NAME}=${peerUrl}`,
      '--initial-cluster-state',
      'new',
      // A single member has no peers to wait for; short timings make (re)start take ~0.3 s, not ~2 s.
      '--heartbeat-interval',
      '50',
      '--election-timeout',
      '300',
      '--logger',
      'zap',
      '--log-outputs',
      'stderr',
    ],
    logFile: join(dir, 'etcd.log'),
    isReady: () => isHealthy(clientUrl),
    startTimeoutMs: START_TIMEOUT_MS,
    stopTimeoutMs: STOP_TIMEOUT_MS,
  });
}

class SpawnedEtcdServer implements EtcdServer {
  readonly endpoints: readonly string[];
  readonly port: number;
  readonly dir: string;
  readonly #ports: EtcdPorts;
  #service: RunningService;
  #stopped = false;

  constructor(dir: string, ports: EtcdPorts, service: RunningService) {
    this.dir = dir;
    this.#ports = ports;
    this.port = ports.client;
    this.endpoints = [`http://${HOST}:${ports.client}`];
    this.#service = service;
  }

  get pid(): number {
    return this.#service.pid;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#service.stop();
    await removeTempDir(this.dir);
  }

  async restart(): Promise<void> {
    if (this.#stopped) {
      throw new Error(`etcd on port ${this.port} was stopped; it cannot be restarted`);
    }
    await this.#service.stop();
    this.#service = await spawnEtcd(this.dir, this.#ports);
  }
}

/**
 * Spawns a single-member etcd on free loopback client and peer ports with a temp data dir, and
 * resolves once /health reports healthy. Each call is an independent server; stop it in afterAll.
 */
export async function startEtcd(): Promise<EtcdServer> {
  for (let attempt = 1; ; attempt++) {
    const dir = await makeTempDir('rl-etcd-');
    const ports: EtcdPorts = { client: await getFreePort(), peer: await getFreePort() };
    try {
      return new SpawnedEtcdServer(dir, ports, await spawnEtcd(dir, ports));
    } catch (err) {
      await removeTempDir(dir);
      if (attempt >= PORT_ATTEMPTS || !isPortClash(err)) {
        throw err;
      }
    }
  }
}

/** Runs the real `etcdctl` (API v3) against `endpoints` and resolves with its stdout. */
export function etcdctl(endpoints: readonly string[], ...args: string[]): Promise<string> {
  return runCommand('etcdctl', ['--endpoints', endpoints.join(','), ...args], {
    env: { ETCDCTL_API: '3' },
    timeoutMs: ETCDCTL_TIMEOUT_MS,
  });
}
