import { describe, expect, it } from 'vitest';
import {
  cgroupDirectories,
  createCpuSampler,
  parseCfsQuota,
  parseCpuacctUsage,
  parseCpuMax,
  parseCpuStatUsage,
} from '../../../src/observability/cpu-usage.js';

describe('cgroup file parsers', () => {
  it('cpu.max: a quota in CPUs, or none', () => {
    expect(parseCpuMax('150000 100000\n')).toBe(1.5);
    expect(parseCpuMax('max 100000\n')).toBeUndefined();
    expect(parseCpuMax('')).toBeUndefined();
    expect(parseCpuMax('0 100000')).toBeUndefined();
  });

  it('cfs quota: -1 is none', () => {
    expect(parseCfsQuota('50000\n', '100000\n')).toBe(0.5);
    expect(parseCfsQuota('-1\n', '100000\n')).toBeUndefined();
    expect(parseCfsQuota('x', '100000')).toBeUndefined();
  });

  it('usage in seconds: cpu.stat usage_usec, cpuacct.usage nanoseconds', () => {
    expect(parseCpuStatUsage('usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n')).toBe(2.5);
    expect(parseCpuStatUsage('user_usec 1\n')).toBeUndefined();
    expect(parseCpuacctUsage('4615605056551\n')).toBeCloseTo(4615.605056551, 9);
    expect(parseCpuacctUsage('\n')).toBeUndefined();
  });
});

describe('cgroupDirectories', () => {
  it('v2: the named cgroup, then the mount root', () => {
    expect(cgroupDirectories('0::/system.slice/app.service\n')).toEqual({
      v2: ['/sys/fs/cgroup/system.slice/app.service', '/sys/fs/cgroup'],
      v1Cpu: ['/sys/fs/cgroup/cpu'],
      v1Cpuacct: ['/sys/fs/cgroup/cpuacct'],
    });
  });

  it('v1 with cpu,cpuacct co-mounted (a Docker host)', () => {
    expect(cgroupDirectories('12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n')).toEqual({
      v2: ['/sys/fs/cgroup'],
      v1Cpu: ['/sys/fs/cgroup/cpu/docker/abc', '/sys/fs/cgroup/cpu'],
      v1Cpuacct: ['/sys/fs/cgroup/cpuacct/docker/abc', '/sys/fs/cgroup/cpuacct'],
    });
  });

  it('inside a cgroup namespace every path is /', () => {
    expect(cgroupDirectories('2:cpuacct:/\n1:cpu:/\n0::/\n')).toEqual({
      v2: ['/sys/fs/cgroup'],
      v1Cpu: ['/sys/fs/cgroup/cpu'],
      v1Cpuacct: ['/sys/fs/cgroup/cpuacct'],
    });
  });
});

describe('createCpuSampler', () => {
  it('samples a fraction between 0 and 1 on this machine', async () => {
    const sampler = await createCpuSampler();
    expect(['cgroup', 'host']).toContain(sampler.source);
    const busy = await sampler.sample();
    expect(busy).toBeGreaterThanOrEqual(0);
    expect(busy).toBeLessThanOrEqual(1);
  });
});
