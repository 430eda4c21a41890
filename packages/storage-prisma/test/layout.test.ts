/**
 * TABLE_LAYOUT in one place: the README's table of tables, the schema's models and the tables the shipped
 * migrations create on PostgreSQL are checked against it, and so is every row a workload of every
 * operation writes (recorded by triggers on the real database).
 */
import { readFileSync } from 'node:fs';
import { addMessages, makeState } from '@channelcoder/storage-conformance';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PrismaSessionStorage } from '../src/index.js';
import { TABLE_LAYOUT } from '../src/layout.js';
import { postgresDatabase, sqliteDatabase, type TestDatabase, testPool } from './support/databases.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const backticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

describe('TABLE_LAYOUT', () => {
  it('is the README table of tables, row by row', () => {
    const readme = read('../README.md');
    const start = readme.indexOf('## Row layout');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const rows = [...section.matchAll(/^\|\s*`(channelcoder_\w+)`\s*\|\s*`(\w+)`\s*\|([^|]+)\|/gm)];
    expect(
      rows.map(([, table, model, columns]) => ({ model, table, columns: backticked(columns!) })),
    ).toEqual(TABLE_LAYOUT);
  });

  it('is the models of schema/channelcoder.prisma: their @@map and the columns of their scalar fields', () => {
    const schema = read('../schema/channelcoder.prisma');
    const models = [...schema.matchAll(/^model (\w+) \{\n([\s\S]*?)^\}/gm)];
    const names = new Set(models.map((m) => m[1]));
    const parsed = models.map(([, model, body]) => {
      const lines = body!.split('\n').map((l) => l.trim());
      const columns = lines
        .filter((l) => /^\w+\s/.test(l))
        .map((l) => l.split(/\s+/))
        .filter(([, type]) => !names.has(type!.replace(/[[\]?]/g, ''))) // relations are not columns
        .map(([field, , ...rest]) => /@map\("(\w+)"\)/.exec(rest.join(' '))?.[1] ?? field);
      const table = /@@map\("(\w+)"\)/.exec(body!)?.[1];
      return { model, table, columns };
    });
    expect(parsed).toEqual(TABLE_LAYOUT);
  });

  it('is the tables and columns the shipped SQLite migrations create', async () => {
    const db = await sqliteDatabase();
    try {
      const rows = await db.prisma.$queryRawUnsafe<{ tbl: string; col: string }[]>(
        `SELECT m.name AS tbl, p.name AS col FROM sqlite_master m JOIN pragma_table_info(m.name) p
          WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_prisma_migrations'`,
      );
      const tables = new Map<string, string[]>();
      for (const r of rows) tables.set(r.tbl, [...(tables.get(r.tbl) ?? []), r.col]);
      expect(Object.fromEntries([...tables].map(([t, c]) => [t, [...c].sort()]))).toEqual(
        Object.fromEntries(TABLE_LAYOUT.map((t) => [t.table, [...t.columns].sort()])),
      );
    } finally {
      await db.destroy();
    }
  });

  describe('on PostgreSQL', () => {
    let db: TestDatabase;
    let storage: PrismaSessionStorage;
    const pool = testPool(inject('databaseUrl'));
    const q = (name: string) => `"${db.schema}"."${name}"`;
    beforeAll(async () => {
      db = await postgresDatabase(inject('databaseUrl'));
      storage = new PrismaSessionStorage({ prisma: db.prisma, schema: db.schema! });
    });
    afterAll(async () => {
      await db?.destroy();
      await pool.end();
    });

    it('is the tables and columns the shipped migrations create', async () => {
      const { rows } = await pool.query<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = $1 AND table_name <> '_prisma_migrations' ORDER BY table_name, ordinal_position`,
        [db.schema],
      );
      const tables = new Map<string, string[]>();
      for (const r of rows) tables.set(r.table_name, [...(tables.get(r.table_name) ?? []), r.column_name]);
      expect(Object.fromEntries([...tables].map(([t, c]) => [t, [...c].sort()]))).toEqual(
        Object.fromEntries(TABLE_LAYOUT.map((t) => [t.table, [...t.columns].sort()])),
      );
    });

    it('covers every row a workload of every operation writes, and the workload writes every table', async () => {
      // A row trigger on every table of the schema logs the table, the operation and the row's columns.
      await pool.query(`CREATE TABLE ${q('layout_log')} (tbl text, op text, cols text[])`);
      await pool.query(`CREATE FUNCTION ${q('layout_log')}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO ${q('layout_log')} VALUES (TG_TABLE_NAME, TG_OP, ARRAY(SELECT jsonb_object_keys(
            CASE TG_OP WHEN 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END)));
          RETURN NULL;
        END $$`);
      const { rows: tables } = await pool.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
          WHERE table_schema = $1 AND table_name NOT IN ('_prisma_migrations', 'layout_log')`,
        [db.schema],
      );
      expect(tables.length).toBeGreaterThan(0);
      for (const { table_name } of tables) {
        await pool.query(
          `CREATE TRIGGER layout_log AFTER INSERT OR UPDATE OR DELETE ON ${q(table_name)}
             FOR EACH ROW EXECUTE FUNCTION ${q('layout_log')}()`,
        );
      }

      const state = makeState({ messages: 3 });
      state.messages[1]!.content = 'the zebra crossing';
      await storage.save(state, 'worked');
      await storage.save(addMessages(state, 2), 'worked');
      await storage.appendTranscript!('worked', 'plain-id', [{ type: 'user' }, { type: 'assistant' }], 0);
      await storage.appendTranscript!('worked', 'plain-id', [{ type: 'user', uuid: 'u-1' }], 2, {
        dedupe: 'uuid',
      });
      const lease = await storage.lease!('worked', { ttlMs: 60_000 });
      await storage.save(addMessages(await storage.load('worked'), 1), 'worked', { lease });
      await lease.release();
      await (await storage.lease!('lease-only', { ttlMs: 60_000 })).release();
      expect((await storage.list()).map((s) => s.name)).toEqual(['worked']);
      expect((await storage.search!('zebra')).map((r) => r.name)).toEqual(['worked']);
      await storage.save(makeState({ messages: 2 }), 'binned');
      const restored = await storage.moveToTrash!('binned');
      const purged = await storage.moveToTrash!('worked');
      expect(await storage.listTrash!()).toHaveLength(2);
      expect(await storage.restoreFromTrash!(restored!.id, { name: 'back' })).toBe('back');
      expect(await storage.purgeTrash!({ id: purged!.id })).toBe(1);
      expect(await storage.remove('back')).toBe(true);

      const { rows: log } = await pool.query<{ tbl: string; op: string; cols: string[] }>(
        `SELECT tbl, op, cols FROM ${q('layout_log')}`,
      );
      const seen = new Set<string>();
      for (const { tbl, op, cols } of log) {
        const layout = TABLE_LAYOUT.find((t) => t.table === tbl);
        expect(layout, `${op} on ${tbl} is in TABLE_LAYOUT`).toBeDefined();
        expect([...cols].sort(), `${op} on ${tbl}`).toEqual([...layout!.columns].sort());
        seen.add(tbl);
      }
      expect(TABLE_LAYOUT.filter((t) => !seen.has(t.table)).map((t) => t.table)).toEqual([]);
      // Every kind of write happened: rows inserted, updated (saves, leases, renames) and deleted.
      expect(new Set(log.map((l) => l.op))).toEqual(new Set(['INSERT', 'UPDATE', 'DELETE']));
    });
  });
});
