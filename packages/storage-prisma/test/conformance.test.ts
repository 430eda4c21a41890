import { describeSessionStorage } from '@channelcoder/storage-conformance/vitest';
import { inject } from 'vitest';
import { openPrismaSessionStorage, PrismaSessionStorage } from '../src/index.js';
import { prismaBackdoor } from './support/backdoor.js';
import { postgresDatabase, sqliteDatabase, type TestDatabase } from './support/databases.js';

const providers: [string, () => Promise<TestDatabase>][] = [
  ['PostgreSQL 15 (@prisma/adapter-pg)', () => postgresDatabase(inject('databaseUrl'))],
  ['SQLite (@prisma/adapter-libsql)', sqliteDatabase],
];

/** The tables' schema, for search's own SQL (the test databases live in one schema each). */
const schemaOf = (db: TestDatabase) => (db.schema === undefined ? {} : { schema: db.schema });

for (const [label, open] of providers) {
  const databases = new WeakMap<PrismaSessionStorage, TestDatabase>();
  describeSessionStorage(
    `PrismaSessionStorage on ${label}`,
    async () => {
      const db = await open();
      const storage = new PrismaSessionStorage({ prisma: db.prisma, ...schemaOf(db) });
      databases.set(storage, db);
      return storage;
    },
    {
      backdoor: (storage) => prismaBackdoor(databases.get(storage)!.prisma),
      sibling: (storage) =>
        new PrismaSessionStorage({
          prisma: databases.get(storage)!.prisma,
          ...schemaOf(databases.get(storage)!),
        }),
      destroy: async (storage) => {
        await storage.close();
        await databases.get(storage)?.destroy();
      },
    },
  );
}

// The storage openPrismaSessionStorage() returns from a URL (the bundled client, its own pool), on a schema
// prepared by the test support; the backdoor reaches the same rows through the test client.
{
  const databases = new WeakMap<PrismaSessionStorage, TestDatabase>();
  describeSessionStorage(
    'openPrismaSessionStorage({ url }) on PostgreSQL 15',
    async () => {
      const db = await postgresDatabase(inject('databaseUrl'));
      const url = new URL(db.url!);
      url.searchParams.set('schema', db.schema!);
      const { storage } = await openPrismaSessionStorage({ url: url.toString(), poolSize: 4 });
      databases.set(storage, db);
      return storage;
    },
    {
      backdoor: (storage) => prismaBackdoor(databases.get(storage)!.prisma),
      sibling: (storage) => new PrismaSessionStorage({ prisma: databases.get(storage)!.prisma }),
      destroy: async (storage) => {
        await storage.close();
        await databases.get(storage)?.destroy();
      },
    },
  );
}
