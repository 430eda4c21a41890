/**
 * `list()`: reads the head of every session directory (never a messages file), orders and pages the
 * entries with session-core's helpers. A ChannelCoder 3.x file is a whole document, so it is read in
 * full; it becomes a directory (and cheap to list) the next time it is saved.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import {
  corruptSessionInfo,
  isValidSessionName,
  type ListOptions,
  pageSessionInfos,
  readListOptions,
  type SessionInfo,
  sessionInfoFromHead,
} from '@channelcoder/session-core';
import { isErrno } from './fs-errors.js';
import type { StorageLayout } from './layout.js';
import { readHead, readLegacyFile } from './session-reader.js';

/** Heads read at the same time: enough to keep the file system busy, few enough to spare descriptors. */
const READ_CONCURRENCY = 32;

export async function listSessions(layout: StorageLayout, options?: ListOptions): Promise<SessionInfo[]> {
  const { prefix } = readListOptions(options);
  let entries: Dirent[];
  try {
    entries = await readdir(layout.root, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  const wanted = (name: string) => name.startsWith(prefix) && isValidSessionName(name);
  const dirs = entries.filter((e) => e.isDirectory() && wanted(e.name)).map((e) => e.name);
  const found = await mapLimited(dirs, READ_CONCURRENCY, (name) => directoryEntry(layout, name));
  const infos = found.filter((i): i is SessionInfo => i !== undefined);

  const listed = new Set(infos.map((i) => i.name));
  const legacy = entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => e.name.slice(0, -'.json'.length))
    .filter((name) => wanted(name) && !listed.has(name));
  const legacyInfos = await mapLimited(legacy, READ_CONCURRENCY, (name) => legacyEntry(layout, name));
  infos.push(...legacyInfos.filter((i): i is SessionInfo => i !== undefined));
  return pageSessionInfos(infos, options);
}

/** The entry of a session directory; undefined for a directory without a committed head. */
async function directoryEntry(layout: StorageLayout, name: string): Promise<SessionInfo | undefined> {
  const where = { name, path: layout.headPath(name) };
  try {
    const stored = await readHead(layout.sessionDir(name), name);
    return stored === undefined ? undefined : sessionInfoFromHead(stored.head.info, where);
  } catch (err) {
    return corruptSessionInfo(where, err, await modifiedAt(where.path));
  }
}

async function legacyEntry(layout: StorageLayout, name: string): Promise<SessionInfo | undefined> {
  const where = { name, path: layout.legacyPath(name) };
  try {
    const state = await readLegacyFile(where.path, name);
    if (state === undefined) return undefined;
    const { messages, ...head } = state;
    const last = messages.at(-1);
    return sessionInfoFromHead(
      { ...head, messageCount: messages.length, ...(last === undefined ? {} : { lastMessageId: last.id }) },
      where,
    );
  } catch (err) {
    return corruptSessionInfo(where, err, await modifiedAt(where.path));
  }
}

/** The file's mtime: the best guess of when a corrupt entry was last active. */
async function modifiedAt(path: string): Promise<Date | undefined> {
  try {
    return (await stat(path)).mtime;
  } catch {
    return undefined; // gone or unreadable: corruptSessionInfo lists it last
  }
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
