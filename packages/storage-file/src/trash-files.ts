/**
 * The trash of the file storage: `<root>/.trash/<id>/`, one folder per trashed session.
 *
 * ```
 * <root>/.trash/                          0700
 *   <id>/                                 0700  one entry (id: see newTrashId)
 *     entry.json                          0600  the TrashEntry (name, reason, dates, listing entry)
 *     session/                                  the session's folder, moved here whole (transcripts too)
 *     legacy.json                                a ChannelCoder 3.x file of the name, if there was one
 *   .purge-<id>-<nonce>/                         an entry being deleted (invisible; removed by purge)
 * ```
 *
 * Every step that publishes or withdraws a session is one `rename`, so a process killed at any instant
 * leaves the session whole in exactly one place:
 *
 * - moveToTrash (under the session's lock): `<id>/entry.json` is written and synced first; an entry folder
 *   without `session/` or `legacy.json` is incomplete: never listed or restored, deleted by purge. Then
 *   the list index hears of the change and the session folder is renamed into the entry: the commit.
 * - restoreFromTrash (under the target name's lock): the session's words go to the search index, the list
 *   index hears of the change, and `session/` is renamed back into the root: the commit. The entry
 *   folder, now incomplete, is deleted after.
 * - purgeTrash: an entry folder is renamed to `.purge-…` (it vanishes from the trash in one step), then
 *   deleted; leftovers of a purge killed halfway are deleted by the next one.
 *
 * The root's listing and the search skip dot-entries, so a trashed session is in neither. Its lease record
 * stays in `.locks`, so a lease taken on the name keeps fencing writes to it.
 */
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  normalizeSessionName,
  type SessionInfo,
  type SessionState,
  type TrashEntry,
  type TrashListOptions,
  type TrashOptions,
  type TrashPurgeOptions,
} from '@channelcoder/session-core/model';
import {
  corruptSessionInfo,
  createTrashEntry,
  isTrashExpired,
  isTrashId,
  pageTrashEntries,
  readTrashOptions,
  readTrashPurgeOptions,
  restoreNameTaken,
  sessionInfoFromHead,
  trashEntryFromJSON,
  trashEntryNotFound,
  trashEntryToJSON,
} from '@channelcoder/session-core/storage-kit';
import { DIR_MODE, ensureDirectory, finishWrites, syncDirectory, writeFresh } from './durable-fs.js';
import { isErrno } from './fs-errors.js';
import { NAMES, type StorageLayout } from './layout.js';
import { keyBeforeRemoval, markSession, unmarkSession } from './list-groups.js';
import { announceChange } from './list-index.js';
import { realDirectory } from './no-follow.js';
import { projectKeyOfMetadata } from './project-key.js';
import type { SearchIndex } from './search-index.js';
import { readDirectoryState, readHead, readLegacyFile } from './session-reader.js';
import { loadTranscriptEntries } from './transcript-files.js';

const TRASH_DIR = NAMES.trash;
const ENTRY_FILE = NAMES.trashEntry;
const SESSION_DIR = NAMES.trashSession;
const LEGACY_FILE = NAMES.trashLegacy;
const PURGE_PREFIX = NAMES.purgePrefix;
/** An incomplete entry younger than this may be a move in progress in another process: purge leaves it. */
const INCOMPLETE_GRACE_MS = 10 * 60_000;

/** What the trash functions need of the storage. */
export interface TrashFiles {
  layout: StorageLayout;
  fsync: boolean;
  searchIndex: SearchIndex;
  /** Runs `body` holding the writer lock of session `name`. */
  withSessionLock<T>(name: string, operation: string, body: () => Promise<T>): Promise<T>;
  exists(name: string): Promise<boolean>;
  /** The stored revision of `name` (0 when unreadable). */
  storedRevision(name: string): Promise<number>;
  /** Throws LeaseLostError when `options.lease` is not the session's lease (called under its lock). */
  checkLease(name: string, options: TrashOptions | undefined): Promise<void>;
}

const trashRoot = (layout: StorageLayout) => join(layout.root, TRASH_DIR);
const entryDir = (layout: StorageLayout, id: string) => join(trashRoot(layout), id);

