// A storage from nothing but a URL: no schema to copy, no client to generate. The package's own bundled
// PrismaClient connects, and the shipped migrations run first (a second run applies nothing).
import { createSessionState } from '@channelcoder/session-core';
import { openPrismaSessionStorage } from '@channelcoder/storage-prisma';

export async function main(databaseUrl: string) {
  const { storage, close } = await openPrismaSessionStorage({
    url: databaseUrl, // postgresql://user:password@host:5432/app?schema=channelcoder
    poolSize: 5,
  });
  try {
    await storage.save(createSessionState({ name: 'deploy-bot' }));
    return await storage.list();
  } finally {
    await close(); // ends the connection pool
  }
}
