import { ChannelCoderError } from './errors.js';
import { encodeListCursor } from './list-order.js';
import type { WireHeadInfo } from './serialize.js';
import type { SessionInfo } from './storage.js';

/** The listing entry for a validated head. */
export function sessionInfoFromHead(head: WireHeadInfo, where: { name: string; path: string }): SessionInfo {
  const info: SessionInfo = {
    name: where.name,
    path: where.path,
    created: head.metadata.created,
    lastActive: head.metadata.lastActive,
    messageCount: head.messageCount,
    totalCostUsd: head.usage.totalCostUsd,
    cursor: encodeListCursor({ lastActive: head.metadata.lastActive.getTime(), name: where.name }),
  };
  if (head.currentSessionId !== undefined) info.currentSessionId = head.currentSessionId;
  if (head.metadata.tags !== undefined) info.tags = [...head.metadata.tags];
  if (head.metadata.transcriptError !== undefined) info.transcriptError = head.metadata.transcriptError;
  return info;
}

/**
 * The listing entry for a session whose stored data does not validate: it stays visible (so it can be
 * inspected or removed) with `error` set. `lastActive` is what the backend knows (e.g. a file's mtime),
 * else the epoch, which lists it last.
 */
export function corruptSessionInfo(
  where: { name: string; path: string },
  error: unknown,
  lastActive: Date = new Date(0),
): SessionInfo {
  const message = ChannelCoderError.is(error) || error instanceof Error ? error.message : String(error);
  return {
    name: where.name,
    path: where.path,
    created: lastActive,
    lastActive,
    messageCount: 0,
    cursor: encodeListCursor({ lastActive: lastActive.getTime(), name: where.name }),
    error: message,
  };
}
