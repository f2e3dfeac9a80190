import { join } from 'node:path';
import { getFreeClusterPort, getFreePort } from './free-port.js';
import { answersPing } from './redis-probe.js';
import { isPortClash, spawnService, type RunningService } from './spawn-service.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 3;

export interface RedisServerOptions {
  /** Extra redis-server arguments, appended after the harness's own. */
  readonly args?: readonly string[];
  /** Also reserve port + 10000 (the Redis Cluster bus port). */
  readonly clusterBus?: boolean;
}

export interface RedisServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** pid of the current process (changes on restart). */
  readonly pid: number;
  /** Temp dir used as --dir; removed by stop(). */
  readonly dir: string;
  /** Kills the process by pid (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops the process and starts a new one on the same port and dir. Data is not kept. */
  restart(): Promise<void>;
}

function spawnRedis(dir: string, port: number, extraArgs: readonly string[]): Promise<RunningService> {
  return spawnService({
    command: 'redis-server',
    args: [
      '--port',
      String(port),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      ...extraArgs,
    ],
    logFile: join(dir, 'redis.log'),
    isReady: () => answersPing(HOST, port),
    startTimeoutMs: START_TIMEOUT_MS,
    stopTimeoutMs: STOP_TIMEOUT_MS,
  });
}

class SpawnedRedisServer implements RedisServer {
  readonly host = HOST;
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly #extraArgs: readonly string[];
  #service: RunningService;
  #stopped = false;

  constructor(port: number, dir: string, extraArgs: readonly string[], service: RunningService) {
    this.port = port;
    this.dir = dir;
    this.url = `redis://${HOST}:${port}`;
    this.#extraArgs = extraArgs;
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
      throw new Error(`redis-server on port ${this.port} was stopped; it cannot be restarted`);
    }
    await this.#service.stop();
    this.#service = await spawnRedis(this.dir, this.port, this.#extraArgs);
  }
}

/**
 * Spawns a throwaway redis-server on a free loopback port with its own temp dir and no persistence,
 * and resolves once it answers PING. Each call is an independent server; stop it in afterAll.
 */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const extraArgs = options.args ?? [];
  for (let attempt = 1; ; attempt++) {
    const dir = await makeTempDir('rl-redis-');
    const port = options.clusterBus === true ? await getFreeClusterPort() : await getFreePort();
    try {
      return new SpawnedRedisServer(port, dir, extraArgs, await spawnRedis(dir, port, extraArgs));
    } catch (err) {
      await removeTempDir(dir);
      if (attempt >= PORT_ATTEMPTS || !isPortClash(err)) {
        throw err;
      }
    }
  }
}
