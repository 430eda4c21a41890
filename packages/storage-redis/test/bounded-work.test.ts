/**
 * No call holds the server for long, whatever the data's size: proven from the server's own command
 * statistics (INFO commandstats) on a private redis-server, where no other test's commands are counted.
 */
import { makeState } from '@channelcoder/storage-conformance';
import { type PrivateRedis, startPrivateRedis } from '@channelcoder/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { indexKeys, indexMember, sessionKeys } from '../src/keys.js';
import { LIST_DROP_BUDGET } from '../src/list-index.js';
import { ELEMENT_BYTES } from '../src/message-elements.js';
import { CHUNK, MESSAGE_CHUNK } from '../src/session-read.js';
import { connect, uniquePrefix } from './support/fixtures.js';

let server: PrivateRedis;
let client: Redis;

beforeAll(async () => {
  server = await startPrivateRedis();
  client = connect(server.url);
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
}, 60_000);
afterAll(async () => {
  await client?.quit();
  await server?.destroy();
});
beforeEach(async () => {
  await client.flushall();
});

/** calls per command, from the server's statistics since the last reset. */
async function commandCalls(): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const calls: Record<string, number> = {};
  for (const line of info.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match) calls[match[1]!] = Number(match[2]);
  }
  return calls;
}

const SCRIPT_COMMANDS = ['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro'];

describe('load of a large session', () => {
  it('runs no script and reads the messages in chunks of at most MESSAGE_CHUNK bounded elements', async () => {
    const storage = new RedisSessionStorage({ client, prefix: uniquePrefix('big') });
    const state = makeState({ messages: 0 });
    const add = (count: number) => {
      for (let n = 0; n < count; n++) {
        const i = state.messages.length;
        state.messages.push({
          id: `m${i}`,
          role: i % 2 === 0 ? 'user' : 'assistant',
          content: `message ${i} ${'x'.repeat(i % 300)}`,
          timestamp: new Date(1_700_000_000_000 + i),
          sessionId: 'c1',
        });
      }
    };
    // Saved at once, then grown two messages a save (a turn), as sessions grow.
    add(4_000);
    await storage.save(state, 'big');
    for (let turn = 0; turn < 500; turn++) {
      add(2);
      await storage.save(state, 'big');
    }
    const list = sessionKeys(storage.prefix, 'big').messages;
    const elements = await client.lrangeBuffer(list, 0, -1);
    // Packed: every element within ELEMENT_BYTES, and far fewer elements than messages.
    for (const element of elements) expect(element.length).toBeLessThanOrEqual(ELEMENT_BYTES);
    expect(elements.length).toBeLessThan(5_000 / 20);
    await client.config('RESETSTAT');

    const loaded = await new RedisSessionStorage({ client, prefix: storage.prefix }).load('big');
    expect(loaded.messages).toHaveLength(5_000);
    expect(loaded.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));

    const calls = await commandCalls();
    for (const name of SCRIPT_COMMANDS) expect(calls[name] ?? 0, name).toBe(0);
    // Every LRANGE covered at most MESSAGE_CHUNK elements: exactly ceil(elements / MESSAGE_CHUNK) of them.
    expect(calls.lrange).toBe(Math.ceil(elements.length / MESSAGE_CHUNK));
  });

  it('reads the revision stored at one instant even while saves land between its chunks', async () => {
    const prefix = uniquePrefix('race');
    const writer = new RedisSessionStorage({ client, prefix });
    const state = makeState({ messages: 0 });
    const add = (n: number) => {
      for (let i = 0; i < n; i++) {
        const k = state.messages.length;
        state.messages.push({
          id: `m${k}`,
          role: 'user',
          // Long enough that the list spans several chunks of MESSAGE_CHUNK elements.
          content: `m${k} ${'y'.repeat(2_000)}`,
          timestamp: new Date(1_700_000_000_000 + k),
          sessionId: 'c1',
        });
      }
    };
    add(3 * CHUNK);
    await writer.save(state, 'racing');
    expect(await client.llen(sessionKeys(prefix, 'racing').messages)).toBeGreaterThan(2 * MESSAGE_CHUNK);
    const reader = new RedisSessionStorage({ client, prefix });
    const loads: Promise<unknown>[] = [];
    for (let round = 0; round < 20; round++) {
      add(7);
      loads.push(reader.load('racing'));
      await writer.save(state, 'racing');
    }
    // Each load is a whole revision: the count matches that revision's head (assembleState checks it).
    for (const loaded of (await Promise.all(loads)) as { messages: unknown[]; revision: number }[]) {
      expect(loaded.messages.length).toBe(3 * CHUNK + 7 * (loaded.revision - 1));
    }
  });
});

