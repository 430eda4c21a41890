/**
 * Where a session's conversation is read from: the transcripts stored with it (portable sessions), else the
 * CLI's local transcripts on this machine, else nothing (the caller falls back to the stored messages).
 */
import type { SessionState } from '../state.js';
import type { SessionStorage } from '../storage.js';
import { type ConversationItem, readConversation } from './conversation.js';
import { findLocalTranscript, readTranscriptLines, type TranscriptLocation } from './local-transcript.js';

export interface SessionConversation {
  /** The conversation, oldest first; empty when no transcript was found. */
  items: ConversationItem[];
  /** Per Claude session id of the chain: where its transcript came from. */
  sources: Record<string, 'storage' | 'local' | 'missing'>;
}

/**
 * Reads the transcripts of every Claude session id in the session's chain, in chain order, and turns them
 * into one conversation (copied history of a resumed or forked transcript appears once).
 *
 * @param location where to look for local transcripts when the storage keeps none for an id.
 * @throws the storage's errors (StorageUnavailableError, SessionCorruptError); a missing transcript is not an error.
 */
export async function loadSessionConversation(
  storage: SessionStorage,
  name: string,
  state: SessionState,
  location: TranscriptLocation,
): Promise<SessionConversation> {
  const entries: unknown[] = [];
  const sources: SessionConversation['sources'] = {};
  for (const id of new Set(state.sessionChain)) {
    const stored =
      typeof storage.loadTranscript === 'function' ? await storage.loadTranscript(name, id) : null;
    if (stored !== null && stored.length > 0) {
      entries.push(...stored);
      sources[id] = 'storage';
      continue;
    }
    const path = await findLocalTranscript(location, id);
    if (path === undefined) {
      sources[id] = 'missing';
      continue;
    }
    entries.push(...(await readTranscriptLines(path, id)).entries);
    sources[id] = 'local';
  }
  return { items: readConversation(entries), sources };
}
