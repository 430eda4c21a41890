import {
  InvalidArgumentError,
  SessionCorruptError,
  SessionNotFoundError,
  storageCapabilities,
} from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
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

async function withSession(name = 'portable'): Promise<S3SessionStorage> {
  const storage = new S3SessionStorage({ client, bucket, prefix: uniquePrefix('transcripts') });
  made.push(storage);
  await storage.save(makeState(), name);
  return storage;
}

const CLAUDE_ID = '1f0c5d1e-0000-4000-8000-00000000abcd';
const line = (i: number) => ({
  type: i % 2 === 0 ? 'user' : 'assistant',
  uuid: `line-${i}`,
  message: { content: [{ type: 'text', text: `turn ${i} — ünïcödé 🚀 \u2028` }] },
  n: i,
  nested: { list: [1, null, true], empty: {} },
});

describe('transcripts', () => {
  it('is a capability of the storage', async () => {
    expect(storageCapabilities(await withSession()).transcripts).toBe(true);
  });

  it('round-trips the lines in order, deep-equal, across appends', async () => {
    const storage = await withSession();
    const lines = Array.from({ length: 7 }, (_, i) => line(i));
    await storage.appendTranscript('portable', CLAUDE_ID, lines.slice(0, 3), 0);
    await storage.appendTranscript('portable', CLAUDE_ID, lines.slice(3), 3);
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual(lines);
    expect(await storage.loadTranscript('portable', 'another-id')).toBeNull();
  });

  it('uploads only the lines past what is stored, as one part; re-appending stored lines writes nothing', async () => {
    const storage = await withSession();
    const lines = Array.from({ length: 6 }, (_, i) => line(i));
    await storage.appendTranscript('portable', CLAUDE_ID, lines.slice(0, 4), 0);
    const counter = countRequests(client);
    await storage.appendTranscript('portable', CLAUDE_ID, lines.slice(2), 2); // lines 2-3 are stored already
    const puts = counter.requests.filter((r) => r.method === 'PUT').map((r) => r.path.split('/').at(-1));
    expect(puts).toEqual([expect.stringMatching(/^p-[0-9a-f]{16}\.jsonl$/), 'manifest.json']);
    counter.reset();
    await storage.appendTranscript('portable', CLAUDE_ID, lines.slice(0, 6), 0);
    expect(counter.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual(lines);
  });

  it('appends with a constant number of requests (GET manifest, PUT part, PUT manifest) at any length', async () => {
    const storage = await withSession();
    const counting = makeClient(endpoint);
    try {
      const twin = new S3SessionStorage({ client: counting, bucket, prefix: storage.prefix });
      const counter = countRequests(counting);
      const perAppend: number[] = [];
      for (let i = 0; i < 40; i++) {
        counter.reset();
        await twin.appendTranscript('portable', CLAUDE_ID, [line(i)], 0, { dedupe: 'uuid' });
        perAppend.push(counter.requests.length);
      }
      // The first append also checks that the session exists and that no older chunks are stored.
      expect(perAppend.slice(1)).toEqual(Array(39).fill(3));
      counter.reset();
      expect(await twin.loadTranscript('portable', CLAUDE_ID)).toHaveLength(40);
      expect(
        counter.requests.filter((r) => r.method === 'GET' && !r.path.includes('list-type')),
      ).toHaveLength(41);
    } finally {
      counting.destroy();
    }
  });

  it('with dedupe: uuid, racing appenders each get every entry stored once, in their own order', async () => {
    const storage = await withSession();
    const twins = [
      storage,
      ...[1, 2, 3].map(() => new S3SessionStorage({ client, bucket, prefix: storage.prefix })),
    ];
    const batches = twins.map((_, w) =>
      Array.from({ length: 15 }, (_, i) => ({ ...line(i), uuid: `w${w}-${i}` })),
    );
    await Promise.all(
      twins.map(async (twin, w) => {
        for (const e of batches[w]!) {
          await twin.appendTranscript('portable', CLAUDE_ID, [e], 0, { dedupe: 'uuid' });
          await twin.appendTranscript('portable', CLAUDE_ID, [e], 0, { dedupe: 'uuid' }); // a retry
        }
      }),
    );
    const stored = ((await storage.loadTranscript('portable', CLAUDE_ID)) ?? []) as { uuid: string }[];
    expect(stored).toHaveLength(60);
    for (const batch of batches) {
      const positions = batch.map((e) => stored.findIndex((s) => s.uuid === e.uuid));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    }
  });

  it('loads a transcript stored as line-range chunks (before manifests) and appends to it', async () => {
    const storage = await withSession();
    const folder = `${storage.prefix}sessions/portable/transcripts/${CLAUDE_ID}/`;
    const text = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `${JSON.stringify(line(from + i))}\n`).join('');
    await putText(client, bucket, `${folder}0000000000-0000000003.jsonl`, text(0, 3));
    await putText(client, bucket, `${folder}0000000003-0000000005.jsonl`, text(3, 5));
    const five = Array.from({ length: 5 }, (_, i) => line(i));
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual(five);
    await storage.appendTranscript('portable', CLAUDE_ID, [line(3), line(5)], 0, { dedupe: 'uuid' });
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual([...five, line(5)]);
    await storage.appendTranscript('portable', CLAUDE_ID, [line(6)], 6);
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual([...five, line(5), line(6)]);
  });

  it('refuses a gap, a missing session and an id that is not a plain name', async () => {
    const storage = await withSession();
    const gap = await storage.appendTranscript('portable', CLAUDE_ID, [line(5)], 5).catch((e: unknown) => e);
    expect(InvalidArgumentError.is(gap), String(gap)).toBe(true);
    const missing = await storage
      .appendTranscript('nobody', CLAUDE_ID, [line(0)], 0)
      .catch((e: unknown) => e);
    expect(SessionNotFoundError.is(missing), String(missing)).toBe(true);
    for (const bad of ['../head.json', 'a/b', '', '..']) {
      const err = await storage.appendTranscript('portable', bad, [line(0)], 0).catch((e: unknown) => e);
      expect(InvalidArgumentError.is(err), `${bad}: ${String(err)}`).toBe(true);
    }
  });

  it('reports a damaged part or manifest as SessionCorruptError', async () => {
    const storage = await withSession();
    await storage.appendTranscript('portable', CLAUDE_ID, [line(0), line(1)], 0);
    const keys = await listAll(client, bucket, `${storage.prefix}sessions/portable/transcripts/`);
    const part = keys.find((k) => k.endsWith('.jsonl'));
    await putText(client, bucket, part ?? '', '{"type":\n{}\n');
    const damaged = await storage.loadTranscript('portable', CLAUDE_ID).catch((e: unknown) => e);
    expect(SessionCorruptError.is(damaged), String(damaged)).toBe(true);
    const manifest = keys.find((k) => k.endsWith('manifest.json'));
    await putText(client, bucket, manifest ?? '', '{"v":2,"lines":9,"parts":[],"uuids":[]}');
    const err = await storage.loadTranscript('portable', CLAUDE_ID).catch((e: unknown) => e);
    expect(SessionCorruptError.is(err), String(err)).toBe(true);
  });

  it('are removed with the session', async () => {
    const storage = await withSession();
    await storage.appendTranscript('portable', CLAUDE_ID, [line(0)], 0);
    await storage.remove('portable');
    expect(await listAll(client, bucket, storage.prefix)).toEqual([]);
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toBeNull();
  });
});
