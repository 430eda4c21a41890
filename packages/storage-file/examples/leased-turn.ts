import { createSessionState, SessionNotFoundError } from '@channelcoder/session-core';
import type { FileSessionStorage } from '@channelcoder/storage-file';

/**
 * Several processes taking turns on one session: each turn holds the session's lease, so no two turns
 * run at once and no save conflicts. A turn whose lease was lost (it ran past its ttl without renewing)
 * gets LeaseLostError from its save, and nothing is written.
 */
export async function leasedNote(storage: FileSessionStorage, name: string, note: string): Promise<void> {
  const lease = await storage.lease(name, { ttlMs: 30_000, waitMs: 10_000 });
  try {
    const state = await storage.load(name).catch((err: unknown) => {
      if (SessionNotFoundError.is(err)) return createSessionState({ name });
      throw err;
    });
    // … a long turn renews the lease every ttl/3 with lease.renew() …
    state.messages.push({
      id: crypto.randomUUID(),
      role: 'user',
      content: note,
      timestamp: new Date(),
      sessionId: state.currentSessionId ?? '',
    });
    await storage.save(state, name, { lease });
  } finally {
    await lease.release();
  }
}
