/** The transcript capability: the CLI's JSONL lines stored with the session, incrementally. */
import {
  InvalidArgumentError,
  SessionCorruptError,
  SessionNotFoundError,
  storageCapabilities,
} from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { sessionKeys, transcriptKey } from '../src/keys.js';
import { connect, deletePrefix, literalGlob, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
let prefix: string;
let storage: RedisSessionStorage;

const ID = '6f1c2e0a-0000-4000-8000-00000000000a';
const line = (i: number) => ({
  type: i % 2 === 0 ? 'user' : 'assistant',
  uuid: `line-${i}`,
  message: { content: [{ type: 'text', text: `line ${i} — ünïcödé 🚀 \u2028` }] },
  nested: { n: i, ok: true, none: null },
});

beforeEach(async () => {
  prefix = uniquePrefix('transcripts');
  storage = new RedisSessionStorage({ client, prefix });
  await storage.save(makeState({ messages: 2 }), 'with-transcript');
});
afterEach(async () => {
  await deletePrefix(client, prefix);
});
afterAll(async () => {
  await client.quit();
});

describe('transcripts', () => {
  it('dedupe uuid: one script against a uuid index that catches up with positional appends', async () => {
    await storage.appendTranscript('with-transcript', ID, [line(0), line(1)], 0);
    await storage.appendTranscript('with-transcript', ID, [line(1), line(2)], 0, { dedupe: 'uuid' });
    await storage.appendTranscript('with-transcript', ID, [line(3)], 3);
    await storage.appendTranscript('with-transcript', ID, [line(3), line(2), line(4), line(4)], 0, {
      dedupe: 'uuid',
    });
    expect(await storage.loadTranscript('with-transcript', ID)).toEqual([0, 1, 2, 3, 4].map(line));
    const index = transcriptKey(prefix, 'with-transcript', `${ID}\u0000uuids`);
    expect(await client.hmget(index, '#count', '#lines')).toEqual(['5', '4']); // lines; list elements indexed
    await storage.remove('with-transcript');
    expect(await client.exists(index)).toBe(0);
  });

  it('is detected as a capability', () => {
    expect(storageCapabilities(storage).transcripts).toBe(true);
  });

  it('returns the appended lines deep-equal, across incremental appends', async () => {
    const lines = Array.from({ length: 7 }, (_, i) => line(i));
    await storage.appendTranscript('with-transcript', ID, lines.slice(0, 4), 0);
    await storage.appendTranscript('with-transcript', ID, lines.slice(4), 4);
    expect(await storage.loadTranscript('with-transcript', ID)).toEqual(lines);
    // One compressed element per append.
    expect(await client.llen(transcriptKey(prefix, 'with-transcript', ID))).toBe(2);
  });

  it('treats a re-appended range as a no-op for the lines already stored', async () => {
    const lines = Array.from({ length: 5 }, (_, i) => line(i));
    await storage.appendTranscript('with-transcript', ID, lines.slice(0, 3), 0);
    await storage.appendTranscript('with-transcript', ID, lines.slice(1), 1);
    expect(await storage.loadTranscript('with-transcript', ID)).toEqual(lines);
  });

  it('keeps transcripts of different Claude session ids apart; null for an id never stored', async () => {
    await storage.appendTranscript('with-transcript', ID, [line(0)], 0);
    await storage.appendTranscript('with-transcript', 'other-id', [line(1), line(2)], 0);
    expect(await storage.loadTranscript('with-transcript', ID)).toEqual([line(0)]);
    expect(await storage.loadTranscript('with-transcript', 'other-id')).toEqual([line(1), line(2)]);
    expect(await storage.loadTranscript('with-transcript', 'never')).toBeNull();
    await storage.appendTranscript('with-transcript', 'empty', [], 0);
    expect(await storage.loadTranscript('with-transcript', 'empty')).toEqual([]);
  });

  it('rejects a gap, a bad fromLine, and an unknown session', async () => {
    await storage.appendTranscript('with-transcript', ID, [line(0)], 0);
    await expect(storage.appendTranscript('with-transcript', ID, [line(5)], 5)).rejects.toSatisfy(
      InvalidArgumentError.is,
    );
    for (const bad of [-1, 1.5, Number.NaN]) {
      await expect(storage.appendTranscript('with-transcript', ID, [line(1)], bad)).rejects.toSatisfy(
        InvalidArgumentError.is,
      );
    }
    await expect(storage.appendTranscript('absent', ID, [line(0)], 0)).rejects.toSatisfy(
      SessionNotFoundError.is,
    );
    await expect(storage.appendTranscript('with-transcript', '', [line(0)], 0)).rejects.toSatisfy(
      InvalidArgumentError.is,
    );
    expect(await storage.loadTranscript('with-transcript', ID)).toEqual([line(0)]);
  });

  it('reports a damaged line as SessionCorruptError', async () => {
    // A transcript stored before compression: one plain line per element.
    const key = transcriptKey(prefix, 'with-transcript', ID);
    await client.rpush(key, JSON.stringify(line(0)), '{"truncated":');
    await client.sadd(sessionKeys(prefix, 'with-transcript').transcripts, ID);
    const err = await storage.loadTranscript('with-transcript', ID).catch((e: unknown) => e);
    expect(SessionCorruptError.is(err), String(err)).toBe(true);
  });

  it('reports a damaged compressed chunk as SessionCorruptError naming its key', async () => {
    await storage.appendTranscript('with-transcript', ID, [line(0), line(1)], 0);
    const key = transcriptKey(prefix, 'with-transcript', ID);
    await client.lset(key, 0, Buffer.concat([Buffer.from('CCZ1'), Buffer.of(0, 1, 2, 3)]));
    const err = await storage.loadTranscript('with-transcript', ID).catch((e: unknown) => e);
    expect(SessionCorruptError.is(err), String(err)).toBe(true);
    expect(String(err)).toContain(key);
  });

  it('is removed with the session: no key of it is left', async () => {
    await storage.appendTranscript('with-transcript', ID, [line(0)], 0);
    await storage.appendTranscript('with-transcript', 'other-id', [line(0)], 0);
    expect(await storage.remove('with-transcript')).toBe(true);
    expect(await client.keys(`${literalGlob(prefix)}{with-transcript}*`)).toEqual([]);
    expect(await storage.loadTranscript('with-transcript', ID)).toBeNull();
  });

  it('expires with the session: same expiry on append, extended by save and load, cleared without ttl', async () => {
    const expiring = new RedisSessionStorage({ client, prefix, ttlSeconds: 3600 });
    const state = makeState({ messages: 2 });
    await expiring.save(state, 'expiring');
    await expiring.appendTranscript('expiring', ID, [line(0)], 0);
    const keys = sessionKeys(prefix, 'expiring');
    const all = [keys.head, keys.messages, keys.transcripts, transcriptKey(prefix, 'expiring', ID)];
    const expiries = async () => {
      const replies = await all.reduce((tx, key) => tx.call('PEXPIRETIME', key), client.multi()).exec();
      return replies?.map(([, value]) => Number(value)) ?? [];
    };
    const first = await expiries();
    expect(first[0]).toBeGreaterThan(Date.now() + 3_500_000);
    expect(new Set(first).size).toBe(1);

    const soon = Date.now() + 60_000;
    await all.reduce((tx, key) => tx.pexpireat(key, soon), client.multi()).exec();
    await expiring.load('expiring');
    const afterLoad = await expiries();
    expect(afterLoad[0]).toBeGreaterThan(Date.now() + 3_500_000);
    expect(new Set(afterLoad).size).toBe(1);

    await new RedisSessionStorage({ client, prefix }).save(state, 'expiring');
    expect(await expiries()).toEqual([-1, -1, -1, -1]);
  });
});
