/**
 * list({ prefix }) reads the names under the prefix from the name index: other prefixes' sessions are
 * never read; the index is kept by save, remove, trash and cleanup, and filled for data stored before it.
 */
import { makeState } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { indexKeys, sessionKeys } from '../src/keys.js';
import { recordCommands } from './support/command-log.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
let prefix: string;
let storage: RedisSessionStorage;

beforeEach(async () => {
  prefix = uniquePrefix('prefix');
  storage = new RedisSessionStorage({ client, prefix });
  await storage.exists('connected'); // waits for the client's connection
});
afterEach(async () => {
  await deletePrefix(client, prefix);
});
afterAll(async () => {
  await client.quit();
});

let clock = Date.UTC(2026, 0, 1);
async function saveMany(names: string[]) {
  for (const name of names) {
    clock += 1000;
    await storage.save(makeState({ messages: 1, lastActive: new Date(clock) }), name);
  }
}

const range = (label: string, n: number) => Array.from({ length: n }, (_, i) => `${label}${i}`);

/** Forgets the name index, as data written by versions before it looks. */
async function dropNameIndex() {
  const keys = indexKeys(prefix);
  await client.del(keys.names, keys.namesState);
}

describe('list({ prefix })', () => {
  it('lists, pages and orders like the full listing filtered to the prefix', async () => {
    await saveMany([...range('sdk-a.', 7), ...range('sdk-b.', 5), 'sdk-a', 'other']);
    const all = await storage.list();
    for (const p of ['sdk-a.', 'sdk-b.', 'sdk-', 'sdk-a', 'nothing']) {
      const expected = all.filter((i) => i.name.startsWith(p)).map((i) => i.name);
      expect(
        (await storage.list({ prefix: p })).map((i) => i.name),
        p,
      ).toEqual(expected);
      const paged: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await storage.list({ prefix: p, limit: 3, ...(cursor ? { cursor } : {}) });
        paged.push(...page.map((i) => i.name));
        if (page.length < 3) break;
        cursor = page.at(-1)!.cursor;
      }
      expect(paged, `${p} paged`).toEqual(expected);
    }
  });

  it("reads no other prefix's name or head: the same commands with 300 other sessions as with none", async () => {
    await saveMany(range('sdk-mine.', 5));
    const commandsOf = async () => {
      const log = recordCommands(client);
      try {
        const infos = await storage.list({ prefix: 'sdk-mine.' });
        expect(infos).toHaveLength(5);
        return log.commands.map((c) => `${c.name} ${c.args.length}`);
      } finally {
        log.restore();
      }
    };
    await storage.list({ prefix: 'sdk-mine.' }); // the first prefixed listing marks the name index complete
    const alone = await commandsOf();
    await saveMany(range('sdk-theirs.', 300));
    const log = recordCommands(client);
    try {
      await storage.list({ prefix: 'sdk-mine.' });
      const heads = log.commands.map((c) => String(c.args[0])).filter((k) => k.endsWith(':head'));
      expect(heads.every((k) => k.includes('{sdk-mine.'))).toBe(true);
    } finally {
      log.restore();
    }
    expect(await commandsOf()).toEqual(alone);
  });

  it('keeps the name index with remove, trash, restore and a save under a new time', async () => {
    await saveMany(['p.one', 'p.two', 'p.three']);
    const names = () => client.zrange(indexKeys(prefix).names, '0', '-1');
    expect(await names()).toEqual(['p.one', 'p.three', 'p.two']);
    await storage.remove('p.one');
    const entry = await storage.moveToTrash('p.two');
    expect(await names()).toEqual(['p.three']);
    expect((await storage.list({ prefix: 'p.' })).map((i) => i.name)).toEqual(['p.three']);
    await storage.restoreFromTrash(entry!.id);
    expect(await names()).toEqual(['p.three', 'p.two']);
    const state = await storage.load('p.three');
    state.metadata.lastActive = new Date(clock + 60_000);
    await storage.save(state, 'p.three');
    expect((await storage.list({ prefix: 'p.' })).map((i) => i.name)).toEqual(['p.three', 'p.two']);
  });

  it('drops expired sessions from the name index as it meets them', async () => {
    await saveMany(['e.live', 'e.gone']);
    await client.del(sessionKeys(prefix, 'e.gone').head); // as a TTL expiry leaves it
    expect((await storage.list({ prefix: 'e.' })).map((i) => i.name)).toEqual(['e.live']);
    expect(await client.zrange(indexKeys(prefix).names, '0', '-1')).toEqual(['e.live']);
    expect(await client.hexists(indexKeys(prefix).members, 'e.gone')).toBe(0);
  });

  it('drops a name that has no index entry', async () => {
    await saveMany(['o.live']);
    await client.zadd(indexKeys(prefix).names, 0, 'o.orphan');
    expect((await storage.list({ prefix: 'o.' })).map((i) => i.name)).toEqual(['o.live']);
    expect(await client.zrange(indexKeys(prefix).names, '0', '-1')).toEqual(['o.live']);
  });
});

describe('sessions indexed before the name index', () => {
  it('are listed by prefix at once, and the first prefixed listing fills the name index', async () => {
    await saveMany([...range('m.', 4), ...range('n.', 3)]);
    await dropNameIndex();
    expect((await storage.list({ prefix: 'm.' })).map((i) => i.name).sort()).toEqual(range('m.', 4));
    expect(await client.get(indexKeys(prefix).namesState)).toBe('complete');
    expect(await client.zcard(indexKeys(prefix).names)).toBe(7);
  });

  it('a large index is filled in bounded steps per listing, listing correctly meanwhile; pruneIndex completes it', async () => {
    const total = 12_000;
    const keys = indexKeys(prefix);
    // Planted the way earlier versions indexed: heads, order members and the members hash only.
    await saveMany(['big.mine']);
    const template = (await client.get(sessionKeys(prefix, 'big.mine').head))!;
    for (let from = 0; from < total; from += 2000) {
      const pipeline = client.pipeline();
      for (let i = from; i < from + 2000; i++) {
        const name = `big.other${i}`;
        const member = `${String(10 ** 15 + i).padStart(17, '0')}:${name}`;
        pipeline.set(sessionKeys(prefix, name).head, template);
        pipeline.zadd(keys.order, 0, member);
        pipeline.hset(keys.members, name, member);
      }
      await pipeline.exec();
    }
    await dropNameIndex();
    expect((await storage.list({ prefix: 'big.mine' })).map((i) => i.name)).toEqual(['big.mine']);
    expect(await client.zcard(keys.names)).toBe(5000);
    expect(await client.get(keys.namesState)).not.toBe('complete');
    expect(await storage.pruneIndex()).toBe(0);
    expect(await client.get(keys.namesState)).toBe('complete');
    expect(await client.zcard(keys.names)).toBe(total + 1);
    expect((await storage.list({ prefix: 'big.mine' })).map((i) => i.name)).toEqual(['big.mine']);
  });
});
