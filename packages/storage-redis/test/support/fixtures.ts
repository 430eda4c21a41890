/** Clients, isolated prefixes, cleanup and the conformance backdoor, shared by the test files. */
import { fromWireHead } from '@channelcoder/session-core/storage-kit';
import type { StorageBackdoor } from '@channelcoder/storage-conformance';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import { indexKeys, indexMember, sessionKeys } from '../../src/keys.js';

/** The options the README recommends for bounded failures, plus a listener so errors are not logged. */
export function connect(url: string, extra: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    ...extra,
  });
  client.on('error', () => {});
  return client;
}

let counter = 0;

/** A prefix no other test (in this or another file or process) uses. */
export function uniquePrefix(label = 't'): string {
  counter += 1;
  return `cc-test:${label}:${process.pid}:${Date.now().toString(36)}:${counter}:`;
}

/** Escapes glob characters, so a SCAN MATCH pattern takes the prefix literally. */
export function literalGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Deletes every key under the prefix (test cleanup only; the adapter itself never scans). */
export async function deletePrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${literalGlob(prefix)}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Writes straight to the keys, the way the conformance suite needs to damage or plant sessions. */
export function backdoor(client: Redis | Cluster, prefix: string): StorageBackdoor {
  const index = indexKeys(prefix);
  const ensureIndexed = async (name: string, lastActiveMs: number) => {
    const old = await client.hget(index.members, name);
    if (old !== null) return;
    const member = indexMember(lastActiveMs, name);
    await client.zadd(index.order, 0, member);
    await client.hset(index.members, name, member);
  };
  return {
    async corrupt(name) {
      await client.set(sessionKeys(prefix, name).head, '{"formatVersion":1,"revision":');
      await ensureIndexed(name, 0);
    },
    async corruptMessages(name) {
      await client.lset(sessionKeys(prefix, name).messages, 0, '{"id":42}');
    },
    async plant(name, document) {
      const { messages = [], ...head } = JSON.parse(document) as { messages?: unknown[] };
      const keys = sessionKeys(prefix, name);
      const headText = JSON.stringify({ ...head, messageCount: messages.length });
      let lastActive = 0;
      try {
        lastActive = fromWireHead(headText, { name }).metadata.lastActive.getTime();
      } catch {
        const raw = (head as { metadata?: { lastActive?: unknown } }).metadata?.lastActive;
        lastActive = typeof raw === 'string' && !Number.isNaN(Date.parse(raw)) ? Date.parse(raw) : 0;
      }
      const old = await client.hget(index.members, name);
      if (old !== null) await client.zrem(index.order, old);
      await client.del(keys.head, keys.messages);
      await client.set(keys.head, headText);
      if (messages.length > 0) await client.rpush(keys.messages, ...messages.map((m) => JSON.stringify(m)));
      const member = indexMember(lastActive, name);
      await client.zadd(index.order, 0, member);
      await client.hset(index.members, name, member);
    },
  };
}
