/**
 * What PrismaSessionStorage promises beyond the shared suite: incremental writes, list() on session rows
 * only, a literal prefix, conflicts between separate clients, and rollback of a save that fails midway.
 */
import { randomUUID } from 'node:crypto';
import {
  InvalidArgumentError,
  SessionConflictError,
  StorageUnavailableError,
} from '@channelcoder/session-core';
import { addMessages, makeState } from '@channelcoder/storage-conformance';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { PrismaClient as PgPrismaClient } from '../generated/client-postgresql/client.js';
import { type ChannelCoderPrismaClient, PrismaSessionStorage } from '../src/index.js';
import { postgresDatabase, sqliteDatabase, type TestDatabase, testPool } from './support/databases.js';

const opened: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

async function open(kind: 'postgresql' | 'sqlite', options: { log?: boolean } = {}): Promise<TestDatabase> {
  const db =
    kind === 'postgresql'
      ? await postgresDatabase(inject('databaseUrl'), options)
      : await sqliteDatabase(options);
  opened.push(() => db.destroy());
  return db;
}

function insertedRows(queries: string[]): number {
  return queries
    .filter((q) => q.startsWith('INSERT') && q.includes('channelcoder_messages'))
    .reduce((n, q) => n + (q.match(/\),\s*\(/g)?.length ?? 0) + 1, 0);
}

