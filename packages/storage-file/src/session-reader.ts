/** Reading one stored session: the directory layout of this storage, or a ChannelCoder 3.x file. */

import { constants as bufferLimits } from 'node:buffer';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { SessionCorruptError, type SessionState } from '@channelcoder/session-core/model';
import { assembleState, type DecodeContext, deserializeState } from '@channelcoder/session-core/storage-kit';
import { isErrno } from './fs-errors.js';
import { decodeHead, type MessagesRef, readOptionalText, type StoredHead } from './head-file.js';
import { HEAD_FILE } from './layout.js';
import { NOFOLLOW } from './no-follow.js';

/** Largest single read: `FileHandle.read` takes 32-bit lengths. */
const READ_CHUNK = 1 << 30;

/** What is stored under a name: a session directory, a 3.x file, or nothing. */
export type StoredSession =
  | { kind: 'directory'; head: StoredHead; headPath: string }
  | { kind: 'legacy'; state: SessionState; path: string }
  | undefined;

/** Reads and validates the head of a session directory; undefined when it has none (never committed). */
export async function readHead(
  dir: string,
  name: string,
): Promise<{ head: StoredHead; headPath: string } | undefined> {
  const headPath = join(dir, HEAD_FILE);
  const text = await readOptionalText(headPath);
  if (text === undefined) return undefined;
  return { head: decodeHead(text, { name, location: headPath }), headPath };
}

/** Reads a 3.x single-file session (whole document, any format session-core upgrades). */
export async function readLegacyFile(path: string, name: string): Promise<SessionState | undefined> {
  const text = await readOptionalText(path);
  if (text === undefined) return undefined;
  return deserializeState(text, { name, location: path });
}

/** The full state of a session directory whose head was read. */
export async function readDirectoryState(
  dir: string,
  stored: { head: StoredHead; headPath: string },
  name: string,
): Promise<SessionState> {
  const messagesPath = join(dir, stored.head.file.messages);
  const lines = await readMessageLines(messagesPath, stored.head.file, { name });
  // The head validated already, so what assembleState can still find wrong is in the messages file.
  return assembleState(stored.head.doc, lines, { name, location: messagesPath });
}

/**
 * Exactly the committed lines of a messages file: its first `ref.bytes` bytes, one JSON message a line.
 *
 * @throws SessionCorruptError naming the file when it is missing or shorter than the head records.
 */
async function readMessageLines(path: string, ref: MessagesRef, ctx: DecodeContext): Promise<string[]> {
  if (ref.bytes === 0) return [];
  const corrupt = (problem: string): never => {
    throw new SessionCorruptError(ctx.name, 'messages', problem, { location: path });
  };
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | NOFOLLOW);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return corrupt(`file is missing (the head records ${ref.bytes} bytes)`);
    throw err;
  }
  try {
    // A head may claim any size (2^31, 2^33, …): check it against the file before allocating anything.
    const { size } = await handle.stat();
    if (size < ref.bytes) corrupt(`file has ${size} bytes but the head records ${ref.bytes}`);
    if (ref.bytes > bufferLimits.MAX_STRING_LENGTH) {
      corrupt(`file holds ${ref.bytes} bytes of messages, more than one string can hold`);
    }
    const buffer = Buffer.allocUnsafe(ref.bytes);
    let filled = 0;
    while (filled < ref.bytes) {
      const length = Math.min(ref.bytes - filled, READ_CHUNK);
      const { bytesRead } = await handle.read(buffer, filled, length, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled < ref.bytes) corrupt(`file has ${filled} bytes but the head records ${ref.bytes}`);
    const text = buffer.toString('utf8');
    if (!text.endsWith('\n')) corrupt('file does not end with a complete line where the head says');
    return text.slice(0, -1).split('\n');
  } finally {
    await handle.close();
  }
}
