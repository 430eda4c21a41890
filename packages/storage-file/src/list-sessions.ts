/**
 * `list()`: never reads a messages file. A first page (`limit`, no cursor) comes from the first-page
 * order when it is fresh (first-page.ts, list-order.ts): O(page), not O(sessions). Otherwise, and for
 * every other listing: For each session directory it stats `head.json` and takes the
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
import { isValidSessionName, type ListOptions, type SessionInfo } from '@channelcoder/session-core/model';
import {
  compareListPositions,
  corruptSessionInfo,
  pageSessionInfos,
  positionOf,
  readListOptions,
  sessionInfoFromHead,
} from '@channelcoder/session-core/storage-kit';
import { firstPageFromOrder } from './first-page.js';
import { isErrno } from './fs-errors.js';
import { decodeHead } from './head-file.js';
import type { StorageLayout } from './layout.js';
import { candidateNames, restampAfterRewrite, sessionNamesOf, stampBeforeRewrite } from './list-groups.js';
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
import {
  type OrderEntry,
  type OrderHeader,
  openOrder,
  orderHeader,
  prepareOrderDir,
  settledRootTime,
  writeOrder,
} from './list-order.js';
import { NOFOLLOW, RefusedLinkError } from './no-follow.js';
import { projectKeyOfMetadata } from './project-key.js';
import { readLegacyFile } from './session-reader.js';

const BATCH = 256;
/** Heads read (index misses) in one listing from which on the index is rewritten for the next one. */
const REWRITE_AFTER_MISSES = 16;

export async function listSessions(layout: StorageLayout, options?: ListOptions): Promise<SessionInfo[]> {
  const { prefix, limit, after, projectKey } = readListOptions(options);
  if (projectKey !== undefined)
    return pageSessionInfos(await listProject(layout, prefix, projectKey), options);
  if (limit !== undefined && after === undefined) {
    const page = await firstPageFromOrder(layout, options ?? {}, (name, index) =>
      freshEntry(layout, name, index),
    );
    if (page !== undefined) return page;
    // Every session is read anyway, so the listing that does it writes a new order for the next page.
    return pageSessionInfos(await listAll(layout, '', true), options);
  }
  if (prefix !== '') {
    const infos = await listFromGroups(layout, prefix);
    if (infos !== undefined) return pageSessionInfos(infos, options);
  }
  return pageSessionInfos(await listAll(layout, prefix, false), options);
}

/**
 * The sessions starting with `prefix`, from the markers of their group (list-groups.ts), brought up to
 * date first: each is read as a full listing reads it (heads read, the list index not: reading it would
 * cost every session's line). Undefined when the root must be read instead.
 */
async function listFromGroups(layout: StorageLayout, prefix: string): Promise<SessionInfo[] | undefined> {
  const names = candidateNames(layout, { prefix });
  if (names === undefined) return undefined;
  const infos: SessionInfo[] = [];
  for (let start = 0; start < names.length; start += BATCH) {
    if (start > 0) await yieldToEventLoop();
    for (const name of names.slice(start, start + BATCH)) {
      const info = await freshEntry(layout, name, NO_INDEX);
      if (info !== undefined) infos.push(info);
    }
  }
  return infos;
}

/**
 * The sessions of one project (starting with `prefix`): the project's markers when they can be brought
 * up to date, else every session of the root; each head is read and its `metadata.cwd` checked, so a
 * stale marker (a session moved or removed) is never listed. Sessions that cannot be read, links and
 * sessions without `metadata.cwd` belong to no project.
 */
