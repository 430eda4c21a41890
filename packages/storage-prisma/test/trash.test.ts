/**
 * The trash on PostgreSQL and SQLite: a move renames the session's rows in one transaction (search, list,
 * load and transcripts stop seeing them), a restore renames them back, and two processes moving the same
 * sessions at once leave exactly one entry per session.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SessionConflictError, SessionCorruptError, SessionNotFoundError } from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PrismaSessionStorage } from '../src/index.js';
import { prismaBackdoor } from './support/backdoor.js';
import { postgresDatabase, sqliteDatabase, type TestDatabase } from './support/databases.js';

const providers: [string, () => Promise<TestDatabase>][] = [
  ['PostgreSQL', () => postgresDatabase(inject('databaseUrl'))],
  ['SQLite', sqliteDatabase],
];

for (const [label, open] of providers) {
  describe(`trash on ${label}`, () => {
    let db: TestDatabase;
    let storage: PrismaSessionStorage;
    beforeAll(async () => {
      db = await open();
      storage = new PrismaSessionStorage({
        prisma: db.prisma,
        ...(db.schema === undefined ? {} : { schema: db.schema }),
      });
    });
    afterAll(async () => {
      await db?.destroy();
    });

    it('moves the rows in one transaction and restores them with revision and transcripts', async () => {
      const state = makeState({ messages: 40 });
      state.messages[3]!.content = 'the zebra crossing';
      await storage.save(state, 'binned');
      await storage.appendTranscript!('binned', 'claude-a', [{ type: 'user', text: 'zebra' }], 0);
      if (storage.search) expect((await storage.search('zebra')).map((r) => r.name)).toEqual(['binned']);

      const entry = await storage.moveToTrash!('binned', { reason: 'replaced' });
      expect(entry).toMatchObject({ name: 'binned', reason: 'replaced', session: { messageCount: 40 } });
      expect(await storage.exists('binned')).toBe(false);
      expect(await storage.list()).toEqual([]);
      expect(await storage.loadTranscript!('binned', 'claude-a')).toBeNull();
      if (storage.search) {
        expect(await storage.search('zebra')).toEqual([]);
        // The search indexes themselves leave trashed rows out (partial indexes).
        const defs = await db.prisma.$queryRawUnsafe<{ indexdef: string }[]>(
          `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE '%search_idx' ORDER BY indexname`,
          db.schema,
        );
        expect(defs.map((d) => d.indexdef)).toEqual([
          expect.stringContaining("WHERE (session_name !~~ '~trash~%'::text)"),
          expect.stringContaining("WHERE (session_name !~~ '~trash~%'::text)"),
        ]);
      }
      // Nothing was copied: the rows are the same rows under the trashed name.
      const rows = await db.prisma.channelCoderMessage.count({
        where: { sessionName: `~trash~${entry!.id}` },
      });
      expect(rows).toBe(40);
      expect(await db.prisma.channelCoderMessage.count()).toBe(40);

      await storage.save(makeState({ messages: 1 }), 'binned');
      await expect(storage.restoreFromTrash!(entry!.id)).rejects.toSatisfy(
        (err) => SessionConflictError.is(err) && err.reason === 'name-taken',
      );
      expect(await storage.listTrash!()).toHaveLength(1); // nothing changed

      expect(await storage.restoreFromTrash!(entry!.id, { name: 'restored' })).toBe('restored');
      const back = await storage.load('restored');
      expect(back.revision).toBe(state.revision);
      expect(back.messages.map((m) => m.content)).toEqual(state.messages.map((m) => m.content));
      expect(await storage.loadTranscript!('restored', 'claude-a')).toEqual([
        { type: 'user', text: 'zebra' },
      ]);
      if (storage.search) expect((await storage.search('zebra')).map((r) => r.name)).toEqual(['restored']);
      expect(await storage.listTrash!()).toEqual([]);
      await expect(storage.restoreFromTrash!(entry!.id)).rejects.toSatisfy(SessionNotFoundError.is);
    });

    it('moves and restores a damaged session, still reported as damaged', async () => {
      await storage.save(makeState({ messages: 2 }), 'damaged');
      await prismaBackdoor(db.prisma).corrupt('damaged');
      const entry = await storage.moveToTrash!('damaged');
      expect(entry?.session.error).toBeDefined();
      expect((await storage.list()).map((i) => i.name)).not.toContain('damaged');
      expect(await storage.restoreFromTrash!(entry!.id)).toBe('damaged');
      const listed = (await storage.list()).find((i) => i.name === 'damaged');
      expect(listed?.error).toBeDefined();
      await expect(storage.load('damaged')).rejects.toSatisfy(SessionCorruptError.is);
      await storage.remove('damaged');
    });

    it('purges expired entries with their rows and keeps the others', async () => {
      await storage.save(makeState({ messages: 2 }), 'short');
      await storage.save(makeState({ messages: 2 }), 'long');
      const short = await storage.moveToTrash!('short', { retentionMs: 1 });
      const long = await storage.moveToTrash!('long');
      for (let i = 0; i < 100 && Date.now() <= short!.expiresAt.getTime(); i++)
        await new Promise((r) => setTimeout(r, 5));
      expect((await storage.listTrash!()).map((e) => e.id)).toEqual([long!.id]);
      expect(await storage.purgeTrash!()).toBe(1);
      expect(await db.prisma.channelCoderSession.count({ where: { name: `~trash~${short!.id}` } })).toBe(0);
      expect(await storage.purgeTrash!({ id: long!.id })).toBe(1);
      expect(await db.prisma.channelCoderSession.count({ where: { name: { startsWith: '~' } } })).toBe(0);
    });
  });
}

describe('two processes moving the same sessions (PostgreSQL)', () => {
  it('leaves exactly one entry per session', async () => {
    const db = await postgresDatabase(inject('databaseUrl'));
    try {
      const storage = new PrismaSessionStorage({ prisma: db.prisma, schema: db.schema! });
      const names = Array.from({ length: 10 }, (_, i) => `raced-${i}`);
      for (const name of names) await storage.save(makeState({ messages: 3 }), name);
      const url = new URL(db.url!);
      url.searchParams.set('schema', db.schema!);
      const script = fileURLToPath(new URL('./fixtures/trash-mover.mjs', import.meta.url));
      const children = [0, 1].map(() => {
        const proc = spawn(process.execPath, [script, url.toString(), ...names], {
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        proc.stdout.setEncoding('utf8').on('data', (c: string) => {
          out += c;
        });
        proc.stderr.setEncoding('utf8').on('data', (c: string) => {
          err += c;
        });
        const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
        return { proc, exited, out: () => out, err: () => err };
      });
      for (const c of children) {
        for (let i = 0; i < 1200 && !c.out().includes('ready') && c.proc.exitCode === null; i++)
          await new Promise((r) => setTimeout(r, 50));
        expect(c.out(), c.err()).toContain('ready');
      }
      for (const c of children) c.proc.stdin.end('go\n');
      const codes = await Promise.all(children.map((c) => c.exited));
      expect(codes, children.map((c) => c.err()).join('\n')).toEqual([0, 0]);

      const lines = children.flatMap((c) => c.out().trim().split('\n').slice(1));
      const entries = await storage.listTrash!();
      for (const name of names) {
        const moved = lines.filter((l) => l.startsWith(`moved ${name} `));
        expect(moved, name).toHaveLength(1);
        expect(
          lines.filter((l) => l === `absent ${name}`),
          name,
        ).toHaveLength(1);
        expect(entries.filter((e) => e.name === name).map((e) => e.id)).toEqual([moved[0]!.split(' ')[2]]);
      }
      expect(await storage.list()).toEqual([]);
      expect(await db.prisma.channelCoderMessage.count()).toBe(30);
    } finally {
      await db.destroy();
    }
  });
});