describe.each(['postgresql', 'sqlite'] as const)('PrismaSessionStorage on %s', (kind) => {
  it('a save inserts only the new messages and updates the head row, whatever the session size', async () => {
    const db = await open(kind, { log: true });
    const storage = new PrismaSessionStorage({ prisma: db.prisma });
    const state = makeState({ messages: 200 });
    await storage.save(state, 'growing');
    db.queries.length = 0;
    addMessages(state, 2);
    await storage.save(state, 'growing');
    const writes = db.queries.filter((q) => /^(INSERT|UPDATE|DELETE)/.test(q));
    expect(writes.filter((q) => q.startsWith('UPDATE'))).toHaveLength(1);
    expect(writes.filter((q) => q.startsWith('DELETE'))).toHaveLength(0);
    expect(insertedRows(writes)).toBe(2);
    const rows = await db.prisma.channelCoderMessage.findMany({ where: { sessionName: 'growing' } });
    expect(rows.map((r) => r.sequence).sort((a, b) => a - b)).toEqual([...Array(202).keys()]);
  });

  it('list() reads session rows only, never the messages table', async () => {
    const db = await open(kind, { log: true });
    const storage = new PrismaSessionStorage({ prisma: db.prisma });
    for (let i = 0; i < 3; i++) await storage.save(makeState({ messages: 50 }), `listed-${i}`);
    db.queries.length = 0;
    const page = await storage.list({ limit: 2 });
    await storage.list({ limit: 2, cursor: page.at(-1)!.cursor, prefix: 'listed-' });
    expect(db.queries.length).toBeGreaterThan(0);
    expect(db.queries.filter((q) => q.includes('channelcoder_messages'))).toEqual([]);
  });

  it('matches the prefix literally: `_` is no wildcard and case matters, also across pages', async () => {
    const db = await open(kind, { log: true });
    const storage = new PrismaSessionStorage({ prisma: db.prisma });
    // Stored so the LIKE look-alikes come first in listing order and fill the first raw pages.
    const names = ['aXa', 'aXb', 'aYc', 'A_up', 'a_1', 'a_2', 'a_3', 'ab', 'a.b'];
    for (const [i, name] of names.entries()) {
      await storage.save(makeState({ lastActive: new Date(Date.UTC(2026, 0, 1, 0, 0, 100 - i)) }), name);
    }
    const listed = async (prefix: string, limit?: number) => {
      const out: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await storage.list({
          prefix,
          ...(limit ? { limit } : {}),
          ...(cursor ? { cursor } : {}),
        });
        out.push(...page.map((i) => i.name));
        if (!limit || page.length < limit) return out;
        cursor = page.at(-1)!.cursor;
      }
    };
    expect(await listed('a_')).toEqual(['a_1', 'a_2', 'a_3']);
    expect(await listed('a_', 1)).toEqual(['a_1', 'a_2', 'a_3']);
    expect(await listed('a_', 2)).toEqual(['a_1', 'a_2', 'a_3']);
    expect(await storage.list({ prefix: 'a_', limit: 2 })).toHaveLength(2);
    expect(await listed('A_')).toEqual(['A_up']);
    expect(await listed('a')).toEqual(['aXa', 'aXb', 'aYc', 'a_1', 'a_2', 'a_3', 'ab', 'a.b']);
    db.queries.length = 0;
    for (const prefix of ['%', 'a%', '\\', 'a\\_', '*']) expect(await listed(prefix)).toEqual([]);
    expect(db.queries).toEqual([]);
  });

  it('rolls back a save that fails after the head was updated: the previous revision stays', async () => {
    const db = await open(kind);
    const storage = new PrismaSessionStorage({ prisma: db.prisma });
    const state = makeState({ messages: 4 });
    await storage.save(state, 'half-written');
    const failing = db.prisma.$extends({
      query: {
        channelCoderMessage: {
          createMany: () =>
            Promise.reject(new Error('the process died between the head update and the inserts')),
        },
      },
    });
    const broken = new PrismaSessionStorage({ prisma: failing });
    const next = structuredClone(state);
    addMessages(next, 2);
    await expect(broken.save(next, 'half-written')).rejects.toThrow(/process died/);
    expect(next.revision).toBe(1);
    const stored = await storage.load('half-written');
    expect(stored.revision).toBe(1);
    expect(stored.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
    await storage.save(next, 'half-written');
    expect((await storage.load('half-written')).messages).toHaveLength(6);
  });

  it('never returns a torn session while another client saves, clears and rewrites it', async () => {
    const db = await open(kind);
    // On PostgreSQL this fails with readIsolationLevel: 'ReadCommitted' (head and messages from two snapshots).
    const reader = new PrismaSessionStorage({ prisma: db.prisma });
    const writer = new PrismaSessionStorage({ prisma: db.prisma });
    const state = makeState({ messages: 40 });
    await writer.save(state, 'churning');
    let writing = true;
    const writes = (async () => {
      for (let round = 0; round < 40; round++) {
        // Alternate a rewrite to a different length (clear() then new turns) and an append.
        if (round % 2 === 0) state.messages = makeState({ messages: round % 4 === 0 ? 3 : 60 }).messages;
        else addMessages(state, 5);
        await writer.save(state, 'churning');
      }
      writing = false;
    })();
    const reads = Array.from({ length: 3 }, async () => {
      let loads = 0;
      while (writing) {
        const loaded = await reader.load('churning');
        const ids = new Set(loaded.messages.map((m) => m.id));
        expect(ids.size).toBe(loaded.messages.length);
        loads++;
      }
      return loads;
    });
    await writes;
    const counts = await Promise.all(reads);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('rejects a client generated without the ChannelCoder models', () => {
    const bare = { $transaction: async () => undefined } as unknown as ChannelCoderPrismaClient;
    expect(() => new PrismaSessionStorage({ prisma: bare })).toThrow(InvalidArgumentError);
    expect(() => new PrismaSessionStorage({ prisma: bare })).toThrow(/channelcoder\.prisma/);
  });
});

describe('PrismaSessionStorage on PostgreSQL, several clients', () => {
  async function secondClient(db: TestDatabase): Promise<PgPrismaClient> {
    const pool = testPool(inject('databaseUrl'));
    const prisma = new PgPrismaClient({ adapter: new PrismaPg(pool, { schema: db.schema! }) });
    opened.push(async () => {
      await prisma.$disconnect();
      await pool.end();
    });
    return prisma;
  }

  it('lets exactly one of several writers on separate connection pools win a revision', async () => {
    const db = await open('postgresql');
    const clients = [db.prisma, await secondClient(db), await secondClient(db), await secondClient(db)];
    const storages = clients.map((prisma) => new PrismaSessionStorage({ prisma }));
    await storages[0]!.save(makeState({ messages: 3 }), 'contended');
    for (let round = 1; round <= 5; round++) {
      const copies = await Promise.all(storages.map((s) => s.load('contended')));
      for (const copy of copies) addMessages(copy, 1);
      const results = await Promise.allSettled(storages.map((s, i) => s.save(copies[i]!, 'contended')));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected') expect(SessionConflictError.is(r.reason)).toBe(true);
      const stored = await storages[1]!.load('contended');
      expect(stored.revision).toBe(round + 1);
      expect(stored.messages.map((m) => m.id)).toEqual(copies[winners[0]!]!.messages.map((m) => m.id));
    }
  });

  it('keeps the previous revision when the connection dies mid-save (server-side rollback)', async () => {
    const db = await open('postgresql');
    const storage = new PrismaSessionStorage({ prisma: db.prisma });
    const state = makeState({ messages: 4 });
    await storage.save(state, 'cut-off');
    const marker = `cut-${randomUUID()}`;
    let reached!: () => void;
    const atInsert = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let proceed!: () => void;
    const resume = new Promise<void>((resolve) => {
      proceed = resolve;
    });
    const paused = db.prisma.$extends({
      query: {
        channelCoderMessage: {
          async createMany({ args, query }) {
            reached();
            await resume;
            return query(args);
          },
        },
      },
    });
    const next = structuredClone(state);
    next.metadata.cwd = marker;
    addMessages(next, 3);
    const saving = new PrismaSessionStorage({ prisma: paused }).save(next, 'cut-off');
    await atInsert;
    // The head row is updated but not committed; the session's connection now dies.
    const admin = testPool(inject('databaseUrl'));
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE state = 'idle in transaction' AND query LIKE $1`,
      [`%"${db.schema}"."channelcoder_sessions"%`],
    );
    await admin.end();
    expect(killed.rowCount).toBe(1);
    proceed();
    const err = await saving.catch((e: unknown) => e);
    expect(StorageUnavailableError.is(err), String(err)).toBe(true);
    const stored = await storage.load('cut-off');
    expect(stored.revision).toBe(1);
    expect(stored.metadata.cwd).toBeUndefined();
    expect(stored.messages).toHaveLength(4);
    await storage.save(next, 'cut-off');
    expect((await storage.load('cut-off')).metadata.cwd).toBe(marker);
  });
});
