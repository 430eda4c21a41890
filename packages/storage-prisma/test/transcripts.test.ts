/** The transcript capability: the CLI's transcript lines stored incrementally with the session. */
import {
  InvalidArgumentError,
  LeaseLostError,
  SessionCorruptError,
  SessionNotFoundError,
  storageCapabilities,
} from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type ChannelCoderPrismaClient, PrismaSessionStorage } from '../src/index.js';
import { postgresDatabase, sqliteDatabase, type TestDatabase } from './support/databases.js';

const opened: TestDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.destroy();
});

const entry = (i: number) => ({
  type: i % 2 === 0 ? 'user' : 'assistant',
  uuid: `line-${i}`,
  message: { content: [{ type: 'text', text: `turn ${i} — ünïcödé 🚀 \u2028` }] },
  cwd: '/srv/app',
});

describe.each(['postgresql', 'sqlite'] as const)('transcripts on %s', (kind) => {
  async function open(log = false) {
    const db =
      kind === 'postgresql'
        ? await postgresDatabase(inject('databaseUrl'), { log })
        : await sqliteDatabase({ log });
    opened.push(db);
    const storage = new PrismaSessionStorage({ prisma: db.prisma });
    await storage.save(makeState({ messages: 2 }), 'portable');
    return { db, storage };
  }

  it('stores lines incrementally and returns them in order, deep-equal', async () => {
    const { db, storage } = await open(true);
    expect(storageCapabilities(storage).transcripts).toBe(true);
    const lines = Array.from({ length: 6 }, (_, i) => entry(i));
    await storage.appendTranscript!('portable', 'claude-1', lines.slice(0, 4), 0);
    db.queries.length = 0;
    await storage.appendTranscript!('portable', 'claude-1', lines.slice(4), 4);
    if (kind === 'postgresql') {
      // One statement, its own transaction: the fence, the checks and the insert of both rows.
      expect(db.queries).toHaveLength(1);
      expect(db.queries[0]).toMatch(/^WITH[\s\S]*INSERT INTO/);
    } else {
      const inserts = db.queries.filter((q) => q.startsWith('INSERT'));
      expect(inserts).toHaveLength(1);
      expect(inserts[0]!.match(/\),\s*\(/g)?.length ?? 0).toBe(1); // two rows
    }
    expect(await storage.loadTranscript!('portable', 'claude-1')).toEqual(lines);
    expect(await storage.loadTranscript!('portable', 'claude-other')).toBeNull();
  });

  it('leaves stored lines as they are on a re-append, and refuses a gap', async () => {
    const { storage } = await open();
    await storage.appendTranscript!('portable', 'c', [entry(0), entry(1)], 0);
    await storage.appendTranscript!('portable', 'c', [{ replaced: true }, entry(2)], 1);
    expect(await storage.loadTranscript!('portable', 'c')).toEqual([entry(0), entry(1), entry(2)]);
    const gap = await storage.appendTranscript!('portable', 'c', [entry(9)], 5).catch((e: unknown) => e);
    expect(InvalidArgumentError.is(gap), String(gap)).toBe(true);
    const absent = await storage.appendTranscript!('nobody', 'c', [entry(0)], 0).catch((e: unknown) => e);
    expect(SessionNotFoundError.is(absent), String(absent)).toBe(true);
  });

  it('stores each line once when appenders race on the same lines', async () => {
    const { storage } = await open();
    const lines = Array.from({ length: 5 }, (_, i) => entry(i));
    await Promise.all(
      Array.from({ length: 4 }, () => storage.appendTranscript!('portable', 'raced', lines, 0)),
    );
    expect(await storage.loadTranscript!('portable', 'raced')).toEqual(lines);
  });

  it('stores, searches and loads lines holding the escape \\u0000 (no NUL reaches a jsonb)', async () => {
    const { storage } = await open();
    const odd = [
      { type: 'user', uuid: 'nul-1', message: { content: 'before\u0000after needle' } },
      { type: 'assistant', uuid: 'nul-2', text: '\u0000' },
    ];
    await storage.appendTranscript!('portable', 'nul', odd.slice(0, 1), 0);
    await storage.appendTranscript!('portable', 'nul', odd.slice(1), 0, { dedupe: 'uuid' });
    await storage.appendTranscript!('portable', 'nul', odd.slice(1), 0, { dedupe: 'uuid' });
    expect(await storage.loadTranscript!('portable', 'nul')).toEqual(odd);
    const state = await storage.load('portable');
    state.messages.push({ ...state.messages[0]!, id: 'nul-message', content: 'x\u0000y needle' } as never);
    await storage.save(state, 'portable');
    expect((await storage.load('portable')).messages.at(-1)).toMatchObject({ content: 'x\u0000y needle' });
    if (storage.search !== undefined) {
      expect((await storage.search('needle')).map((r) => r.name)).toEqual(['portable']);
    }
  });

  it('deletes one transcript at once, leaving the others and the session as they are', async () => {
    const { storage } = await open();
    expect(storageCapabilities(storage).deleteTranscript).toBe(true);
    await storage.appendTranscript!('portable', 'gone', [entry(0), entry(1)], 0);
    await storage.appendTranscript!('portable', 'kept', [entry(2)], 0);
    const revision = await storage.readRevision!('portable');
    expect(await storage.deleteTranscript!('portable', 'gone')).toBe(true);
    expect(await storage.deleteTranscript!('portable', 'gone')).toBe(false);
    expect(await storage.loadTranscript!('portable', 'gone')).toBeNull();
    expect(await storage.loadTranscript!('portable', 'kept')).toEqual([entry(2)]);
    expect(await storage.readRevision!('portable')).toBe(revision);
    // Appended again, it starts at line 0.
    await storage.appendTranscript!('portable', 'gone', [entry(5)], 0);
    expect(await storage.loadTranscript!('portable', 'gone')).toEqual([entry(5)]);
  });

  it('honours the lease fence on delete and on both kinds of append (nothing written when lost)', async () => {
    const { storage } = await open();
    await storage.appendTranscript!('portable', 'fenced', [entry(0)], 0);
    const first = await storage.lease!('portable', { ttlMs: 60_000 });
    await storage.appendTranscript!('portable', 'fenced', [entry(1)], 1, { lease: first });
    await storage.appendTranscript!('portable', 'fenced', [entry(2)], 0, { lease: first, dedupe: 'uuid' });
    await first.release();
    const second = await storage.lease!('portable', { ttlMs: 60_000 });
    expect(await storage.peekLease!('portable')).toMatchObject({
      holder: second.holder,
      token: second.token,
    });
    for (const write of [
      () => storage.appendTranscript!('portable', 'fenced', [entry(3)], 3, { lease: first }),
      () => storage.appendTranscript!('portable', 'fenced', [entry(3)], 0, { lease: first, dedupe: 'uuid' }),
      () => storage.deleteTranscript!('portable', 'fenced', { lease: first }),
    ]) {
      const err = await write().catch((e: unknown) => e);
      expect(LeaseLostError.is(err), String(err)).toBe(true);
    }
    expect(await storage.loadTranscript!('portable', 'fenced')).toEqual([entry(0), entry(1), entry(2)]);
    expect(await storage.deleteTranscript!('portable', 'fenced', { lease: second })).toBe(true);
    await second.release();
    expect(await storage.peekLease!('portable')).toBeNull();
  });

  it('reads the revision alone', async () => {
    const { db, storage } = await open(true);
    expect(await storage.readRevision!('nobody')).toBeNull();
    const state = await storage.load('portable');
    db.queries.length = 0;
    expect(await storage.readRevision!('portable')).toBe(state.revision);
    expect(db.queries).toHaveLength(1);
    expect(db.queries[0]).toMatch(/^SELECT .*revision.* FROM .*channelcoder_sessions/s);
    expect(db.queries[0]).not.toMatch(/head|channelcoder_messages/);
  });

  it('loads a session and a transcript in one statement each on PostgreSQL, with a damaged row still named', async () => {
    const { db, storage } = await open(true);
    await storage.appendTranscript!('portable', 'one', [entry(0), entry(1)], 0);
    db.queries.length = 0;
    const state = await storage.load('portable');
    expect(state.messages).toHaveLength(2);
    expect(await storage.loadTranscript!('portable', 'one')).toEqual([entry(0), entry(1)]);
    if (kind === 'postgresql') expect(db.queries.map((q) => q.split(/\s+/)[0])).toEqual(['SELECT', 'SELECT']);
    // A message row that is valid JSON but two values joined: the joined text parses, the count does not match.
    await db.prisma.channelCoderMessage.updateMany({
      where: { sessionName: 'portable', sequence: 1 },
      data: { content: '{"a":1},{"b":2}' },
    });
    const err = await storage.load('portable').catch((e: unknown) => e);
    expect(SessionCorruptError.is(err), String(err)).toBe(true);
  });

  it('removes the transcripts with the session', async () => {
    const { storage } = await open();
    await storage.appendTranscript!('portable', 'c', [entry(0)], 0);
    expect(await storage.remove('portable')).toBe(true);
    await storage.save(makeState(), 'portable');
    expect(await storage.loadTranscript!('portable', 'c')).toBeNull();
  });

  it('reports a damaged line as SessionCorruptError', async () => {
    const { db, storage } = await open();
    await storage.appendTranscript!('portable', 'c', [entry(0), entry(1)], 0);
    await db.prisma.channelCoderTranscriptLine.updateMany({
      where: { sessionName: 'portable', line: 1 },
      data: { entry: '{"type":' },
    });
    const err = await storage.loadTranscript!('portable', 'c').catch((e: unknown) => e);
    expect(SessionCorruptError.is(err), String(err)).toBe(true);
  });

  it('has no transcript capability when the client lacks the transcript model', async () => {
    const { db } = await open();
    const withoutModel = {
      channelCoderSession: db.prisma.channelCoderSession,
      channelCoderMessage: db.prisma.channelCoderMessage,
      $transaction: db.prisma.$transaction.bind(db.prisma),
    } as unknown as ChannelCoderPrismaClient;
    const storage = new PrismaSessionStorage({ prisma: withoutModel });
    expect(storageCapabilities(storage).transcripts).toBe(false);
    expect((await storage.load('portable')).messages).toHaveLength(2);
  });
});
