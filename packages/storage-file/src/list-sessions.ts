/**
 * `list()`: never reads a messages file. For each session directory it stats `head.json` and takes the
 * listing fields from the list index when the index describes exactly that head file (see list-index.ts);
 * otherwise it reads and validates the head. The file-system calls run synchronously, the per-session
 * ones in batches of {@link BATCH} (a few microseconds each) with a yield to the event loop between
 * batches: one async call per file costs ten times more (a thread-pool round trip each), and listing is
 * the one place that touches every session.
 *
 * A ChannelCoder 3.x file is a whole document, so it is read in full; it becomes a directory (and cheap
 * to list) the next time it is saved.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, constants, type Dirent, lstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { isValidSessionName, type ListOptions, type SessionInfo } from '@channelcoder/session-core';
import {
  corruptSessionInfo,
  pageSessionInfos,
  readListOptions,
  sessionInfoFromHead,
} from '@channelcoder/session-core/storage-kit';
import { isErrno } from './fs-errors.js';
import { decodeHead } from './head-file.js';
import type { StorageLayout } from './layout.js';
import {
  headStamp,
  type IndexLine,
  indexedLine,
  infoFromFields,
  type ListIndex,
  listedFields,
  readIndex,
  rewriteIndex,
} from './list-index.js';
import { NOFOLLOW, RefusedLinkError } from './no-follow.js';
import { readLegacyFile } from './session-reader.js';

const BATCH = 256;
/** Heads read (index misses) in one listing from which on the index is rewritten for the next one. */
const REWRITE_AFTER_MISSES = 16;

export async function listSessions(layout: StorageLayout, options?: ListOptions): Promise<SessionInfo[]> {
  const { prefix } = readListOptions(options);
  let entries: Dirent[];
  try {
    entries = readdirSync(layout.root, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  const index = readIndex(layout);
  const wanted = (name: string) => name.startsWith(prefix) && isValidSessionName(name);
  // A linked entry is listed too (with `error`), never followed.
  const dirs = entries
    .filter((e) => (e.isDirectory() || (e.isSymbolicLink() && !e.name.endsWith('.json'))) && wanted(e.name))
    .map((e) => e.name);

  const infos: SessionInfo[] = [];
  const current: IndexLine[] = [];
  let misses = 0;
  for (let start = 0; start < dirs.length; start += BATCH) {
    if (start > 0) await yieldToEventLoop();
    for (const name of dirs.slice(start, start + BATCH)) {
      const found = directoryEntry(layout, index, name);
      if (found === undefined) continue;
      infos.push(found.info);
      if (found.line !== undefined) current.push(found.line);
      if (found.miss) misses += 1;
    }
  }

  const listed = new Set(infos.map((i) => i.name));
  const legacy = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.json'))
    .map((e) => e.name.slice(0, -'.json'.length))
    .filter((name) => wanted(name) && !listed.has(name));
  for (const name of legacy) infos.push(await legacyEntry(layout, name));

  // Only a full listing has seen every session, so only it may replace the index.
  if (prefix === '' && (misses >= REWRITE_AFTER_MISSES || index.lines > 2 * current.length + 1000)) {
    // A cache: if it cannot be written (read-only root, disk full), listings stay correct, only slower.
    await rewriteIndex(layout, current, randomUUID()).catch(() => undefined);
  }
  return pageSessionInfos(infos, options);
}

/**
 * The entry of a session directory; undefined for a directory without a committed head. Any failure of
 * this one entry (a link, EACCES on another user's folder, a folder that vanished or became a file while
 * listing, a bad head) is the entry's `error`, never the listing's.
 */
function directoryEntry(
  layout: StorageLayout,
  index: ListIndex,
  name: string,
): { info: SessionInfo; line?: IndexLine; miss: boolean } | undefined {
  const where = { name, path: layout.headPath(name) };
  const dir = layout.sessionDir(name);
  try {
    const folder = lstatFolder(dir);
    if (folder.isSymbolicLink()) throw new RefusedLinkError(dir);
    if (!folder.isDirectory())
      throw new RefusedLinkError(dir, 'is no longer a folder (replaced while listing)');
    const stats = lstatSync(where.path, { throwIfNoEntry: false });
    if (stats === undefined) return undefined;
    if (stats.isSymbolicLink()) throw new RefusedLinkError(where.path);
    const indexed = indexedLine(index, name, stats);
    if (indexed !== undefined)
      return { info: infoFromFields(name, where.path, indexed.f), line: indexed, miss: false };
    const head = decodeHead(readNoFollow(where.path), { name, location: where.path });
    const line: IndexLine = { n: name, s: headStamp(stats), f: listedFields(head.info) };
    return { info: sessionInfoFromHead(head.info, where), line, miss: true };
  } catch (err) {
    return { info: corruptSessionInfo(where, err, modifiedAt(where.path) ?? modifiedAt(dir)), miss: false };
  }
}

function lstatFolder(dir: string) {
  try {
    return lstatSync(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new Error(`${dir} vanished while listing`, { cause: err });
    throw err;
  }
}

function readNoFollow(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | NOFOLLOW);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

async function legacyEntry(layout: StorageLayout, name: string): Promise<SessionInfo> {
  const where = { name, path: layout.legacyPath(name) };
  try {
    const state = await readLegacyFile(where.path, name);
    if (state === undefined) throw new Error('the file disappeared while listing');
    const { messages, ...head } = state;
    return sessionInfoFromHead({ ...head, messageCount: messages.length }, where);
  } catch (err) {
    return corruptSessionInfo(where, err, (await lstat(where.path).catch(() => undefined))?.mtime);
  }
}

/** The entry's mtime: the best guess of when a corrupt entry was last active; never throws. */
function modifiedAt(path: string): Date | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false })?.mtime;
  } catch {
    return undefined;
  }
}
