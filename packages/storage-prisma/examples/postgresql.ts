// Sessions in PostgreSQL next to your own tables. Run `channelcoder-prisma migrate --url "$DATABASE_URL"`
// once (or call migrate() as below), then use the storage with your own PrismaClient.
import { createSessionState } from '@channelcoder/session-core';
import { newMessageId } from '@channelcoder/session-core/storage-kit';
import { migrate, PrismaSessionStorage } from '@channelcoder/storage-prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
// Your generated client; its schema includes the models of schema/channelcoder.prisma.
import { PrismaClient } from '../generated/client-postgresql/client.js';

export async function main(databaseUrl: string, schema = 'public') {
  await migrate({ url: databaseUrl, schema }); // creates the tables once; later runs apply nothing

  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10, // at least the number of saves you run at once: each holds one connection
    connectionTimeoutMillis: 5_000, // a down database fails calls within 5 s instead of hanging
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema }) });
  const storage = new PrismaSessionStorage({ prisma });

  const state = createSessionState({ name: 'support-ticket-42', tags: ['support'] });
  state.messages.push({
    id: newMessageId(),
    role: 'user',
    content: 'Why was I charged twice?',
    timestamp: new Date(),
    sessionId: '',
  });
  await storage.save(state); // revision 1; later saves insert only the new messages

  const loaded = await storage.load('support-ticket-42');
  const newest = await storage.list({ limit: 20, prefix: 'support-' });

  await prisma.$disconnect();
  await pool.end();
  return { loaded, newest };
}
