// A small deployment: one SQLite file through @prisma/adapter-libsql (prebuilt, nothing to compile).
import { createSessionState } from '@channelcoder/session-core';
import { migrate, PrismaSessionStorage } from '@channelcoder/storage-prisma';
import { PrismaLibSql } from '@prisma/adapter-libsql';
// Generated from a schema with `provider = "sqlite"` that includes schema/channelcoder.prisma.
import { PrismaClient } from '../generated/client-sqlite/client.js';

export async function main(url = 'file:./sessions.db') {
  await migrate({ url });
  const prisma = new PrismaClient({ adapter: new PrismaLibSql({ url }) });
  const storage = new PrismaSessionStorage({ prisma });

  await storage.save(createSessionState({ name: 'nightly-report' }));
  const sessions = await storage.list();

  await prisma.$disconnect();
  return sessions;
}
