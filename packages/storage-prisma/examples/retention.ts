// A retention job: delete sessions idle since before `cutoff`, messages first, in one transaction.
// Runs on any provider (no reliance on the database enforcing ON DELETE CASCADE, which SQLite leaves off
// unless `PRAGMA foreign_keys = ON`). Schedule it (cron, a queue) in production.
import type { PrismaClient } from '../generated/client-postgresql/client.js';

export async function removeIdleSessions(prisma: PrismaClient, cutoff: Date): Promise<number> {
  const idle = { lastActive: { lt: cutoff } };
  const [, removed] = await prisma.$transaction([
    prisma.channelCoderMessage.deleteMany({ where: { session: idle } }),
    prisma.channelCoderSession.deleteMany({ where: idle }),
  ]);
  return removed.count;
}