async function listProject(
  layout: StorageLayout,
  prefix: string,
  projectKey: string,
): Promise<SessionInfo[]> {
  let names = candidateNames(layout, { prefix, projectKey });
  if (names === undefined) {
    try {
      names = sessionNamesOf(readdirSync(layout.root, { withFileTypes: true })).filter((n) =>
        n.startsWith(prefix),
      );
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
  }
  const infos: SessionInfo[] = [];
  for (let start = 0; start < names.length; start += BATCH) {
    if (start > 0) await yieldToEventLoop();
    for (const name of names.slice(start, start + BATCH)) {
      const info = await projectEntry(layout, name, projectKey);
      if (info !== undefined) infos.push(info);
    }
  }
  return infos;
}

/** The listing entry of `name` when it is a readable session of project `key`. */
async function projectEntry(
  layout: StorageLayout,
  name: string,
  key: string,
): Promise<SessionInfo | undefined> {
  if (!isValidSessionName(name)) return undefined;
  const path = layout.headPath(name);
  const folder = lstatSync(layout.sessionDir(name), { throwIfNoEntry: false });
  if (folder?.isSymbolicLink()) return undefined;
  if (folder?.isDirectory()) {
    let text: string | undefined;
    try {
      text = readNoFollow(path);
    } catch {
      text = undefined; // no committed head (yet), a link, unreadable
    }
    if (text !== undefined) {
      try {
        const head = decodeHead(text, { name, location: path });
        return projectKeyOfMetadata(head.info.metadata) === key
          ? sessionInfoFromHead(head.info, { name, path })
          : undefined;
      } catch {
        return undefined;
      }
    }
  }
  const legacyPath = layout.legacyPath(name);
  if (lstatSync(legacyPath, { throwIfNoEntry: false })?.isFile() !== true) return undefined;
  try {
    const state = await readLegacyFile(legacyPath, name);
    if (state === undefined || projectKeyOfMetadata(state.metadata) !== key) return undefined;
    const { messages, ...head } = state;
    return sessionInfoFromHead({ ...head, messageCount: messages.length }, { name, path: legacyPath });
  } catch {
    return undefined;
  }
}

const NO_INDEX: ListIndex = { entries: new Map(), lines: 0, pending: new Set() };

/**
 * Every session whose name starts with `prefix`, unordered. A full listing (prefix '') writes the order
 * when it was built from another state of the index or root, or always with `replaceOrder` (the order
 * on disk could not be used).
 */
async function listAll(layout: StorageLayout, prefix: string, replaceOrder: boolean): Promise<SessionInfo[]> {
  const full = prefix === '';
  if (full) prepareOrderDir(layout);
  let root: string | null = null;
  let entries: Dirent[];
  let index: ListIndex;
  try {
    // Taken before anything is read: a change after this moment moves the root or appends to the index.
    root = settledRootTime(layout);
    index = readIndex(layout);
    entries = readdirSync(layout.root, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  const wanted = (name: string) => name.startsWith(prefix) && isValidSessionName(name);
  // A linked entry is listed too (with `error`), never followed.
  const dirs = entries
    .filter((e) => (e.isDirectory() || (e.isSymbolicLink() && !e.name.endsWith('.json'))) && wanted(e.name))
    .map((e) => e.name);

  const infos: SessionInfo[] = [];
  const current: IndexLine[] = [];
  const order: OrderEntry[] = [];
  let misses = 0;
  for (let start = 0; start < dirs.length; start += BATCH) {
    if (start > 0) await yieldToEventLoop();
    for (const name of dirs.slice(start, start + BATCH)) {
      const found = directoryEntry(layout, index, name);
      if (found === undefined) continue;
      infos.push(found.info);
      if (found.line !== undefined) current.push(found.line);
      order.push(orderEntry(found.info, found.line));
      if (found.miss) misses += 1;
    }
  }

  const listed = new Set(infos.map((i) => i.name));
  const legacy = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.json'))
    .map((e) => e.name.slice(0, -'.json'.length))
    .filter((name) => wanted(name) && !listed.has(name));
  for (const name of legacy) {
    const info = await legacyEntry(layout, name);
    infos.push(info);
    order.push(orderEntry(info, undefined));
  }

  // Only a full listing has seen every session, so only it may replace the index or the order. Both are
  // caches: if they cannot be written (read-only root, disk full), listings stay correct, only slower.
  if (full && (misses >= REWRITE_AFTER_MISSES || index.lines > 2 * current.length + 1000)) {
    // The rewrite moves the root's change time, so the order is written by the next full listing. The
    // per-prefix and per-project markers' stamp moves onto the new index file (list-groups.ts).
    const stamp = stampBeforeRewrite(layout);
    const mark = await rewriteIndex(layout, current, index, randomUUID()).catch(() => undefined);
    if (stamp !== undefined && mark !== undefined) restampAfterRewrite(layout, stamp, mark);
  } else if (full) {
    await refreshOrder(layout, orderHeader(index, root), infos, order, replaceOrder).catch(() => undefined);
  }
  return infos;
}

/** Writes the order, unless asked only to refresh it and the one on disk has the same header. */
async function refreshOrder(
  layout: StorageLayout,
  header: OrderHeader,
  infos: readonly SessionInfo[],
  entries: OrderEntry[],
  replace: boolean,
): Promise<void> {
  if (!replace) {
    const existing = openOrder(layout);
    existing?.close();
    if (existing !== undefined && JSON.stringify(existing.header) === JSON.stringify(header)) return;
  }
  const position = new Map(infos.map((i) => [i.name, positionOf(i)]));
  const at = (e: OrderEntry) => position.get(e.n) ?? { lastActive: 0, name: e.n };
  entries.sort((a, b) => compareListPositions(at(a), at(b)));
  await writeOrder(layout, header, entries, randomUUID());
}

function orderEntry(info: SessionInfo, line: IndexLine | undefined): OrderEntry {
  return line !== undefined && info.error === undefined
    ? line
    : { n: info.name, x: 1, a: info.lastActive.getTime() };
}

/** One session read as a full listing reads it; undefined when nothing is listed under the name. */
async function freshEntry(
  layout: StorageLayout,
  name: string,
  index: ListIndex,
): Promise<SessionInfo | undefined> {
  if (!isValidSessionName(name)) return undefined;
  const folder = lstatSync(layout.sessionDir(name), { throwIfNoEntry: false });
  if (folder !== undefined && (folder.isDirectory() || folder.isSymbolicLink())) {
    const found = directoryEntry(layout, index, name);
    if (found !== undefined) return found.info;
  }
  const legacy = lstatSync(layout.legacyPath(name), { throwIfNoEntry: false });
  return legacy !== undefined && (legacy.isFile() || legacy.isSymbolicLink())
    ? legacyEntry(layout, name)
    : undefined;
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
