/**
 * The head file of a session: the wire head of session-core (everything but the messages, with
 * `revision`, `messageCount` and `lastMessageId`) plus where the messages are:
 * `"file": { "messages": "messages-<generation>.jsonl", "bytes": <committed length> }`.
 * Only the first `bytes` bytes of that file belong to the session; anything after them is the torn tail
 * of a save that never committed, and is ignored (and cut off by the next save).
 */

import { readFile } from 'node:fs/promises';
import { SessionCorruptError, type SessionState } from '@channelcoder/session-core/model';
import {
  type DecodeContext,
  fromWireHead,
  toWireHead,
  type WireHeadInfo,
} from '@channelcoder/session-core/storage-kit';
import { isErrno } from './fs-errors.js';
import { isMessagesFileName } from './layout.js';
import { readFileNoFollow } from './no-follow.js';

/** Which messages file a head refers to and how many of its bytes are committed. */
export interface MessagesRef {
  messages: string;
  bytes: number;
}

export interface StoredHead {
  /** The validated head (dates revived, format checked). */
  info: WireHeadInfo;
  /** The head as parsed JSON, to hand to `assembleState` with the messages. */
  doc: Record<string, unknown>;
  file: MessagesRef;
}

/** The head text for `state` stored as `revision`, its messages in `file`. */
export function encodeHead(state: SessionState, revision: number, file: MessagesRef): string {
  return `${JSON.stringify({ ...toWireHead({ ...state, revision }), file })}\n`;
}

/**
 * Validates a head file's text.
 *
 * @throws SessionCorruptError naming the file; UnsupportedFormatError for a newer format.
 */
export function decodeHead(text: string, ctx: DecodeContext & { location: string }): StoredHead {
  const info = fromWireHead(text, ctx);
  const doc = JSON.parse(text) as Record<string, unknown>;
  return { info, doc, file: readMessagesRef(doc.file, ctx) };
}

function readMessagesRef(value: unknown, ctx: DecodeContext & { location: string }): MessagesRef {
  const bad = (field: string, problem: string): never => {
    throw new SessionCorruptError(ctx.name, field, problem, { location: ctx.location });
  };
  if (typeof value !== 'object' || value === null) return bad('file', 'is missing or not an object');
  const { messages, bytes } = value as { messages?: unknown; bytes?: unknown };
  if (typeof messages !== 'string' || !isMessagesFileName(messages))
    return bad('file.messages', 'is not a messages file name of this storage');
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0)
    return bad('file.bytes', 'is not a non-negative integer');
  return { messages, bytes };
}

/**
 * The file's text, or undefined when there is no such file (or its directory is not a directory).
 * A symbolic link is never followed (ELOOP).
 */
export async function readOptionalText(path: string): Promise<string | undefined> {
  return (await readFileNoFollow(path))?.toString('utf8');
}
