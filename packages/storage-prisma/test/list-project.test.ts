/**
 * list({ projectKey }) over the `project_key` column: sessions stored before the column (NULL there, as the
 * migration leaves every older row) are filled in from their heads by the first listing by project, in
 * batches, and found; on PostgreSQL the listing is a range of the project index.
 */
import { projectFolderName, storageCapabilities } from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { PrismaSessionStorage } from '../src/index.js';
import { postgresDatabase, sqliteDatabase, type TestDatabase } from './support/databases.js';

const opened: TestDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.destroy();
});

const REPO = '/home/dev/repo-a';
const OTHER = '/srv/other';
const repo = projectFolderName(REPO);

describe.each(['postgresql', 'sqlite'] as const)('list({ projectKey }) on %s', (kind) => {
  async function open() {
    const db = kind === 'postgresql' ? await postgresDatabase(inject('databaseUrl')) : await sqliteDatabase();
    opened.push(db);
    return {
      db,
      storage: new PrismaSessionStorage({ prisma: db.prisma, ...(db.schema ? { schema: db.schema } : {}) }),
    };
  }

  /** Saves a session in `cwd` (none: undefined) at `lastActive` ms. */
  async function save(storage: PrismaSessionStorage, name: string, cwd: string | undefined, at: number) {
    const state = makeState({ messages: 2, lastActive: new Date(Date.UTC(2026, 0, 1) + at) });
    if (cwd === undefined) delete state.metadata.cwd;
    else state.metadata.cwd = cwd;
    await storage.save(state, name);
  }

  it('declares the filter and writes the column at save (moving the session when its cwd changes)', async () => {
    const { db, storage } = await open();
    expect(storage.listFilters).toEqual(['projectKey']);
    expect(storageCapabilities(storage).listByProject).toBe(true);
    await save(storage, 'a', REPO, 1);
    await save(storage, 'none', undefined, 2);
    const rows = await db.prisma.channelCoderSession.findMany({ select: { name: true, projectKey: true } });
    expect(Object.fromEntries(rows.map((r) => [r.name, r.projectKey]))).toEqual({ a: repo, none: '' });
    const moved = await storage.load('a');
    moved.metadata.cwd = OTHER;
    await storage.save(moved, 'a');
    const row = await db.prisma.channelCoderSession.findUnique({ where: { name: 'a' } });
    expect(row?.projectKey).toBe(projectFolderName(OTHER));
  });

  it('finds sessions stored before the column, filling it in batches of rows, damaged heads in no project', async () => {
    const { db, storage } = await open();
    await save(storage, 'template-repo', REPO, 0);
    await save(storage, 'template-other', OTHER, 0);
    await save(storage, 'template-none', undefined, 0);
    const heads = await db.prisma.channelCoderSession.findMany({ orderBy: { name: 'asc' } });
    const [none, other, inRepo] = heads;
    // 1,203 rows as an older version stored them: no project_key (more than two fill batches).
    const legacy = Array.from({ length: 1203 }, (_, i) => {
      const template = i % 3 === 0 ? inRepo! : i % 3 === 1 ? other! : none!;
      return {
        ...template,
        name: `legacy-${String(i).padStart(4, '0')}`,
        lastActive: new Date(Date.UTC(2026, 0, 2) + i * 1000),
        projectKey: null,
      };
    });
    await db.prisma.channelCoderSession.createMany({ data: legacy });
    await db.prisma.channelCoderSession.updateMany({ data: { projectKey: null } });
    await db.prisma.channelCoderSession.create({
      data: { ...inRepo!, name: 'legacy-damaged', head: '{"formatVersion":', projectKey: null },
    });
    // A session saved by this version after the migration is listed with them.
    await save(storage, 'fresh', REPO, 30 * 86_400_000);

    const expected = [
      'fresh',
      ...legacy
        .filter((_, i) => i % 3 === 0)
        .map((r) => r.name)
        .reverse(),
      'template-repo',
    ];
    const page = await storage.list({ projectKey: repo, limit: 20 });
    expect(page.map((e) => e.name)).toEqual(expected.slice(0, 20));
    expect(await db.prisma.channelCoderSession.count({ where: { projectKey: null } })).toBe(0);
    expect((await storage.list({ projectKey: repo })).map((e) => e.name)).toEqual(expected);
    const damaged = await db.prisma.channelCoderSession.findUnique({ where: { name: 'legacy-damaged' } });
    expect(damaged?.projectKey).toBe('');
    expect((await storage.list()).map((e) => e.name)).toContain('legacy-damaged');
  });

  it('ignores rows of trashed sessions, and lists them again once restored', async () => {
    const { db, storage } = await open();
    await save(storage, 'kept', REPO, 1);
    await save(storage, 'binned', REPO, 2);
    const entry = await storage.moveToTrash!('binned');
    await db.prisma.channelCoderSession.updateMany({ data: { projectKey: null } });
    expect((await storage.list({ projectKey: repo })).map((e) => e.name)).toEqual(['kept']);
    await storage.restoreFromTrash!(entry!.id);
    expect((await storage.list({ projectKey: repo })).map((e) => e.name)).toEqual(['binned', 'kept']);
  });

  if (kind === 'postgresql') {
    it('lists on the pool as one prepared statement, paging by cursor in any process time zone', async () => {
      const db = await postgresDatabase(inject('databaseUrl'), { log: true });
      opened.push(db);
      const storage = new PrismaSessionStorage({ prisma: db.prisma, schema: db.schema ?? '' });
      for (let i = 0; i < 5; i++) await save(storage, `p${i}`, i % 2 === 0 ? REPO : OTHER, i * 1000 + 7);
      const zone = process.env.TZ;
      process.env.TZ = 'America/New_York';
      try {
        db.queries.length = 0;
        const pages: string[][] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await storage.list({ limit: 2, ...(cursor === undefined ? {} : { cursor }) });
          if (page.length === 0) break;
          pages.push(page.map((e) => e.name));
          cursor = page.at(-1)?.cursor;
        }
        expect(pages).toEqual([['p4', 'p3'], ['p2', 'p1'], ['p0']]);
        expect(
          (
            await storage.list({
              projectKey: repo,
              limit: 1,
              cursor: (await storage.list({ projectKey: repo }))[0]?.cursor ?? '',
            })
          ).map((e) => e.name),
        ).toEqual(['p2']);
        const [first] = await storage.list({ prefix: 'p4' });
        expect(first?.lastActive.getTime()).toBe(Date.UTC(2026, 0, 1) + 4007);
      } finally {
        if (zone === undefined) delete process.env.TZ;
        else process.env.TZ = zone;
      }
      const listings = db.queries.filter((q) => /^SELECT "name", "head"/.test(q.trim()));
      expect(listings.length).toBeGreaterThan(0);
      // A listing by project is one statement: its page and the check for rows without project_key.
      const byProject = db.queries.filter((q) => q.includes('"project_key" = $3::text'));
      expect(byProject.length).toBeGreaterThan(0);
      expect(byProject.every((q) => /^SELECT "p"."pending"/.test(q.trim()) && q.includes('IS NULL'))).toBe(
        true,
      );
      expect(db.queries.filter((q) => q.includes('"project_key" IS NULL')).length).toBe(byProject.length);
    });

    it('reads one project through the project index (EXPLAIN), with 1,000 newer sessions of other projects', async () => {
      const { db, storage } = await open();
      await save(storage, 'template', REPO, 0);
      const template = await db.prisma.channelCoderSession.findUniqueOrThrow({ where: { name: 'template' } });
      const rows = Array.from({ length: 1050 }, (_, i) => ({
        ...template,
        name: `s${String(i).padStart(4, '0')}`,
        lastActive: new Date(Date.UTC(2026, 0, 2) + i * 1000),
        projectKey: i < 50 ? repo : projectFolderName(`/srv/p${i % 20}`),
      }));
      await db.prisma.channelCoderSession.createMany({ data: rows });
      await db.prisma.$executeRawUnsafe(`ANALYZE "${db.schema}"."channelcoder_sessions"`);
      const plan = await db.prisma.$queryRawUnsafe<Array<{ 'QUERY PLAN': string }>>(
        `EXPLAIN (COSTS OFF) SELECT name, head, last_active FROM "${db.schema}"."channelcoder_sessions"
          WHERE name >= '' AND name < '~' AND project_key = $1 ORDER BY last_active DESC, name LIMIT 20`,
        repo,
      );
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toContain('Index Scan using channelcoder_sessions_project_idx');
      expect(text).not.toMatch(/Sort|Seq Scan/);
      expect((await storage.list({ projectKey: repo, limit: 3 })).map((e) => e.name)).toEqual([
        's0049',
        's0048',
        's0047',
      ]);
    });
  }
});
