import { createSessionState, SessionConflictError, SessionNotFoundError } from '@channelcoder/session-core';
import type { FileSessionStorage } from '@channelcoder/storage-file';

/**
 * Several processes (workers, CLI invocations) appending to one session: load, change, save, and start
 * over from a fresh load when another writer saved first. Nothing is lost and nothing is written twice.
 */
export async function appendNote(storage: FileSessionStorage, name: string, note: string): Promise<void> {
  for (;;) {
    const state = await storage.load(name).catch((err: unknown) => {
      if (SessionNotFoundError.is(err)) return createSessionState({ name });
      throw err;
    });
    state.messages.push({
      id: crypto.randomUUID(),
      role: 'user',
      content: note,
      timestamp: new Date(),
      sessionId: state.currentSessionId ?? '',
    });
    try {
      await storage.save(state);
      return;
    } catch (err) {
      if (!SessionConflictError.is(err)) throw err;
    }
  }
}
