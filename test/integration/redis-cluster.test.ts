/**
 * The Redis counter store on a real 3-primary Redis Cluster: ids with `{`, `}`, `:`, spaces,
 * unicode and 512 bytes work (no CROSSSLOT, every key of a client in one slot), ids that differ
 * only in those characters never share a budget, and the scripts survive SCRIPT FLUSH on every
 * node.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../src/core/types.js';
import { utf8ByteLength } from '../../src/core/validate.js';
import { counterKey, encodeClientId } from '../../src/store/redis/counter-key.js';
import { RedisCounterStore } from '../../src/store/redis/redis-counter-store.js';
import { registerCounterScripts } from '../../src/store/redis/script-registry.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';

const YEAR_MS = 31_536_000_000;
const LIMIT = 3;

/** Ids that differ only in the characters that could break a key or its hash tag. */
const IDS = [
  'user1',
  'user{1}',
  'user}1{',
  '{user1}',
  'user{}1',
  '{',
  '}',
  '{}',
  '}{',
  'user:1',
  'user::1',
  ':user1',
  'user 1',
  ' user1',
  'user1 ',
  'user%7B1%7D',
  'user%1',
  '%',
  '%25',
  'ünïcødé 用户 🚦',
  'ünïcødé 用户 🚥',
  'x'.repeat(512),
  '{'.repeat(512),
  '}'.repeat(512),
  '%'.repeat(512),
  `{${'y'.repeat(510)}}`,
  'é'.repeat(256),
  `${'🚦'.repeat(127)}abcd`,
];

let cluster: RedisCluster;
let store: RedisCounterStore;
let admin: Cluster;
const prefix = `cluster-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  cluster = await startRedisCluster();
  const nodes = cluster.nodes.map((n) => `${n.host}:${n.port}`);
  store = new RedisCounterStore({
    connection: { mode: 'cluster', nodes },
    keyPrefix: prefix,
    deadlineMs: 5000,
  });
  await store.ready();
  admin = new Cluster(cluster.nodes.map((n) => ({ host: n.host, port: n.port })));
});

afterAll(async () => {
  await store.close();
  admin.disconnect();
  await cluster.stop();
});

describe('RedisCounterStore on a Redis Cluster', () => {
  it('the test ids are distinct, legal and up to 512 bytes', () => {
    expect(new Set(IDS).size).toBe(IDS.length);
    for (const id of IDS) expect(utf8ByteLength(id)).toBeLessThanOrEqual(512);
    expect(IDS.filter((id) => utf8ByteLength(id) === 512).length).toBeGreaterThanOrEqual(6);
  });

  it('keeps every key of a client in one slot, and spreads clients over the nodes', async () => {
    const slotsUsed = new Set<number>();
    for (const id of IDS) {
      const slots = await Promise.all(
        ALGORITHMS.map((algorithm) => admin.cluster('KEYSLOT', counterKey(prefix, id, algorithm))),
      );
      // the slot of the hash tag alone: Redis hashed exactly the encoded id
      const tagSlot = await admin.cluster('KEYSLOT', encodeClientId(id));
      expect(new Set(slots), id).toEqual(new Set([tagSlot]));
      slotsUsed.add(tagSlot);
    }
    const ranges = await admin.cluster('SLOTS');
    const owners = new Set(
      [...slotsUsed].map((slot) => ranges.find(([start, end]) => slot >= start && slot <= end)?.[2]?.[1]),
    );
    expect(owners.size).toBe(cluster.nodes.length);
  });

  it('gives every id its own budget, for every algorithm, with no CROSSSLOT', async () => {
    for (const algorithm of ALGORITHMS) {
      for (let round = 1; round <= LIMIT + 1; round++) {
        // every id in flight together, so the calls spread over all three primaries at once
        const outcomes = await Promise.all(
          IDS.map((clientId) =>
            store.consume({ clientId, algorithm, cost: 1, limit: LIMIT, windowMs: YEAR_MS }),
          ),
        );
        outcomes.forEach((outcome, i) => {
          const where = `${algorithm} round ${round} id ${JSON.stringify(IDS[i])}`;
          expect(outcome.allowed, where).toBe(round <= LIMIT);
          expect(outcome.remaining, where).toBe(Math.max(0, LIMIT - round));
        });
      }
    }
  });

  it("resets all of a client's keys in one call, and only that client's", async () => {
    const [target, neighbour] = ['reset{me}', 'reset{me}:'];
    for (const clientId of [target, neighbour]) {
      for (const algorithm of ALGORITHMS) {
        await store.consume({ clientId, algorithm, cost: LIMIT, limit: LIMIT, windowMs: YEAR_MS });
      }
    }
    await store.reset(target);
    for (const algorithm of ALGORITHMS) {
      const request = { algorithm, cost: 1, limit: LIMIT, windowMs: YEAR_MS };
      expect((await store.peek({ ...request, clientId: target })).remaining, algorithm).toBe(LIMIT);
      expect((await store.peek({ ...request, clientId: neighbour })).remaining, algorithm).toBe(0);
    }
  });

  it('decides N items of one client, all five algorithms, in one script call', async () => {
    const scripts = registerCounterScripts(admin);
    const items = ALGORITHMS.flatMap((algorithm) =>
      [1, 1].map((cost) => ({
        key: counterKey(prefix, 'n{items}', algorithm),
        algorithm,
        cost,
        limit: 1,
        windowMs: YEAR_MS,
      })),
    );
    const outcomes = await scripts.allow({ items });
    expect(outcomes.map((o) => (o instanceof Error ? o : o.allowed))).toEqual(
      ALGORITHMS.flatMap(() => [true, false]),
    );
  });

  it('goes on without an error after SCRIPT FLUSH on every node', async () => {
    const request = {
      clientId: 'flush{all}',
      algorithm: 'token-bucket' as const,
      cost: 1,
      limit: 100,
      windowMs: YEAR_MS,
    };
    expect((await store.consume(request)).remaining).toBe(99);
    await Promise.all(admin.nodes('master').map((node) => node.script('FLUSH')));
    const outcomes = await Promise.all(IDS.map((clientId) => store.consume({ ...request, clientId })));
    expect(outcomes.every((o) => o.allowed)).toBe(true);
    expect((await store.consume(request)).remaining).toBe(98);
  });
});
