import { readFile } from 'node:fs/promises';
import si from 'systeminformation';

/**
 * CPU busy as a fraction, 0..1, measured between one sample and the next.
 *
 * - In a cgroup with a CPU quota (a container with `--cpus`, a Kubernetes CPU limit): the cgroup's
 *   own CPU time over its quota, read from the cgroup files (v2 `cpu.max` + `cpu.stat`, v1
 *   `cpu.cfs_quota_us` + `cpuacct.usage`). This is the pressure that matters there: the host may be
 *   idle while the container is throttled.
 * - Otherwise: the host's load from systeminformation's `currentLoad()`. It is not cgroup-aware: it
 *   sums `os.cpus()` times (all of the host's CPUs, from /proc/stat) since its previous call, and on
 *   Linux also runs `cat /proc/stat | grep cpu` through execSync for steal/guest time, which blocks
 *   the event loop for ~6 ms per call (measured on this machine). Once a second that is ~0.6 % of
 *   the time; the cgroup path reads its files asynchronously and does not block.
 */
export interface CpuSampler {
  readonly source: 'cgroup' | 'host';
  /** CPU busy since the previous sample (or since creation), 0..1 */
  sample(): Promise<number>;
}

/** A cgroup's CPU quota and where to read its usage. */
export interface CgroupCpu {
  /** CPUs the quota allows, e.g. 1.5 for `150000 100000` */
  readonly cpus: number;
  readonly usageFile: string;
  /** usage in seconds from the usage file's text */
  readonly parseUsage: (text: string) => number | undefined;
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** `max 100000` -> undefined (no quota); `150000 100000` -> 1.5. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max' || period === undefined) return undefined;
  const cpus = Number(quota) / Number(period);
  return Number.isFinite(cpus) && cpus > 0 ? cpus : undefined;
}

/** cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us`; a quota of -1 means none. */
export function parseCfsQuota(quotaText: string, periodText: string): number | undefined {
  const quota = Number(quotaText.trim());
  const period = Number(periodText.trim());
  if (!(quota > 0) || !(period > 0)) return undefined;
  return quota / period;
}

/** cgroup v2 `cpu.stat`: its `usage_usec` line, in seconds. */
export function parseCpuStatUsage(text: string): number | undefined {
  const match = /^usage_usec (\d+)$/m.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]) / 1e6;
}

/** cgroup v1 `cpuacct.usage` (nanoseconds), in seconds. */
export function parseCpuacctUsage(text: string): number | undefined {
  const ns = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(ns) ? ns / 1e9 : undefined;
}

/** Where this process's cgroup CPU files may be: the most specific directory first. */
export interface CgroupDirectories {
  /** unified hierarchy directories (cpu.max, cpu.stat) */
  readonly v2: readonly string[];
  /** v1 `cpu` controller directories (cpu.cfs_quota_us, cpu.cfs_period_us) */
  readonly v1Cpu: readonly string[];
  /** v1 `cpuacct` controller directories (cpuacct.usage) */
  readonly v1Cpuacct: readonly string[];
}

function under(root: string, path: string | undefined): string[] {
  // the path as the host names it, then the mount root: inside a container's cgroup namespace the
  // path reads `/` (or is not visible) and the root is the container's own cgroup
  return path === undefined || path === '/' ? [root] : [`${root}${path}`, root];
}

/** The candidate directories, from the text of /proc/self/cgroup (`id:controllers:path` lines). */
export function cgroupDirectories(procSelfCgroup: string): CgroupDirectories {
  let unified: string | undefined;
  const v1 = new Map<string, string>();
  for (const line of procSelfCgroup.split('\n')) {
    const [id, controllers, path] = line.split(':', 3);
    if (path === undefined || controllers === undefined) continue;
    if (id === '0' && controllers === '') unified = path;
    for (const controller of controllers.split(',')) v1.set(controller, path);
  }
  return {
    v2: under(CGROUP_ROOT, unified),
    v1Cpu: under(`${CGROUP_ROOT}/cpu`, v1.get('cpu')),
    v1Cpuacct: under(`${CGROUP_ROOT}/cpuacct`, v1.get('cpuacct')),
  };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** This process's cgroup CPU quota, when it has one whose usage can be read. */
export async function findCgroupCpu(): Promise<CgroupCpu | undefined> {
  const dirs = cgroupDirectories((await readText('/proc/self/cgroup')) ?? '');
  for (const dir of dirs.v2) {
    const max = await readText(`${dir}/cpu.max`);
    const stat = await readText(`${dir}/cpu.stat`);
    if (max === undefined || stat === undefined) continue;
    const cpus = parseCpuMax(max);
    if (cpus !== undefined && parseCpuStatUsage(stat) !== undefined) {
      return { cpus, usageFile: `${dir}/cpu.stat`, parseUsage: parseCpuStatUsage };
    }
  }
  for (const dir of dirs.v1Cpu) {
    const quota = await readText(`${dir}/cpu.cfs_quota_us`);
    const period = await readText(`${dir}/cpu.cfs_period_us`);
    const cpus = quota === undefined || period === undefined ? undefined : parseCfsQuota(quota, period);
    if (cpus === undefined) continue;
    for (const usageDir of dirs.v1Cpuacct) {
      const usage = await readText(`${usageDir}/cpuacct.usage`);
      if (usage !== undefined && parseCpuacctUsage(usage) !== undefined) {
        return { cpus, usageFile: `${usageDir}/cpuacct.usage`, parseUsage: parseCpuacctUsage };
      }
    }
  }
  return undefined;
}

function clampFraction(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

class CgroupCpuSampler implements CpuSampler {
  readonly source = 'cgroup';
  readonly #cgroup: CgroupCpu;
  #lastUsage: number;
  #lastAt: number;

  constructor(cgroup: CgroupCpu, usage: number) {
    this.#cgroup = cgroup;
    this.#lastUsage = usage;
    this.#lastAt = performance.now();
  }

  async sample(): Promise<number> {
    const text = await readText(this.#cgroup.usageFile);
    const usage = text === undefined ? undefined : this.#cgroup.parseUsage(text);
    const at = performance.now();
    if (usage === undefined) return 0;
    const seconds = (at - this.#lastAt) / 1000;
    const busy = seconds > 0 ? (usage - this.#lastUsage) / seconds / this.#cgroup.cpus : 0;
    this.#lastUsage = usage;
    this.#lastAt = at;
    return clampFraction(busy);
  }
}

class HostCpuSampler implements CpuSampler {
  readonly source = 'host';

  async sample(): Promise<number> {
    const load = await si.currentLoad();
    return clampFraction(load.currentLoad / 100);
  }
}

/** The cgroup sampler when this process runs under a CPU quota, else the host sampler. */
export async function createCpuSampler(): Promise<CpuSampler> {
  const cgroup = await findCgroupCpu();
  if (cgroup !== undefined) {
    const text = await readText(cgroup.usageFile);
    const usage = text === undefined ? undefined : cgroup.parseUsage(text);
    if (usage !== undefined) return new CgroupCpuSampler(cgroup, usage);
  }
  const host = new HostCpuSampler();
  // systeminformation's first call measures over a 500 ms pause; later ones since the previous call
  await host.sample();
  return host;
}
