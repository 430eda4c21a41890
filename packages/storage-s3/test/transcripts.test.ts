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

  it('uploads only the lines past what is stored; re-appending stored lines is a no-op', async () => {
    const storage = await withSession();
    const lines = Array.from({ length: 6 }, (_, i) => line(i));
    await storage.appendTranscript('portable', CLAUDE_ID, lines.slice(0, 4), 0);
    const counter = countRequests(client);
    await storage.appendTranscript('portable', CLAUDE_ID, lines.slice(2), 2); // lines 2-3 are stored already
    const puts = counter.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.path.split('/').at(-1))).toEqual(['0000000004-0000000006.jsonl']);
    counter.reset();
    await storage.appendTranscript('portable', CLAUDE_ID, lines.slice(0, 6), 0);
    expect(counter.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    expect(await storage.loadTranscript('portable', CLAUDE_ID)).toEqual(lines);
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

  it('reports a damaged chunk as SessionCorruptError', async () => {
    const storage = await withSession();
    await storage.appendTranscript('portable', CLAUDE_ID, [line(0), line(1)], 0);
    const [chunk] = await listAll(client, bucket, `${storage.prefix}sessions/portable/transcripts/`);
    await putText(client, bucket, chunk ?? '', '{"type":\n{}\n');
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
