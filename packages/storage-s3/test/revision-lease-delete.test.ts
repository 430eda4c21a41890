import { LeaseLostError, SessionCorruptError, storageCapabilities } from '@channelcoder/session-core';
import { addMessages, makeState } from '@channelcoder/storage-conformance';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { S3SessionStorage } from '../src/index.js';
import {
  countRequests,
  deletePrefix,
  listAll,
  makeClient,
  putText,
  uniquePrefix,
} from './support/fixtures.js';

// s3rver behind the test middleware emulating real S3 (conditional writes → 412, atomic object replacement).
const { endpoint, bucket } = inject('s3Conditional');
const client = makeClient(endpoint);
const made: S3SessionStorage[] = [];
afterEach(async () => {
  for (const s of made.splice(0)) await deletePrefix(client, bucket, s.prefix);
});
afterAll(() => client.destroy());

function fresh(prefix = uniquePrefix('rld')): S3SessionStorage {
  const storage = new S3SessionStorage({ client, bucket, prefix });
  made.push(storage);
  return storage;
}

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const entry = (i: number, id = 'e') => ({ type: 'user', uuid: `${id}-${i}`, n: i });

describe('capabilities', () => {
  it('reports readRevision, peekLease and deleteTranscript', () => {
    const caps = storageCapabilities(fresh());
    expect([caps.readRevision, caps.peekLease, caps.deleteTranscript]).toEqual([true, true, true]);
  });
});

describe('readRevision', () => {
  it('is the revision load() returns, from one GET of the head; null when nothing is stored', async () => {
    const storage = fresh();
    expect(await storage.readRevision('rev')).toBeNull();
    const state = makeState({ messages: 3 });
    await storage.save(state, 'rev');
    await storage.save(addMessages(state, 2), 'rev');
    const counting = makeClient(endpoint);
    try {
      const twin = new S3SessionStorage({ client: counting, bucket, prefix: storage.prefix });
      const counter = countRequests(counting);
      expect(await twin.readRevision('rev')).toBe(2);
      expect(counter.requests.map((r) => r.method)).toEqual(['GET']);
      expect(counter.requests[0]?.path).toMatch(/sessions\/rev\/head\.json$/);
    } finally {
      counting.destroy();
    }
    expect((await storage.load('rev')).revision).toBe(2);
  });

  it('is null for a lease-only head and after remove(); a damaged head is SessionCorruptError', async () => {
    const storage = fresh();
    const lease = await storage.lease('leased-only', { ttlMs: 60_000 });
    expect(await storage.readRevision('leased-only')).toBeNull();
    await lease.release();
    await storage.save(makeState(), 'gone');
    await storage.remove('gone');
    expect(await storage.readRevision('gone')).toBeNull();
    await putText(client, bucket, `${storage.prefix}sessions/broken/head.json`, '{"formatVersion":1,"rev');
    const err = await storage.readRevision('broken').catch((e: unknown) => e);
    expect(SessionCorruptError.is(err), String(err)).toBe(true);
  });
});

describe('peekLease', () => {
  it('shows the live lease without taking or extending it; null when released or none', async () => {
    const storage = fresh();
    await storage.save(makeState(), 'peeked');
    expect(await storage.peekLease('peeked')).toBeNull();
    expect(await storage.peekLease('never-stored')).toBeNull();
    const lease = await storage.lease('peeked', { ttlMs: 60_000, holder: 'worker-7' });
    const seen = await storage.peekLease('peeked');
    expect(seen).toEqual({ holder: 'worker-7', token: lease.token, expiresAt: lease.expiresAt });
    const twin = fresh(storage.prefix);
    expect(await twin.peekLease('peeked')).toEqual(seen); // a peek leaves the head as it is
    await lease.release();
    expect(await storage.peekLease('peeked')).toBeNull();
    const next = await storage.lease('peeked', { ttlMs: 60_000 });
    expect(next.token).toBe(lease.token + 1);
    await next.release();
  });
});

