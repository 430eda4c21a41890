/** The conversation a `show --full` or `export --format md|html` prints: from transcripts, else the stored messages. */
import {
  type ConversationItem,
  claudeConfigDir,
  loadSession,
  loadSessionConversation,
  type SessionState,
  type SessionStorage,
} from '@channelcoder/session-core';
import type { CliIo } from '../io.js';

export interface LoadedConversation {
  name: string;
  state: SessionState;
  items: ConversationItem[];
  /** Where the items came from: the Claude transcripts, or only the stored prompts and answers. */
  source: 'transcript' | 'messages';
}

/** Loads the session and its conversation. @throws SessionNotFoundError and the storage's errors. */
export async function loadConversation(
  storage: SessionStorage,
  requested: string,
  io: CliIo,
): Promise<LoadedConversation> {
  const { state, name } = await loadSession(storage, requested);
  const location = { configDir: claudeConfigDir(io.env), cwd: state.metadata.cwd ?? io.cwd };
  const { items } = await loadSessionConversation(storage, name, state, location);
  if (items.length > 0) return { name, state, items, source: 'transcript' };
  // No transcript anywhere (a storage without the capability, on another machine): what the ledger kept.
  const fromMessages: ConversationItem[] = state.messages.map((m) =>
    m.role === 'user'
      ? { kind: 'prompt', text: m.content, timestamp: m.timestamp.toISOString() }
      : { kind: 'answer', text: m.content, timestamp: m.timestamp.toISOString() },
  );
  return { name, state, items: fromMessages, source: 'messages' };
}

/** Tool results longer than this are cut (with a marker) unless `--no-truncate`. */
export const TOOL_RESULT_LIMIT = 2000;

/** The text, cut to `limit` characters with a marker saying how much was left out. */
export function truncated(text: string, limit: number | undefined): string {
  if (limit === undefined || text.length <= limit) return text;
  return `${text.slice(0, limit)}\n… [${text.length - limit} more characters truncated; --no-truncate shows all]`;
}

/** A tool call's input as readable JSON. */
export function inputJson(input: unknown): string {
  return JSON.stringify(input, null, 2) ?? 'null';
}
