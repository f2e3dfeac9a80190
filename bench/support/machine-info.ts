import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly date: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly os: string;
  readonly memoryGiB: number;
  readonly freeMemoryGiB: number;
  readonly node: string;
  /** null when the run used no Redis */
  readonly redis: string | null;
  /** 1-minute load average when the run started: other work on the machine skews every number */
  readonly loadAverage1m: number;
}

const GIB = 1024 ** 3;

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function machineInfo(redisVersion: string | null): MachineInfo {
  const cores = cpus();
  return {
    date: new Date().toISOString(),
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    os: `${platform()} ${release()}`,
    memoryGiB: round(totalmem() / GIB, 1),
    freeMemoryGiB: round(freemem() / GIB, 1),
    node: process.version,
    redis: redisVersion,
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
  };
}
