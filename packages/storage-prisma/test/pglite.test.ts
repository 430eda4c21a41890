/**
 * PGlite (PostgreSQL compiled to WebAssembly, in-process) through pglite-prisma-adapter: the PostgreSQL
 * migrations apply and the storage works on it. The full conformance suite runs on PostgreSQL and SQLite;
 * this shows the embedded PostgreSQL option end to end.
 */

import { SessionConflictError } from '@channelcoder/session-core';
import { addMessages, makeState } from '@channelcoder/storage-conformance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PrismaSessionStorage } from '../src/index.js';
import { pgliteDatabase, type TestDatabase } from './support/databases.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await pgliteDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

it('saves incrementally, loads, lists and detects conflicts on PGlite', async () => {
  const storage = new PrismaSessionStorage({ prisma: db.prisma });
  const state = makeState({ messages: 3 });
  await storage.save(state, 'embedded');
  addMessages(state, 2);
  await storage.save(state, 'embedded');
  const loaded = await storage.load('embedded');
  expect(loaded.revision).toBe(2);
  expect(loaded.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
  const stale = structuredClone(loaded);
  stale.revision = 1;
  await expect(storage.save(stale, 'embedded')).rejects.toSatisfy((e) => SessionConflictError.is(e));
  expect((await storage.list()).map((i) => [i.name, i.messageCount])).toEqual([['embedded', 5]]);
  expect(await storage.remove('embedded')).toBe(true);
});
