/**
 * Reaches under PrismaSessionStorage to the rows it stores (test-only: it writes rows the adapter never
 * would). Used by the conformance suite and the adapter's own corruption tests.
 */
import type { StorageBackdoor } from '@channelcoder/storage-conformance';
import type { PrismaClient } from '../../generated/client-postgresql/client.js';

export function prismaBackdoor(prisma: PrismaClient): StorageBackdoor {
  return {
    /** Truncates the head row's JSON, as a torn or damaged write would leave it. */
    corrupt: async (name) => {
      const row = await prisma.channelCoderSession.findUniqueOrThrow({ where: { name } });
      await prisma.channelCoderSession.update({
        where: { name },
        data: { head: row.head.slice(0, Math.floor(row.head.length / 2)) },
      });
    },
    /** Damages one message row, leaving the head (and so the listing) intact. */
    corruptMessages: async (name) => {
      await prisma.channelCoderMessage.updateMany({
        where: { sessionName: name, sequence: 1 },
        data: { content: '{"id":"m1","role":"user","content":' },
      });
    },
    /** Stores a whole wire document (any format version) split into a head row and message rows. */
    plant: async (name, document) => {
      const doc = JSON.parse(document) as Record<string, unknown> & {
        messages?: Record<string, unknown>[];
        metadata?: { lastActive?: string; created?: string };
        usage?: { totalCostUsd?: number };
      };
      const { messages = [], ...rest } = doc;
      const last = messages.at(-1);
      const lastMessageId = typeof last?.id === 'string' ? last.id : null;
      const head = { ...rest, messageCount: messages.length, ...(lastMessageId ? { lastMessageId } : {}) };
      const lastActive = new Date(doc.metadata?.lastActive ?? 0);
      await prisma.$transaction([
        prisma.channelCoderMessage.deleteMany({ where: { sessionName: name } }),
        prisma.channelCoderSession.deleteMany({ where: { name } }),
        prisma.channelCoderSession.create({
          data: {
            name,
            // Format 0 had no revision and reads as revision 1 (stored once).
            revision: typeof doc.revision === 'number' ? doc.revision : 1,
            head: JSON.stringify(head),
            created: new Date(doc.metadata?.created ?? lastActive),
            lastActive,
            messageCount: messages.length,
            lastMessageId,
            totalCostUsd: doc.usage?.totalCostUsd ?? 0,
          },
        }),
        prisma.channelCoderMessage.createMany({
          data: messages.map((m, sequence) => ({ sessionName: name, sequence, content: JSON.stringify(m) })),
        }),
      ]);
    },
  };
}
