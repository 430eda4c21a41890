/**
 * Redis Cluster: the whole conformance suite against a private three-master cluster, and the hash tags
 * that keep each session's keys in one slot.
 */
import { makeState } from '@channelcoder/storage-conformance';
import { describeSessionStorage } from '@channelcoder/storage-conformance/vitest';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterStorage } from '../examples/cluster.js';
import { RedisSessionStorage } from '../src/index.js';
import { indexKeys, sessionKeys } from '../src/keys.js';
import { backdoor, literalGlob, uniquePrefix } from './support/fixtures.js';
import { type PrivateCluster, startPrivateCluster } from './support/redis-cluster.js';

let cluster: PrivateCluster;
let client: Cluster;

beforeAll(async () => {
  cluster = await startPrivateCluster();
  client = new Cluster(
    cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
    { redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 2000 } },
  );
  client.on('error', () => {});
}, 60_000);

afterAll(async () => {
  await client?.quit();
  await cluster?.destroy();
});

/** Deletes the prefix's keys on every master (SCAN sees one node at a time). */
async function deletePrefix(prefix: string): Promise<void> {
  for (const node of client.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${literalGlob(prefix)}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) await node.unlink(key);
    } while (cursor !== '0');
  }
}

describeSessionStorage(
  'RedisSessionStorage on a Redis Cluster',
  () => new RedisSessionStorage({ client, prefix: uniquePrefix('cluster') }),
  {
    backdoor: (storage) => backdoor(client, storage.prefix),
    destroy: (storage) => deletePrefix(storage.prefix),
  },
);

describe('hash tags on a Cluster', () => {
  it('keeps both keys of a session in one slot, and spreads sessions over the masters', async () => {
    const prefix = uniquePrefix('slots');
    const storage = new RedisSessionStorage({ client, prefix, ttlSeconds: 600 });
    const slots = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const name = `spread-${i}`;
      await storage.save(makeState({ messages: 2 }), name);
      const keys = sessionKeys(prefix, name);
      const head = Number(await client.call('CLUSTER', 'KEYSLOT', keys.head));
      expect(Number(await client.call('CLUSTER', 'KEYSLOT', keys.messages))).toBe(head);
      slots.add(head);
    }
    expect(slots.size).toBeGreaterThan(10);
    const index = indexKeys(prefix);
    expect(Number(await client.call('CLUSTER', 'KEYSLOT', index.members))).toBe(
      Number(await client.call('CLUSTER', 'KEYSLOT', index.order)),
    );
    expect(await storage.list()).toHaveLength(30);
    expect(await storage.pruneIndex()).toBe(0);
    await deletePrefix(prefix);
  });
});

describe('examples/cluster.ts', () => {
  it('saves and lists through a Cluster client of its own', async () => {
    const { client: own, storage } = clusterStorage(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
    );
    try {
      await storage.save(makeState({ messages: 2 }), 'from-example');
      expect((await storage.list()).map((i) => i.name)).toEqual(['from-example']);
    } finally {
      await deletePrefix('myapp:sessions:');
      await own.quit();
    }
  });
});