describe('deleteTranscript', () => {
  it('deletes one transcript; the other transcript, the state and the revision stay', async () => {
    const storage = fresh();
    const state = makeState({ messages: 2 });
    await storage.save(state, 'del');
    await storage.appendTranscript('del', A, [entry(0), entry(1)], 0);
    await storage.appendTranscript('del', A, [entry(2)], 2);
    await storage.appendTranscript('del', B, [entry(0, 'b')], 0);
    const before = await storage.load('del');
    expect(await storage.deleteTranscript('del', A)).toBe(true);
    expect(await storage.loadTranscript('del', A)).toBeNull();
    expect(await storage.loadTranscript('del', B)).toEqual([entry(0, 'b')]);
    expect(await storage.load('del')).toEqual(before);
    expect(await storage.readRevision('del')).toBe(1);
    // Only the deletion marker is left of A.
    const left = await listAll(client, bucket, `${storage.prefix}sessions/del/transcripts/${A}/`);
    expect(left.map((k) => k.split('/').at(-1))).toEqual(['0000000003.part']);
    expect(await storage.deleteTranscript('del', A)).toBe(false);
    expect(await storage.deleteTranscript('del', 'never-appended')).toBe(false);
    expect(await storage.deleteTranscript('no-session', A)).toBe(false);
  });

  it('accepts appends from line 0 afterwards, also from a writer that had not seen the deletion', async () => {
    const storage = fresh();
    await storage.save(makeState(), 'again');
    const twin = fresh(storage.prefix);
    await twin.appendTranscript('again', A, [entry(0), entry(1)], 0);
    await storage.deleteTranscript('again', A);
    // The twin still believes 2 lines are stored: its PUT meets the marker and it reads past it.
    await twin.appendTranscript('again', A, [entry(0)], 0, { dedupe: 'uuid' });
    expect(await storage.loadTranscript('again', A)).toEqual([entry(0)]);
    await storage.appendTranscript('again', A, [entry(1)], 1);
    expect(await twin.loadTranscript('again', A)).toEqual([entry(0), entry(1)]);
  });

  it('is atomic for readers: a deletion that stopped after its marker hides every line', async () => {
    const storage = fresh();
    await storage.save(makeState(), 'crash');
    await storage.appendTranscript('crash', A, [entry(0)], 0);
    await storage.appendTranscript('crash', A, [entry(1)], 1);
    // A marker written by a deletion that crashed before deleting the parts under it.
    await putText(
      client,
      bucket,
      `${storage.prefix}sessions/crash/transcripts/${A}/0000000003.part`,
      'CCDEL1\n',
    );
    expect(await storage.loadTranscript('crash', A)).toBeNull();
    const twin = fresh(storage.prefix);
    await twin.appendTranscript('crash', A, [entry(5)], 0);
    expect(await storage.loadTranscript('crash', A)).toEqual([entry(5)]);
    expect(await twin.deleteTranscript('crash', A)).toBe(true);
    const left = await listAll(client, bucket, `${storage.prefix}sessions/crash/transcripts/${A}/`);
    expect(left.map((k) => k.split('/').at(-1))).toEqual(['0000000005.part']);
  });

  it('deletes a transcript of the previous layouts too', async () => {
    const storage = fresh();
    await storage.save(makeState(), 'old');
    const folder = `${storage.prefix}sessions/old/transcripts/${A}/`;
    await putText(client, bucket, `${folder}0000000000-0000000002.jsonl`, '{"n":0}\n{"n":1}\n');
    expect(await storage.loadTranscript('old', A)).toEqual([{ n: 0 }, { n: 1 }]);
    expect(await storage.deleteTranscript('old', A)).toBe(true);
    expect(await storage.loadTranscript('old', A)).toBeNull();
    expect((await listAll(client, bucket, folder)).map((k) => k.slice(folder.length))).toEqual([
      '0000000001.part',
    ]);
  });

  it('is fenced by the lease: a lost lease deletes nothing', async () => {
    const storage = fresh();
    await storage.save(makeState(), 'fenced');
    await storage.appendTranscript('fenced', A, [entry(0)], 0);
    const lease = await storage.lease('fenced', { ttlMs: 60_000 });
    await storage.appendTranscript('fenced', A, [entry(1)], 1, { lease });
    await lease.release();
    const other = await storage.lease('fenced', { ttlMs: 60_000 });
    const err = await storage.deleteTranscript('fenced', A, { lease }).catch((e: unknown) => e);
    expect(LeaseLostError.is(err), String(err)).toBe(true);
    expect(await storage.loadTranscript('fenced', A)).toEqual([entry(0), entry(1)]);
    expect(await storage.deleteTranscript('fenced', A, { lease: other })).toBe(true);
    expect(await storage.loadTranscript('fenced', A)).toBeNull();
    await other.release();
  });
});
