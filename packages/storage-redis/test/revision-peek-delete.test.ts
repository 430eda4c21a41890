/** readRevision, peekLease and deleteTranscript: small reads and one atomic, fenced delete. */
import { LeaseLostError, storageCapabilities } from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { sessionKeys, transcriptKey, transcriptUuidIndexKey } from '../src/keys.js';
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

  it('is false for a session that is not stored', async () => {
    expect(await storage.deleteTranscript('nobody', A)).toBe(false);
  });
});
