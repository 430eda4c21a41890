/** readRevision, peekLease and deleteTranscript: small reads and one atomic, fenced delete. */
import { LeaseLostError, storageCapabilities } from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { sessionKeys, transcriptKey, transcriptUuidIndexKey } from '../src/keys.js';
import { CHUNK } from '../src/session-read.js';
import { recordCommands } from './support/command-log.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
let prefix: string;
let storage: RedisSessionStorage;
const A = '6f1c2e0a-0000-4000-8000-00000000000a';
const B = '6f1c2e0a-0000-4000-8000-00000000000b';
const entry = (i: number) => ({ type: 'user', uuid: `u-${i}`, message: { content: `line ${i}` } });

beforeEach(async () => {
  prefix = uniquePrefix('rpd');
  storage = new RedisSessionStorage({ client, prefix });
  await storage.exists('connected'); // waits for the client's connection
});
afterEach(async () => {
  await deletePrefix(client, prefix);
});
afterAll(async () => {
  await client.quit();
});

describe('capabilities', () => {
  it('reports readRevision, peekLease and deleteTranscript', () => {
    const caps = storageCapabilities(storage);
    expect([caps.readRevision, caps.peekLease, caps.deleteTranscript]).toEqual([true, true, true]);
  });
});

describe('readRevision', () => {
  it('is null when absent, then follows every save with one GET of the head', async () => {
    expect(await storage.readRevision('r')).toBeNull();
    const state = makeState({ messages: 300 });
    await storage.save(state, 'r');
    await storage.save(state, 'r');
    const log = recordCommands(client);
    try {
      expect(await storage.readRevision('r')).toBe(2);
      expect(log.names()).toEqual(['get']);
      expect(log.commands[0]!.args).toEqual([sessionKeys(prefix, 'r').head]);
    } finally {
      log.restore();
    }
    expect((await storage.load('r')).revision).toBe(2);
  });
});

describe('peekLease', () => {
  it('shows the held lease without taking or extending it, and null once released', async () => {
    expect(await storage.peekLease('p')).toBeNull();
    const lease = await storage.lease('p', { ttlMs: 60_000, holder: 'worker-1' });
    const ttlBefore = await client.pexpiretime(sessionKeys(prefix, 'p').lease);
    const seen = await storage.peekLease('p');
    expect(seen).toEqual({ holder: 'worker-1', token: lease.token, expiresAt: lease.expiresAt });
    expect(await client.pexpiretime(sessionKeys(prefix, 'p').lease)).toBe(ttlBefore);
    await lease.release();
    expect(await storage.peekLease('p')).toBeNull();
  });

  it('is null once the lease expired', async () => {
    await storage.lease('short', { ttlMs: 50 });
    await new Promise((r) => setTimeout(r, 120));
    expect(await storage.peekLease('short')).toBeNull();
  });
});

describe('deleteTranscript', () => {
  beforeEach(async () => {
    await storage.save(makeState({ messages: 2 }), 's');
    await storage.appendTranscript('s', A, [entry(0), entry(1)], 0);
    await storage.appendTranscript('s', A, [entry(2)], 0, { dedupe: 'uuid' });
    await storage.appendTranscript('s', B, [entry(9)], 0);
  });

  it('deletes one transcript and its index; state, revision and other transcripts unchanged', async () => {
    const before = await storage.load('s');
    const log = recordCommands(client);
    try {
      expect(await storage.deleteTranscript('s', A)).toBe(true);
      expect(log.roundTrips()).toBe(1);
    } finally {
      log.restore();
    }
    expect(await storage.loadTranscript('s', A)).toBeNull();
    expect(await storage.loadTranscript('s', B)).toEqual([entry(9)]);
    expect(await client.exists(transcriptKey(prefix, 's', A), transcriptUuidIndexKey(prefix, 's', A))).toBe(
      0,
    );
    const after = await storage.load('s');
    expect(after.revision).toBe(before.revision);
    expect(after.messages).toEqual(before.messages);
    expect(await storage.deleteTranscript('s', A)).toBe(false);
    // A new transcript under the same id starts empty.
    await storage.appendTranscript('s', A, [entry(5)], 0);
    expect(await storage.loadTranscript('s', A)).toEqual([entry(5)]);
  });

  it('honours the lease fence: LeaseLostError and nothing deleted', async () => {
    const old = await storage.lease('s', { ttlMs: 50 });
    await new Promise((r) => setTimeout(r, 120));
    const current = await storage.lease('s', { ttlMs: 60_000 });
    await expect(storage.deleteTranscript('s', A, { lease: old })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await storage.loadTranscript('s', A)).toEqual([entry(0), entry(1), entry(2)]);
    expect(await storage.deleteTranscript('s', A, { lease: current })).toBe(true);
    await current.release();
  });

  it('a transcript deleted and written again between the chunks of a load is not read as one', async () => {
    const write = async (label: string) => {
      // More list elements than one read chunk (one element per append), so a load takes two round trips.
      const appends: Promise<void>[] = [];
      for (let i = 0; i < CHUNK + 40; i++) appends.push(storage.appendTranscript('s', A, [{ label, i }], i));
      await Promise.all(appends);
    };
    await storage.deleteTranscript('s', A);
    await write('old');
    // A reader whose second pipeline (the remaining chunks) waits until the transcript was rewritten.
    const reader = connect(inject('redisUrl'));
    try {
      const pipeline = reader.pipeline.bind(reader);
      let pipelines = 0;
      reader.pipeline = ((...args: Parameters<typeof reader.pipeline>) => {
        const p = pipeline(...args);
        pipelines += 1;
        if (pipelines === 2) {
          const exec = p.exec.bind(p);
          p.exec = (async () => {
            await storage.deleteTranscript('s', A);
            await write('new');
            return exec();
          }) as typeof p.exec;
        }
        return p;
      }) as typeof reader.pipeline;
      const loaded = (await new RedisSessionStorage({ client: reader, prefix }).loadTranscript('s', A)) as {
        label: string;
      }[];
      expect(pipelines).toBeGreaterThan(2); // it read again
      expect(loaded.map((l) => l.label)).toEqual(Array(CHUNK + 40).fill('new'));
    } finally {
      await reader.quit();
    }
  });

  it('is false for a session that is not stored', async () => {
    expect(await storage.deleteTranscript('nobody', A)).toBe(false);
  });
});