describe('load of a long transcript', () => {
  const line = (i: number) => ({ type: 'user', uuid: `u-${i}`, message: { content: `line ${i} é 🚀` } });

  it('runs no script and reads the lines in chunks of at most CHUNK elements', async () => {
    const storage = new RedisSessionStorage({ client, prefix: uniquePrefix('tbig') });
    await storage.save(makeState({ messages: 1 }), 'long');
    // One list element per append: 5 * CHUNK + 17 appends of two lines each.
    const appends = 5 * CHUNK + 17;
    const lines = Array.from({ length: 2 * appends }, (_, i) => line(i));
    for (let at = 0; at < lines.length; at += 2)
      await storage.appendTranscript('long', 'c1', lines.slice(at, at + 2), at);
    await client.config('RESETSTAT');

    const loaded = await new RedisSessionStorage({ client, prefix: storage.prefix }).loadTranscript(
      'long',
      'c1',
    );
    expect(loaded).toEqual(lines);

    const calls = await commandCalls();
    for (const name of SCRIPT_COMMANDS) expect(calls[name] ?? 0, name).toBe(0);
    expect(calls.lrange).toBe(Math.ceil(appends / CHUNK));
    // A transcript the session does not hold is null, without a script either.
    expect(await storage.loadTranscript('long', 'absent')).toBeNull();
    const after = await commandCalls();
    for (const name of SCRIPT_COMMANDS) expect(after[name] ?? 0, name).toBe(0);
  });

  it('returns the transcript as stored at one instant while appends land between its chunks', async () => {
    const prefix = uniquePrefix('trace');
    const writer = new RedisSessionStorage({ client, prefix });
    await writer.save(makeState({ messages: 1 }), 'growing');
    let stored = 3 * CHUNK;
    await writer.appendTranscript(
      'growing',
      'c1',
      Array.from({ length: stored }, (_, i) => line(i)),
      0,
    );
    const reader = new RedisSessionStorage({ client, prefix });
    const loads: Promise<unknown[] | null>[] = [];
    for (let round = 0; round < 20; round++) {
      loads.push(reader.loadTranscript('growing', 'c1'));
      const more = Array.from({ length: 7 }, (_, i) => line(stored + i));
      await writer.appendTranscript('growing', 'c1', more, stored);
      stored += 7;
    }
    // Each load is a prefix of the final transcript, at least as long as what was stored when it began.
    const final = await reader.loadTranscript('growing', 'c1');
    expect(final).toHaveLength(stored);
    for (const [round, loaded] of (await Promise.all(loads)).entries()) {
      expect(loaded!.length).toBeGreaterThanOrEqual(3 * CHUNK + 7 * round);
      expect(loaded).toEqual(final!.slice(0, loaded!.length));
    }
  });

  it('a session removed between chunks is not read as a torn transcript', async () => {
    const prefix = uniquePrefix('tgone');
    const storage = new RedisSessionStorage({ client, prefix });
    const other = new RedisSessionStorage({ client, prefix });
    const lines = Array.from({ length: 4 * CHUNK }, (_, i) => line(i));
    for (let round = 0; round < 10; round++) {
      await storage.save(makeState({ messages: 1 }), 'brief');
      await storage.appendTranscript('brief', 'c1', lines, 0);
      const loading = other.loadTranscript('brief', 'c1');
      await storage.remove('brief');
      const loaded = await loading;
      // Either the whole transcript (read before the removal) or nothing: never a part of it.
      if (loaded !== null) expect(loaded).toEqual(lines);
    }
  });
});

describe('list() after a mass expiry', () => {
  it('drops a bounded number of stale entries per call and never fails a healthy server', async () => {
    const prefix = uniquePrefix('expired');
    const storage = new RedisSessionStorage({ client, prefix, timeoutMs: 5000 });
    // Three live sessions, older than everything that expired, so a listing walks past all stale entries.
    for (const name of ['live-a', 'live-b', 'live-c']) {
      const state = makeState({ messages: 1 });
      state.metadata.lastActive = new Date(1_600_000_000_000);
      await storage.save(state, name);
    }
    // 100,000 sessions that expired: their heads are gone, their index entries remain (the index has no TTL).
    const { order, members } = indexKeys(prefix);
    const stale = 100_000;
    for (let from = 0; from < stale; from += 5_000) {
      const pipeline = client.pipeline();
      for (let i = from; i < Math.min(from + 5_000, stale); i++) {
        const name = `gone-${i}`;
        const member = indexMember(1_700_000_000_000 + i, name);
        pipeline.zadd(order, 0, member).hset(members, name, member);
      }
      await pipeline.exec();
    }
    expect(await client.exists(sessionKeys(prefix, 'gone-1').head)).toBe(0);

    const first = await storage.list({ limit: 10 });
    expect(first.map((s) => s.name)).toEqual(['live-a', 'live-b', 'live-c']);
    // Bounded work: one listing dropped exactly its budget of stale entries, no more.
    expect(await client.zcard(order)).toBe(stale + 3 - LIST_DROP_BUDGET);
    await storage.list({ limit: 10 });
    expect(await client.zcard(order)).toBe(stale + 3 - 2 * LIST_DROP_BUDGET);

    // The maintenance method finishes the job in bounded steps, and reports exactly what it dropped.
    expect(await storage.pruneIndex()).toBe(stale - 2 * LIST_DROP_BUDGET);
    expect(await client.zcard(order)).toBe(3);
    expect(await client.hlen(members)).toBe(3);
    expect((await storage.list()).map((s) => s.name)).toEqual(['live-a', 'live-b', 'live-c']);
  }, 120_000);
});
