/** What a save writes: which part objects the new head names, and the one part it uploads. Pure. */
import type { Message, SessionState } from '@channelcoder/session-core';
import { planMessageWrite } from '@channelcoder/session-core/storage-kit';
import type { StoredHead } from './head-record.js';
import { newPartId, type PartRef } from './keys.js';

export interface PartPlan {
  /** The parts the new head names, in message order. */
  parts: PartRef[];
  /** The part to upload before the head (absent when there are no messages to write). */
  newPart?: { id: string; messages: Message[] };
  /** True when stored parts stop being named (a rewrite after clear(), or a compaction): collect them. */
  replacesParts: boolean;
}

/**
 * Appends the new messages as one part after the stored ones; rewrites everything into one part after
 * `clear()` (or when the head held its messages inline); and compacts into one part when the result would
 * have more than `compactAfterParts` parts. The state holds every message, so a compaction reads nothing.
 */
export function planParts(
  stored: StoredHead | undefined,
  state: SessionState,
  revision: number,
  compactAfterParts: number,
): PartPlan {
  const plan = planMessageWrite(stored?.info, state);
  const storedParts = stored?.layout.kind === 'parts' ? stored.layout.parts : [];
  const appending = plan.mode === 'append' && stored?.layout.kind === 'parts';
  const kept = appending ? storedParts : [];
  const fresh = appending && plan.mode === 'append' ? state.messages.slice(plan.from) : state.messages;
  const dropsStored = !appending && storedParts.length > 0;
  const compact = kept.length + (fresh.length > 0 ? 1 : 0) > compactAfterParts;
  const messages = compact ? state.messages : fresh;
  if (messages.length === 0) return { parts: compact ? [] : kept, replacesParts: dropsStored };
  const newPart = { id: newPartId(revision), messages };
  const ref = { id: newPart.id, count: messages.length };
  return { parts: compact ? [ref] : [...kept, ref], newPart, replacesParts: dropsStored || compact };
}