/** `moveToTrash` of the file storage; the caller checked the name and holds nothing. */
export async function moveToTrash(
  files: TrashFiles,
  name: string,
  options?: TrashOptions,
): Promise<TrashEntry | undefined> {
  const { reason, retentionMs } = readTrashOptions(options);
  const { layout, fsync } = files;
  return files.withSessionLock(name, `moveToTrash("${name}")`, async () => {
    await files.checkLease(name, options);
    const dir = layout.sessionDir(name);
    const legacyPath = layout.legacyPath(name);
    const dirStats = await lstatOrUndefined(dir);
    // A folder without a committed head holds no session; a linked entry is moved as it is (the link).
    const hasDir =
      dirStats !== undefined &&
      (dirStats.isSymbolicLink() || (await lstatOrUndefined(layout.headPath(name)))?.isFile() === true);
    const hasLegacy = (await lstatOrUndefined(legacyPath))?.isFile() === true;
    if (!hasDir && !hasLegacy) return undefined;
    const entry = createTrashEntry(name, await listingEntry(layout, name, hasDir), { reason, retentionMs });

    await ensureDirectory(trashRoot(layout), layout.root, fsync);
    const target = entryDir(layout, entry.id);
    await mkdir(target, { mode: DIR_MODE });
    await writeDurably(join(target, ENTRY_FILE), `${JSON.stringify(trashEntryToJSON(entry))}\n`, fsync);
    await syncDirectory(target, fsync);
    await syncDirectory(trashRoot(layout), fsync);

    const key = keyBeforeRemoval(layout, name);
    await announceChange(layout, name);
    // The 3.x file first: the folder (which load prefers) moving is the commit.
    if (hasLegacy) await rename(legacyPath, join(target, LEGACY_FILE));
    if (hasDir) await rename(dir, join(target, SESSION_DIR));
    await syncDirectory(target, fsync);
    await syncDirectory(layout.root, fsync);
    unmarkSession(layout, name, key);
    return entry;
  });
}

/** `listTrash`: complete, unexpired entries, newest first. */
export async function listTrash(files: TrashFiles, options?: TrashListOptions): Promise<TrashEntry[]> {
  const entries: TrashEntry[] = [];
  for (const id of await entryIds(files.layout)) {
    const read = await readEntry(files.layout, id);
    if (read?.complete) entries.push(read.entry);
  }
  return pageTrashEntries(entries, options);
}

/** `restoreFromTrash`. */
export async function restoreFromTrash(
  files: TrashFiles,
  id: string,
  options: { name?: string } = {},
): Promise<string> {
  const { layout, fsync } = files;
  const found = isTrashId(id) ? await readEntry(layout, id) : undefined;
  if (found === undefined || !found.complete || isTrashExpired(found.entry)) {
    throw trashEntryNotFound(id, layout.root);
  }
  const target = normalizeSessionName(options.name ?? found.entry.name);
  const source = entryDir(layout, id);
  return files.withSessionLock(target, `restoreFromTrash("${id}")`, async () => {
    if (await files.exists(target)) throw restoreNameTaken(target, await files.storedRevision(target));
    const hasDir = (await lstatOrUndefined(join(source, SESSION_DIR))) !== undefined;
    const hasLegacy = !hasDir && (await lstatOrUndefined(join(source, LEGACY_FILE))) !== undefined;
    // A restore by another process under another name took it meanwhile.
    if (!hasDir && !hasLegacy) throw trashEntryNotFound(id, layout.root);

    const key = await indexWords(files, source, target, hasDir);
    markSession(layout, target, key);
    await announceChange(layout, target);
    try {
      if (hasDir) await rename(join(source, SESSION_DIR), layout.sessionDir(target));
      else await rename(join(source, LEGACY_FILE), layout.legacyPath(target));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw trashEntryNotFound(id, layout.root);
      throw err;
    }
    await syncDirectory(layout.root, fsync);
    // What is left of the entry is incomplete (never listed): tidy it away.
    await discard(layout, id).catch(() => undefined);
    return target;
  });
}

/** `purgeTrash`. */
export async function purgeTrash(files: TrashFiles, options?: TrashPurgeOptions): Promise<number> {
  const { id, all } = readTrashPurgeOptions(options);
  const { layout } = files;
  if (id !== undefined) {
    if (!isTrashId(id)) return 0;
    const read = await readEntry(layout, id);
    if (read === undefined) return 0;
    return (await discard(layout, id)) && read.complete ? 1 : 0;
  }
  let purged = 0;
  const now = new Date();
  for (const entryId of await entryIds(layout)) {
    const read = await readEntry(layout, entryId);
    if (read?.complete) {
      if (!all && !isTrashExpired(read.entry, now)) continue;
      if (await discard(layout, entryId)) purged += 1;
      continue;
    }
    // Incomplete (a move killed before its commit, or a restore's remains) once it cannot be in progress.
    const stats = await lstatOrUndefined(entryDir(layout, entryId));
    if (stats !== undefined && now.getTime() - stats.mtimeMs > INCOMPLETE_GRACE_MS) {
      await discard(layout, entryId);
    }
  }
  // Purges killed halfway.
  for (const leftover of await trashNames(layout)) {
    if (leftover.startsWith(PURGE_PREFIX))
      await rm(join(trashRoot(layout), leftover), { recursive: true, force: true });
  }
  return purged;
}

