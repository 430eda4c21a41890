import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  InvalidArgumentError,
  SessionCorruptError,
  SessionNotFoundError,
  storageCapabilities,
} from '@channelcoder/session-core';
import {
  decodeTranscriptChunk,
  encodeTranscriptChunk,
  isCompressedTranscriptChunk,
} from '@channelcoder/session-core/storage-kit';
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
    expect(puts).toEqual([expect.stringMatching(/^\d{10}\.part$/)]);
    counter.reset();
    await storage.appendTranscript('portable', CLAUDE_ID, lines.slice(0, 6), 0);
    expect(counter.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual(lines);
  });

  it('appends with one PUT (If-None-Match: *) per append at any length; a load is one LIST + a GET per part', async () => {
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
      // The first append checks that the session exists (HEAD) and reads what is stored (LIST).
      expect(perAppend[0]).toBe(3);
      expect(perAppend.slice(1)).toEqual(Array(39).fill(1));
      counter.reset();
      expect(await twin.loadTranscript('portable', CLAUDE_ID)).toHaveLength(40);
      // One LIST of the transcript's folder, then one GET per part.
      const gets = counter.requests.filter((r) => r.method === 'GET');
      expect(gets.filter((r) => r.path.endsWith('.part'))).toHaveLength(40);
      expect(gets).toHaveLength(41);
    } finally {
      counting.destroy();
    }
  });

  it('appends with one PUT after a load in a fresh process (the load tells what is stored)', async () => {
    const storage = await withSession();
    for (let i = 0; i < 5; i++) await storage.appendTranscript('portable', CLAUDE_ID, [line(i)], i);
    const counting = makeClient(endpoint);
    try {
      const twin = new S3SessionStorage({ client: counting, bucket, prefix: storage.prefix });
      expect(await twin.loadTranscript('portable', CLAUDE_ID)).toHaveLength(5);
      const counter = countRequests(counting);
      await twin.appendTranscript('portable', CLAUDE_ID, [line(4), line(5)], 0, { dedupe: 'uuid' });
      expect(counter.requests.map((r) => r.method)).toEqual(['PUT']);
      expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual(
        Array.from({ length: 6 }, (_, i) => line(i)),
      );
    } finally {
      counting.destroy();
    }
  });

  it('the first append of a process that never read the transcript costs the same requests at 3 parts and at 60', async () => {
    const storage = await withSession();
    const counting = makeClient(endpoint);
    const steps = (requests: { method: string; path: string }[]) =>
      requests.map((r) => `${r.method} ${r.path.split('/').at(-1)?.replace(/\?.*$/, '')}`).sort();
    const counter = countRequests(counting);
    try {
      const seen: string[][] = [];
      for (const [id, parts] of [
        ['short-id', 3],
        ['long-id', 60],
      ] as const) {
        for (let i = 0; i < parts; i++) await storage.appendTranscript('portable', id, [line(i)], i);
        const fresh = new S3SessionStorage({ client: counting, bucket, prefix: storage.prefix });
        counter.reset();
        // Positional: the count comes from the last part's metadata; lines 0 to parts-1 are stored.
        await fresh.appendTranscript('portable', id, [line(parts - 1), line(parts)], parts - 1);
        seen.push(steps(counter.requests));
        counter.reset();
        await fresh.appendTranscript('portable', id, [line(parts + 1)], parts + 1);
        expect(counter.requests.map((r) => r.method)).toEqual(['PUT']);
        const gap = await new S3SessionStorage({ client: counting, bucket, prefix: storage.prefix })
          .appendTranscript('portable', id, [line(99)], parts + 3)
          .catch((e: unknown) => e);
        expect(InvalidArgumentError.is(gap), String(gap)).toBe(true);
        expect(await storage.loadTranscript('portable', id)).toEqual(
          Array.from({ length: parts + 2 }, (_, i) => line(i)),
        );
      }
      // HEAD of the session head, LIST of the folder, HEAD of the last part, PUT of the next.
      expect(seen[0]).toEqual(['GET ', 'HEAD 0000000003.part', 'HEAD head.json', 'PUT 0000000004.part']);
      expect(seen[1]).toEqual(['GET ', 'HEAD 0000000060.part', 'HEAD head.json', 'PUT 0000000061.part']);
    } finally {
      counting.destroy();
    }
  });

  it('a process that never read the transcript reads it once for a dedupe, or when the last part has no line count', async () => {
    const storage = await withSession();
    for (let i = 0; i < 4; i++) await storage.appendTranscript('portable', CLAUDE_ID, [line(i)], i);
    const counting = makeClient(endpoint);
    try {
      const fresh = new S3SessionStorage({ client: counting, bucket, prefix: storage.prefix });
      const counter = countRequests(counting);
      await fresh.appendTranscript('portable', CLAUDE_ID, [line(1), line(4)], 0, { dedupe: 'uuid' });
      expect(counter.requests.filter((r) => r.method === 'GET' && r.path.includes('.part'))).toHaveLength(4);
      // A part as an earlier version wrote it: no line-count metadata, so the next fresh appender reads all.
      const folder = `${storage.prefix}sessions/portable/transcripts/${CLAUDE_ID}/`;
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${folder}0000000006.part`,
          Body: encodeTranscriptChunk([JSON.stringify(line(5))]),
        }),
      );
      const later = new S3SessionStorage({ client: counting, bucket, prefix: storage.prefix });
      counter.reset();
      await later.appendTranscript('portable', CLAUDE_ID, [line(5), line(6)], 5);
      expect(counter.requests.filter((r) => r.method === 'GET' && r.path.includes('.part'))).toHaveLength(6);
      expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual(
        Array.from({ length: 7 }, (_, i) => line(i)),
      );
      // After a deletion, a fresh appender starts at line 0 from the marker's count.
      expect(await storage.deleteTranscript('portable', CLAUDE_ID)).toBe(true);
      const afterDelete = new S3SessionStorage({ client: counting, bucket, prefix: storage.prefix });
      counter.reset();
      await afterDelete.appendTranscript('portable', CLAUDE_ID, [line(0)], 0);
      expect(counter.requests.filter((r) => r.method === 'GET' && r.path.includes('.part'))).toEqual([]);
      expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual([line(0)]);
    } finally {
      counting.destroy();
    }
  });

  it('two processes that never read the transcript append the same positional lines at once: stored once', async () => {
    const storage = await withSession();
    for (let i = 0; i < 8; i++) await storage.appendTranscript('portable', CLAUDE_ID, [line(i)], i);
    for (let round = 0; round < 3; round++) {
      const [a, b] = [0, 1].map(() => new S3SessionStorage({ client, bucket, prefix: storage.prefix }));
      const at = 8 + 2 * round;
      // Both learn "8 + 2·round lines" from the last part's count, both PUT the next number: one gets 412,
      // reads the other's part, finds its lines stored and writes nothing.
      await Promise.all([
        a?.appendTranscript('portable', CLAUDE_ID, [line(at), line(at + 1)], at),
        b?.appendTranscript('portable', CLAUDE_ID, [line(at), line(at + 1)], at),
      ]);
    }
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual(
      Array.from({ length: 14 }, (_, i) => line(i)),
    );
  });

  it('a writer that lost its number reads only the parts it missed; a fenced append adds one GET near expiry', async () => {
    const storage = await withSession();
    const counting = makeClient(endpoint);
    try {
      const twin = new S3SessionStorage({ client: counting, bucket, prefix: storage.prefix });
      for (let i = 0; i < 20; i++) await twin.appendTranscript('portable', CLAUDE_ID, [line(i)], i);
      await storage.loadTranscript('portable', CLAUDE_ID);
      await storage.appendTranscript('portable', CLAUDE_ID, [line(20)], 20);
      await storage.appendTranscript('portable', CLAUDE_ID, [line(21)], 21);
      const counter = countRequests(counting);
      await twin.appendTranscript('portable', CLAUDE_ID, [line(22)], 22, { dedupe: 'uuid' });
      // PUT 21 (412), LIST after part 20, GET parts 21 and 22, PUT 23.
      expect(counter.requests.map((r) => `${r.method} ${r.path.split('/').at(-1)}`)).toEqual([
        'PUT 0000000021.part',
        expect.stringMatching(/^GET /),
        'GET 0000000021.part',
        'GET 0000000022.part',
        'PUT 0000000023.part',
      ]);
      const lease = await twin.lease('portable', { ttlMs: 60_000 });
      counter.reset();
      await twin.appendTranscript('portable', CLAUDE_ID, [line(23)], 23, { lease });
      // Its own lease with over 10 s to run: no head read.
      expect(counter.requests.map((r) => `${r.method} ${r.path.split('/').at(-1)}`)).toEqual([
        'PUT 0000000024.part',
      ]);
      await lease.release();
      const short = await twin.lease('portable', { ttlMs: 5_000 });
      counter.reset();
      await twin.appendTranscript('portable', CLAUDE_ID, [line(24)], 24, { lease: short });
      expect(counter.requests.map((r) => `${r.method} ${r.path.split('/').at(-1)}`)).toEqual([
        'GET head.json',
        'PUT 0000000025.part',
      ]);
      await short.release();
      expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual(
        Array.from({ length: 25 }, (_, i) => line(i)),
      );
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

  it('reports a damaged part, or a damaged manifest of the previous layout, as SessionCorruptError', async () => {
    const storage = await withSession();
    await storage.appendTranscript('portable', CLAUDE_ID, [line(0), line(1)], 0);
    const keys = await listAll(client, bucket, `${storage.prefix}sessions/portable/transcripts/`);
    const part = keys.find((k) => k.endsWith('.part'));
    await putText(client, bucket, part ?? '', '{"type":\n{}\n');
    const damaged = await storage.loadTranscript('portable', CLAUDE_ID).catch((e: unknown) => e);
    expect(SessionCorruptError.is(damaged), String(damaged)).toBe(true);
    const folder = `${storage.prefix}sessions/portable/transcripts/other-id/`;
    await putText(client, bucket, `${folder}manifest.json`, '{"v":2,"lines":9,"parts":[],"uuids":[]}');
    const err = await storage.loadTranscript('portable', 'other-id').catch((e: unknown) => e);
    expect(SessionCorruptError.is(err), String(err)).toBe(true);
  });

  it('stores each append compressed with the transcript codec', async () => {
    const storage = await withSession();
    const lines = Array.from({ length: 20 }, (_, i) => line(i));
    await storage.appendTranscript('portable', CLAUDE_ID, lines, 0);
    const [key] = await listAll(client, bucket, `${storage.prefix}sessions/portable/transcripts/`);
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from((await out.Body?.transformToByteArray()) ?? []);
    expect(isCompressedTranscriptChunk(bytes)).toBe(true);
    expect(decodeTranscriptChunk(bytes)).toEqual(lines.map((l) => JSON.stringify(l)));
    expect(bytes.length).toBeLessThan(lines.map((l) => JSON.stringify(l)).join('\n').length / 2);
  });

  it('loads a transcript of the previous layout (manifest + p-<hex> parts) and appends after it', async () => {
    const storage = await withSession();
    const folder = `${storage.prefix}sessions/portable/transcripts/${CLAUDE_ID}/`;
    const text = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `${JSON.stringify(line(from + i))}\n`).join('');
    await putText(client, bucket, `${folder}p-00000000000000aa.jsonl`, text(0, 2));
    await putText(client, bucket, `${folder}p-00000000000000ff.jsonl`, text(2, 4)); // listed first
    await putText(client, bucket, `${folder}p-0000000000000077.jsonl`, text(9, 10)); // listed by no manifest
    const manifest = {
      v: 2,
      lines: 4,
      parts: [
        ['p-00000000000000aa.jsonl', 2],
        ['p-00000000000000ff.jsonl', 2],
      ],
      uuids: [],
    };
    await putText(client, bucket, `${folder}manifest.json`, JSON.stringify(manifest));
    const four = Array.from({ length: 4 }, (_, i) => line(i));
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual(four);
    // A fresh storage object (no knowledge of the transcript): uuid dedupe sees the old lines.
    const twin = new S3SessionStorage({ client, bucket, prefix: storage.prefix });
    await twin.appendTranscript('portable', CLAUDE_ID, [line(2), line(4)], 0, { dedupe: 'uuid' });
    await twin.appendTranscript('portable', CLAUDE_ID, [line(5)], 5);
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual([...four, line(4), line(5)]);
  });

  it('takes positional appends of another writer into account (a stale view is refreshed, not a gap)', async () => {
    const storage = await withSession();
    const twin = new S3SessionStorage({ client, bucket, prefix: storage.prefix });
    await storage.appendTranscript('portable', CLAUDE_ID, [line(0)], 0);
    await twin.appendTranscript('portable', CLAUDE_ID, [line(1), line(2)], 1);
    // storage last saw 1 line; line 3 follows the twin's append.
    await storage.appendTranscript('portable', CLAUDE_ID, [line(3)], 3);
    // Re-sending lines the twin stored writes nothing new.
    await storage.appendTranscript('portable', CLAUDE_ID, [line(2), line(3), line(4)], 2);
    const five = Array.from({ length: 5 }, (_, i) => line(i));
    expect(await twin.loadTranscript('portable', CLAUDE_ID)).toEqual(five);
    const gap = await storage.appendTranscript('portable', CLAUDE_ID, [line(9)], 9).catch((e: unknown) => e);
    expect(InvalidArgumentError.is(gap), String(gap)).toBe(true);
  });

  it('are removed with the session', async () => {
    const storage = await withSession();
    await storage.appendTranscript('portable', CLAUDE_ID, [line(0)], 0);
    await storage.remove('portable');
    expect(await listAll(client, bucket, storage.prefix)).toEqual([]);
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toBeNull();
  });
});
