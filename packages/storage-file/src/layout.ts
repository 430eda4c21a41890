/**
 * Where everything lives under the storage root. Session names are validated by session-core before
 * they get here (letters, digits, `.`, `_`, `-`, no leading `.`, no `..`), so a name is always a single
 * path segment inside the root, and names never collide with the dot-entries the storage keeps for itself.
 *
 * ```
 * <root>/                                 0700
 *   <name>/                               0700  one directory per session
 *     head.json                           0600  the wire head + { file: { messages, bytes } }
 *     messages-<generation>.jsonl         0600  one wire message per line, append-only
 *     transcripts/                        0700  Claude CLI transcripts (see transcript-files.ts)
 *   <name>.json                           0600  a ChannelCoder 3.x session file (read; upgraded on save)
 *   .list-index.jsonl                     0600  cache of listing fields, log of changes (see list-index.ts)
 *   .list-order/order.jsonl               0600  listing entries newest first (see list-order.ts)
 *   .locks/<name>.lock                    0600  the writer lock of a session (see session-lock.ts)
 *   .locks/<name>.lease                   0600  the session's lease and last token (see session-lease.ts)
 *   .trash/<id>/                          0700  a trashed session: entry.json, session/ (see trash-files.ts)
 * ```
 */
import { join, sep } from 'node:path';

export const HEAD_FILE = 'head.json';
const HEAD_TEMP_FILE = '.head.json.tmp';
const LOCKS_DIR = '.locks';
const MESSAGES_FILE = /^messages-(\d{1,15})\.jsonl$/;

export class StorageLayout {
  constructor(readonly root: string) {}

  sessionDir(name: string): string {
    return join(this.root, name);
  }

  headPath(name: string): string {
    // Plain concatenation: list() builds one per session, and path.join's normalisation is not needed
    // for a validated single-segment name.
    return `${this.root}${sep}${name}${sep}${HEAD_FILE}`;
  }

  headTempPath(name: string): string {
    return join(this.root, name, HEAD_TEMP_FILE);
  }

  messagesPath(name: string, file: string): string {
    return join(this.root, name, file);
  }

  /** The single-file location of the ChannelCoder 3.x file storage. */
  legacyPath(name: string): string {
    return join(this.root, `${name}.json`);
  }

  locksDir(): string {
    return join(this.root, LOCKS_DIR);
  }

  lockPath(name: string): string {
    return join(this.root, LOCKS_DIR, `${name}.lock`);
  }

  /** The lease record of a session: holder, expiry and the last fencing token issued. */
  leasePath(name: string): string {
    return join(this.root, LOCKS_DIR, `${name}.lease`);
  }

  /** Where a removed session is moved before it is deleted (a dot-entry: never listed). */
  trashPath(name: string, nonce: string): string {
    return join(this.root, `.removed-${nonce}-${name}`);
  }
}

/** The messages file of a generation: a new generation starts on every rewrite (after clear()). */
export function messagesFileName(generation: number): string {
  return `messages-${generation}.jsonl`;
}

/** True for names `messagesFileName` produces; a head naming anything else is corrupt. */
export function isMessagesFileName(file: string): boolean {
  return MESSAGES_FILE.test(file);
}