/** Withdraws the entry in one rename, then deletes it; false when it was gone already. */
async function discard(layout: StorageLayout, id: string): Promise<boolean> {
  const doomed = join(trashRoot(layout), `${PURGE_PREFIX}${id}-${randomUUID().slice(0, 8)}`);
  try {
    await rename(entryDir(layout, id), doomed);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
  await rm(doomed, { recursive: true, force: true });
  return true;
}

async function trashNames(layout: StorageLayout): Promise<string[]> {
  try {
    if ((await realDirectory(trashRoot(layout))) === 'missing') return [];
    return await readdir(trashRoot(layout));
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return [];
    throw err;
  }
}

async function entryIds(layout: StorageLayout): Promise<string[]> {
  return (await trashNames(layout)).filter((n) => !n.startsWith('.') && isTrashId(n));
}

/** An entry's record and whether it holds a session; undefined when there is no readable record. */
async function readEntry(
  layout: StorageLayout,
  id: string,
): Promise<{ entry: TrashEntry; complete: boolean } | undefined> {
  const dir = entryDir(layout, id);
  let text: string;
  try {
    text = await readFile(join(dir, ENTRY_FILE), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR', 'ELOOP')) return undefined;
    throw err;
  }
  let entry: TrashEntry | undefined;
  try {
    entry = trashEntryFromJSON(JSON.parse(text));
  } catch {
    entry = undefined;
  }
  if (entry === undefined || entry.id !== id) return undefined;
  const complete =
    (await lstatOrUndefined(join(dir, SESSION_DIR))) !== undefined ||
    (await lstatOrUndefined(join(dir, LEGACY_FILE))) !== undefined;
  return { entry, complete };
}

/** The session's listing entry as `list()` shows it (corrupt: with `error`). */
async function listingEntry(layout: StorageLayout, name: string, hasDir: boolean): Promise<SessionInfo> {
  const where = { name, path: hasDir ? layout.headPath(name) : layout.legacyPath(name) };
  try {
    if (hasDir) {
      const read = await readHead(layout.sessionDir(name), name);
      if (read !== undefined) return sessionInfoFromHead(read.head.info, where);
    }
    const legacy = await readLegacyFile(layout.legacyPath(name), name);
    if (legacy !== undefined)
      return sessionInfoFromHead({ ...legacy, messageCount: legacy.messages.length }, where);
    return corruptSessionInfo(where, new Error('nothing readable is stored'));
  } catch (err) {
    return corruptSessionInfo(where, err);
  }
}

/**
 * Before a restore commits: the words of the session (messages and transcripts) go to the search index
 * under the name it returns to, as a save would write them. A session that cannot be read has none
 * (search skips it like the scan does). Returns the session's project key (for its markers).
 */
async function indexWords(
  files: TrashFiles,
  source: string,
  target: string,
  hasDir: boolean,
): Promise<string | undefined> {
  let state: SessionState | undefined;
  const transcripts: unknown[][] = [];
  try {
    if (hasDir) {
      const dir = join(source, SESSION_DIR);
      const head = await readHead(dir, target);
      if (head !== undefined) state = await readDirectoryState(dir, head, target);
      for (const id of new Set(state?.sessionChain ?? [])) {
        const lines = await loadTranscriptEntries(dir, target, id);
        if (lines !== null) transcripts.push(lines);
      }
    } else {
      state = await readLegacyFile(join(source, LEGACY_FILE), target);
    }
  } catch {
    return undefined;
  }
  if (state !== undefined) await files.searchIndex.beforeRestore(target, state, transcripts);
  return projectKeyOfMetadata(state?.metadata);
}

async function writeDurably(path: string, text: string, fsync: boolean): Promise<void> {
  await finishWrites([await writeFresh(path, Buffer.from(text, 'utf8'))], fsync);
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  }
}
