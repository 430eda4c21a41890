/**
 * Compressed transcripts: each append is one compressed list element; loads return exactly the stored
 * lines; transcripts stored before compression (plain lines) still load and take appends of both kinds.
 */

import { decodeTranscriptChunk, isCompressedTranscriptChunk } from '@channelcoder/session-core/storage-kit';
import { makeState } from '@channelcoder/storage-conformance';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { sessionKeys, transcriptKey, transcriptUuidIndexKey, uuidIndexId } from '../src/keys.js';
import { claudeEntry } from './support/claude-lines.js';
import { recordCommands } from './support/command-log.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const client: Redis = connect(inject('redisUrl'));
let prefix: string;
let storage: RedisSessionStorage;
const ID = '2b1c9a54-6a57-4a43-9d0e-4e3f6c1f0d11';
const entries = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => claudeEntry(from + i));

beforeEach(async () => {
  prefix = uniquePrefix('ccz');
  storage = new RedisSessionStorage({ client, prefix });
  await storage.save(makeState({ messages: 2 }), 's');
});
afterEach(async () => {
  await deletePrefix(client, prefix);
});
afterAll(async () => {
  await client.quit();
});

/** Stores a transcript the way versions before compression did: one plain JSON line per element. */
async function plantLegacy(lines: unknown[], options: { uuidIndexLines?: number } = {}) {
  const key = transcriptKey(prefix, 's', ID);
  await client.rpush(key, ...lines.map((l) => JSON.stringify(l)));
  await client.sadd(sessionKeys(prefix, 's').transcripts, ID);
  if (options.uuidIndexLines !== undefined) {
    // An index an older dedupe append kept: `#lines` (lines = elements then), uuids, no `#count`.
    const index = transcriptUuidIndexKey(prefix, 's', ID);
    const fields = lines
      .slice(0, options.uuidIndexLines)
      .flatMap((l) => [`u:${(l as { uuid: string }).uuid}`, '1']);
    await client.hset(index, '#lines', String(options.uuidIndexLines), ...fields);
    await client.sadd(sessionKeys(prefix, 's').transcripts, uuidIndexId(ID));
  }
}

describe('compressed transcript chunks', () => {
  it('stores each append as one compressed element and loads exactly the same lines', async () => {
    const all = entries(0, 40);
    for (let at = 0; at < all.length; at += 4)
      await storage.appendTranscript('s', ID, all.slice(at, at + 4), at);
    const elements = await client.lrangeBuffer(transcriptKey(prefix, 's', ID), 0, -1);
    expect(elements).toHaveLength(10);
    expect(elements.every((e) => isCompressedTranscriptChunk(e))).toBe(true);
    // The exact JSON text of each line, not only equal values.
    expect(elements.flatMap((e) => decodeTranscriptChunk(e))).toEqual(all.map((e) => JSON.stringify(e)));
    expect(await storage.loadTranscript('s', ID)).toEqual(all);
  });

  it('stores at most a quarter of the raw bytes for turns of Claude lines', async () => {
    const all = entries(0, 200);
    for (let at = 0; at < all.length; at += 4)
      await storage.appendTranscript('s', ID, all.slice(at, at + 4), at);
    const raw = all.reduce<number>((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
    const elements = await client.lrangeBuffer(transcriptKey(prefix, 's', ID), 0, -1);
    const stored = elements.reduce((n, e) => n + e.length, 0);
    expect(stored / raw).toBeLessThanOrEqual(0.25);
  });

  it('appends with the same commands at any transcript length (no read of stored lines)', async () => {
    const all = entries(0, 304);
    const sent: string[][] = [];
    for (let at = 0; at < all.length; at += 4) {
      const log = recordCommands(client);
      try {
        await storage.appendTranscript('s', ID, all.slice(at, at + 4), at);
        if (at === 8 || at === 300) sent.push(log.names());
        expect(log.roundTrips()).toBe(1);
      } finally {
        log.restore();
      }
    }
    expect(sent[1]).toEqual(sent[0]);
    expect(sent[0]!.some((n) => n === 'lrange' || n === 'llen')).toBe(false);
    expect(await storage.loadTranscript('s', ID)).toEqual(all);
  });

  it('positional appends skip lines already stored, re-sending only the rest', async () => {
    await storage.appendTranscript('s', ID, entries(0, 6), 0);
    await storage.appendTranscript('s', ID, entries(6, 10), 6);
    await storage.appendTranscript('s', ID, entries(3, 12), 3);
    await storage.appendTranscript('s', ID, entries(0, 12), 0);
    expect(await storage.loadTranscript('s', ID)).toEqual(entries(0, 12));
    expect(await client.hget(transcriptUuidIndexKey(prefix, 's', ID), '#count')).toBe('12');
  });

  it('dedupe uuid across compressed chunks written by positional appends', async () => {
    await storage.appendTranscript('s', ID, entries(0, 8), 0);
    await storage.appendTranscript('s', ID, entries(4, 12), 0, { dedupe: 'uuid' });
    await storage.appendTranscript('s', ID, entries(12, 14), 12);
    await storage.appendTranscript('s', ID, [...entries(10, 16), claudeEntry(15)], 0, { dedupe: 'uuid' });
    expect(await storage.loadTranscript('s', ID)).toEqual(entries(0, 16));
  });
});

describe('transcripts stored before compression', () => {
  it('load as they are and take positional appends after their lines', async () => {
    await plantLegacy(entries(0, 10));
    expect(await storage.loadTranscript('s', ID)).toEqual(entries(0, 10));
    await storage.appendTranscript('s', ID, entries(8, 14), 8);
    await storage.appendTranscript('s', ID, entries(14, 16), 14);
    expect(await storage.loadTranscript('s', ID)).toEqual(entries(0, 16));
    const elements = await client.lrangeBuffer(transcriptKey(prefix, 's', ID), 0, -1);
    expect(elements.map((e) => isCompressedTranscriptChunk(e))).toEqual([
      ...Array(10).fill(false),
      true,
      true,
    ]);
  });

  it('take dedupe appends: the older uuid index catches up with plain and compressed elements', async () => {
    await plantLegacy(entries(0, 10), { uuidIndexLines: 6 });
    await storage.appendTranscript('s', ID, entries(10, 12), 10);
    await storage.appendTranscript('s', ID, entries(2, 14), 0, { dedupe: 'uuid' });
    expect(await storage.loadTranscript('s', ID)).toEqual(entries(0, 14));
    expect(await client.hmget(transcriptUuidIndexKey(prefix, 's', ID), '#count', '#lines')).toEqual([
      '14',
      '12',
    ]);
    await expect(storage.appendTranscript('s', ID, entries(20, 21), 15)).rejects.toThrow(
      /14 lines are stored/,
    );
  });

  it('are deleted, trashed and restored with their index', async () => {
    await plantLegacy(entries(0, 4), { uuidIndexLines: 4 });
    await storage.appendTranscript('s', ID, entries(4, 6), 4);
    const entry = await storage.moveToTrash('s');
    await storage.restoreFromTrash(entry!.id);
    expect(await storage.loadTranscript('s', ID)).toEqual(entries(0, 6));
    expect(await storage.deleteTranscript('s', ID)).toBe(true);
    expect(await storage.loadTranscript('s', ID)).toBeNull();
  });
});
