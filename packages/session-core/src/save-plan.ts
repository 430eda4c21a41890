/** Decisions every adapter makes on save, in one place: the name, the revision check, what to write. */
import { SessionConflictError } from './errors.js';
import { generateSessionName, normalizeSessionName } from './names.js';
import type { SessionState } from './state.js';

/**
 * The name a save stores under: the explicit name, else `metadata.name`, else a generated one. The result
 * is written back into `metadata.name`, so repeated autosaves of one session write one entry.
 *
 * @throws InvalidSessionNameError
 */
export function resolveSaveName(state: SessionState, name?: string): string {
  const chosen = normalizeSessionName(name ?? state.metadata.name ?? generateSessionName());
  state.metadata.name = chosen;
  return chosen;
}

/**
 * The optimistic-concurrency rule: a save is allowed when the stored revision equals `state.revision`, or
 * nothing is stored (`stored === undefined`) and `state.revision === 0`.
 *
 * @throws SessionConflictError otherwise.
 */
export function assertRevision(name: string, stored: number | undefined, state: SessionState): void {
  const actual = stored ?? 0;
  const ok = stored === undefined ? state.revision === 0 : stored === state.revision;
  if (!ok) throw new SessionConflictError(name, state.revision, actual);
}

/** What an adapter must write for a save, given what it has stored. */
export type MessageWritePlan =
  /** Append `state.messages.slice(from)`; everything before is stored already. */
  | { mode: 'append'; from: number }
  /** Replace every stored message (the messages were cleared or rewritten). */
  | { mode: 'rewrite' };

/**
 * Messages are append-only between saves except after `clear()`; the stored head records how many
 * messages there are and the id of the last one. If the state still has that message at that position,
 * only the tail is new; otherwise the stored messages must be replaced.
 */
export function planMessageWrite(
  stored: { messageCount: number; lastMessageId?: string | undefined } | undefined,
  state: SessionState,
): MessageWritePlan {
  if (stored === undefined || stored.messageCount === 0) return { mode: 'append', from: 0 };
  if (state.messages.length < stored.messageCount) return { mode: 'rewrite' };
  const atBoundary = state.messages[stored.messageCount - 1];
  if (atBoundary === undefined || atBoundary.id !== stored.lastMessageId) return { mode: 'rewrite' };
  return { mode: 'append', from: stored.messageCount };
}
