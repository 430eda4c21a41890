/**
 * load() on PostgreSQL through the adapter's pg pool: one statement returning the messages in chunks of 512
 * joined texts. Every chunk boundary, an empty session and damaged or missing rows in a later chunk.
 */
import { SessionCorruptError, SessionNotFoundError } from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { PrismaSessionStorage } from '../src/index.js';
import { LOAD_CHUNK } from '../src/postgres-sql.js';
import { postgresDatabase, type TestDatabase } from './support/databases.js';

const opened: TestDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.destroy();
});

async function open() {
  const db = await postgresDatabase(inject('databaseUrl'), { log: true });
  opened.push(db);
  return { db, storage: new PrismaSessionStorage({ prisma: db.prisma }) };
}

describe('load() on PostgreSQL in chunks', () => {
  it('returns every message in order across chunk boundaries, in one statement', async () => {
    const { db, storage } = await open();
    for (const count of [0, 1, LOAD_CHUNK - 1, LOAD_CHUNK, LOAD_CHUNK + 1, 2 * LOAD_CHUNK + 77]) {
      const state = makeState({ messages: count, content: (i) => `message ${i} ünï "quoted" \n` });
      await storage.save(state, `s${count}`);
      db.queries.length = 0;
      const loaded = await storage.load(`s${count}`);
      expect(db.queries).toHaveLength(1);
      expect(loaded.messages.map((m) => m.content)).toEqual(state.messages.map((m) => m.content));
      expect(loaded.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
    }
    await expect(storage.load('absent')).rejects.toSatisfy((e: unknown) => SessionNotFoundError.is(e));
  });

  it('names a damaged or missing message of a later chunk as SessionCorruptError', async () => {
    const { db, storage } = await open();
    await storage.save(makeState({ messages: LOAD_CHUNK + 10 }), 'damaged');
    await db.prisma.channelCoderMessage.updateMany({
      where: { sessionName: 'damaged', sequence: LOAD_CHUNK + 3 },
      data: { content: '{"id":' },
    });
    const err = await storage.load('damaged').catch((e: unknown) => e);
    expect(SessionCorruptError.is(err), String(err)).toBe(true);

    await storage.save(makeState({ messages: LOAD_CHUNK + 10 }), 'gap');
    await db.prisma.channelCoderMessage.deleteMany({
      where: { sessionName: 'gap', sequence: LOAD_CHUNK + 4 },
    });
    const gap = await storage.load('gap').catch((e: unknown) => e);
    expect(SessionCorruptError.is(gap), String(gap)).toBe(true);
  });
});
