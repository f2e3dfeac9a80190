import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneUnavailableError } from '../../src/errors.js';
import { EtcdClient } from '../../src/store/etcd/etcd-client.js';
import { etcdctl, startEtcd, type EtcdServer } from '../support/etcd.js';
import { getFreePort } from '../support/free-port.js';

let etcd: EtcdServer;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  etcd = await startEtcd();
});

afterAll(async () => {
  await etcd.stop();
});

function ctl(...args: string[]): Promise<string> {
  return etcdctl(etcd.endpoints, ...args);
}

/** Live lease ids as decimal strings (etcdctl prints them in hex; its JSON loses their precision). */
async function leaseIds(): Promise<string[]> {
  const lines = (await ctl('lease', 'list')).trim().split('\n').slice(1);
  return lines.map((hex) => BigInt(`0x${hex}`).toString());
}

describe('EtcdClient', () => {
  it('close() revokes its leases and resigns its campaigns, so their keys go at once, not after the TTL', async () => {
    const prefix = `/rl-client-${randomUUID()}`;
    const client = new EtcdClient({ endpoints: etcd.endpoints, logger: silent });
    const kept = await client.grantLease(60, true);
    await client.put(`${prefix}/heartbeat`, '{"cpu":0.1}', kept.id);
    const campaign = client.campaign(`${prefix}/controller/`, 'leader', 'instance-1', 60);
    await campaign.wait();
    const electionKeys = await ctl('get', '--prefix', `${prefix}/controller/election/leader/`, '--keys-only');
    expect(electionKeys).toMatch(new RegExp(`^${prefix}/controller/election/leader/[0-9a-f]+\\n`));
    expect(await leaseIds()).toHaveLength(2);
    expect(await leaseIds()).toContain(kept.id);

    await client.close();

    expect(await ctl('get', '--prefix', `${prefix}/`)).toBe('');
    expect(await leaseIds()).toEqual([]);
    await expect(client.put(`${prefix}/after`, 'x')).rejects.toBeInstanceOf(ControlPlaneUnavailableError);
  });

  it('a lease revoked by its holder takes its keys with it', async () => {
    const prefix = `/rl-client-${randomUUID()}`;
    const client = new EtcdClient({ endpoints: etcd.endpoints, logger: silent });
    try {
      const lease = await client.grantLease(60, false);
      await client.put(`${prefix}/k`, 'v', lease.id);
      expect(await ctl('get', '--print-value-only', `${prefix}/k`)).toBe('v\n');
      await lease.revoke();
      expect(await ctl('get', `${prefix}/k`)).toBe('');
    } finally {
      await client.close();
    }
  });

  it('delete reports the previous value, and nothing when the key was absent', async () => {
    const prefix = `/rl-client-${randomUUID()}`;
    const client = new EtcdClient({ endpoints: etcd.endpoints, logger: silent });
    try {
      const written = await client.put(`${prefix}/k`, 'v1');
      const deleted = await client.delete(`${prefix}/k`);
      expect(deleted.previous?.toString()).toBe('v1');
      expect(deleted.revision).toBe(written + 1);
      const again = await client.delete(`${prefix}/k`);
      expect(again).toEqual({ revision: written + 1, previous: undefined });
    } finally {
      await client.close();
    }
  });

  it('a write to an endpoint where nothing listens rejects with ControlPlaneUnavailableError', async () => {
    const endpoint = `http://127.0.0.1:${await getFreePort()}`;
    const client = new EtcdClient({ endpoints: [endpoint], logger: silent, writeDeadlineMs: 300 });
    try {
      const failure = client.put('/rl-client-nowhere/k', 'v');
      await expect(failure).rejects.toBeInstanceOf(ControlPlaneUnavailableError);
      await expect(failure).rejects.toThrow(/did not confirm "put \/rl-client-nowhere\/k" within 300 ms/);
    } finally {
      await client.close();
    }
  });
});
