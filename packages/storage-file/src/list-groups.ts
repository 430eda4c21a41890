/**
 * Per-prefix and per-project listing: `<root>/.list-groups/`, which names every session by its name group
 * and by its project, so that `list({ prefix })` and `list({ projectKey })` read the sessions they list
 * only, not every session in the root (the Agent SDK bridge lists one project's sessions, named
 * `<namePrefix><project>.<session>`; a project is the Claude Code folder name of `metadata.cwd`).
 *
 * ```
 * .list-groups/<group>/<name>             an empty file per session in each of its groups: `.p-` + the
 *                                         name's first 8 characters, and for a name with a `.` the name
 *                                         up to its first `.` (included)
 * .list-groups/.projects/<key>/<name>     an empty file per session whose project (`sessionProjectKey`) is <key>
 * .list-groups/.seen/<name>               the session's markers above were made (written after them)
 * .list-groups/log-stamp.json             how far the markers are known to be complete (below)
 * ```
 *
 * Saves, removals, trash and restore of this version add a session's markers under the session's lock
 * before they publish it (and drop the markers it no longer has once it is published or gone). Writers
 * that keep no markers (an older version of this storage) still append every change to the list index
 * (list-index.ts: an intent `{"p": name}` before it is published, a listing line after). The stamp says:
 * every session that existed when the stamp was taken has its markers, except those named in `pending`;
 * every change made through any version of the storage since is named in the list index after `log`.
 *
 * ```
 * log-stamp.json  { v: 2, boot, log: [index inode, bytes], logId: [index birth time, first bytes],
 *                   pending: [[name, since ms]], root: root change time (ns) or null, at: ms }
 * ```
 *
 * A listing with a prefix or a project key then reads the stamp, the index bytes after `log` (the tail:
 * the changes since, usually none or a few lines), adds the markers of the sessions named there (reading
 * a head only for lines without the project key, which older versions write), stamps the new end of the
 * index, and lists the markers of its group or project plus the sessions whose change is still pending.
 * Every candidate's head is read and checked (prefix, project), so a stale marker (a removed or moved
 * session) only costs one `lstat` or head read. Whole-store listings leave the stamp as it is; one that
 * rewrites the index first advances the stamp to the old file's end, then moves it onto the new file
 * (whatever was appended to the old file meanwhile is copied after that point, so it is in the tail).
 * A pending change (an intent with no listing line after it: a removal, or a save in progress) is read
 * by every listing until it is a minute old; then the markers of what is stored under the name are made
 * and it is no longer pending.
 *
 * What the index cannot tell — a session folder copied in or deleted by hand, outside the storage — moves
 * the root folder's change time. When that is no longer the stamp's `root` and has been still for
 * {@link SETTLED_MS}, or the stamp is older than {@link REFRESH_MS}, a listing refreshes the markers: it reads
 * the root's entries and `.seen`, and reads the heads of the sessions not seen yet (none, unless someone
 * copied sessions in). No stamp at all (a store written before this version), another boot (markers are
 * not fsync'd), an index file that is not the stamp's or a long tail: the same refresh, with every head
 * read when the markers cannot be relied on. So a session copied in by hand shows in prefix and project
 * listings within {@link REFRESH_MS}; everything written through the storage shows at once.
 *
 * Everything here is a cache: a missing, damaged or foreign `.list-groups` (or one that cannot be
 * written) makes these listings read the root and every head, never list something else.
 */
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { isValidSessionName } from '@channelcoder/session-core/model';
import { bootId } from './boot-id.js';
import { DIR_MODE, FILE_MODE } from './durable-fs.js';
import { decodeHead } from './head-file.js';
import { NAMES, type StorageLayout } from './layout.js';
import { type IndexFileMark, indexStart, type ListIndex, parseIndexText, readIndex } from './list-index.js';
import { MAX_TAIL_BYTES, SETTLED_MS } from './list-order.js';
import { NOFOLLOW } from './no-follow.js';
import { projectKeyOfMetadata } from './project-key.js';

/** Every name is also in the bucket of its first {@link BUCKET_KEY} characters, `.p-<those>`. */
const BUCKET_PREFIX = '.p-';
const BUCKET_KEY = 8;
const PROJECTS = NAMES.listProjects;
const SEEN = NAMES.listSeen;
const STAMP_FILE = NAMES.listGroupsStamp;
/** The longest a stamp is trusted while the root keeps changing (a hand-made change is seen by then). */
export const REFRESH_MS = 5_000;

/**
 * The groups of a session name: the bucket of its first 8 characters, and for a name with a `.` the
 * group of the name up to its first `.` (included).
 */
export function groupsOf(name: string): string[] {
  const dot = name.indexOf('.');
  const bucket = `${BUCKET_PREFIX}${name.slice(0, BUCKET_KEY)}`;
  return dot < 0 ? [bucket] : [bucket, name.slice(0, dot + 1)];
}

/**
 * The groups that hold every name starting with `prefix`: its `.` group when it has a `.`; else its bucket
 * when it is 8 characters or longer; else the buckets starting with it (`entries()`: the groups folder).
 */
function groupsForPrefix(prefix: string, entries: () => readonly string[]): string[] {
  const dot = prefix.indexOf('.');
  if (dot >= 0) return [prefix.slice(0, dot + 1)];
  if (prefix.length >= BUCKET_KEY) return [`${BUCKET_PREFIX}${prefix.slice(0, BUCKET_KEY)}`];
  return entries().filter((g) => g.startsWith(BUCKET_PREFIX + prefix));
}

/** A project key usable as a folder name (projectFolderName's output is; anything else has no folder). */
function isKeyFolder(key: string): boolean {
  return /^[A-Za-z0-9-]{1,230}$/.test(key) && key !== '.' && key !== '..';
}

function groupsDir(layout: StorageLayout): string {
  return join(layout.root, NAMES.listGroups);
}

/** Creates the groups folder before a listing takes the root's change time (creating it moves it). */
export function prepareGroupsDir(layout: StorageLayout): void {
  try {
    mkdirSync(groupsDir(layout), { mode: DIR_MODE });
  } catch {
    // There already, or the root is missing or read-only: the groups are a cache.
  }
}

/**
 * A real folder at `path` (made if missing; a link or file there throws): nothing goes through a link.
 * `verified` holds the folders already checked by the same batch of work.
 */
function folder(path: string, verified?: Set<string>): string {
  if (verified?.has(path)) return path;
  verified?.add(path);
  try {
    mkdirSync(path, { mode: DIR_MODE });
    return path;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (!lstatSync(path).isDirectory()) throw new Error(`${path} is not a folder`);
  return path;
}

function touch(path: string): void {
  try {
    closeSync(
      openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, FILE_MODE),
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * Adds the markers of a session (group, project when it has one, then seen). Throws when it cannot.
 * `verified`: folders already checked by the same batch (each is checked once per batch).
 */
function addMarkers(
  layout: StorageLayout,
  name: string,
  key: string | undefined,
  verified = new Set<string>(),
): void {
  const dir = folder(groupsDir(layout), verified);
  for (const group of groupsOf(name)) touch(join(folder(join(dir, group), verified), name));
  if (key !== undefined && isKeyFolder(key))
    touch(join(folder(join(folder(join(dir, PROJECTS), verified), key), verified), name));
  touch(join(folder(join(dir, SEEN), verified), name));
}

/**
 * Before a save or restore publishes `name` with project `key` (under the session's lock). Best effort:
 * a listing adds what is missing from the list index's record of the change.
 */
export function markSession(layout: StorageLayout, name: string, key: string | undefined): void {
  try {
    addMarkers(layout, name, key);
  } catch {
    // read-only, disk full, a link planted: listings add the markers from the index
  }
}

/** After a save moved `name` from project `from` to another one (published): the old marker goes. */
export function unmarkProject(layout: StorageLayout, name: string, from: string | undefined): void {
  if (from === undefined || !isKeyFolder(from)) return;
  rmSync(join(groupsDir(layout), PROJECTS, from, name), { force: true });
}

/**
 * After `name` left the root (removed or trashed, under its lock): its markers go, `.seen` first, so a
 * session later copied in under the name is read again by a refresh. Best effort (stale markers only
 * cost a lookup).
 */
export function unmarkSession(layout: StorageLayout, name: string, key: string | undefined): void {
  try {
    const dir = groupsDir(layout);
    if (lstatSync(dir, { throwIfNoEntry: false })?.isDirectory() !== true) return;
    rmSync(join(dir, SEEN, name), { force: true });
    unmarkProject(layout, name, key);
    for (const group of groupsOf(name)) rmSync(join(dir, group, name), { force: true });
  } catch {
    // a link planted or a read-only root: stale markers are filtered when listed
  }
}

interface Stamp {
  v: 2;
  boot: string;
  log: [number, number];
  logId: [number, string];
  /** Sessions with a change begun (intent logged) and not recorded, and since when (ms). */
  pending: [string, number][];
  root: string | null;
  at: number;
}

function readStamp(layout: StorageLayout): Stamp | undefined {
  try {
    const fd = openSync(join(groupsDir(layout), STAMP_FILE), constants.O_RDONLY | NOFOLLOW);
    let text: string;
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    const s = JSON.parse(text) as Partial<Stamp>;
    if (
      s.v === 2 &&
      typeof s.boot === 'string' &&
      Array.isArray(s.log) &&
      s.log.length === 2 &&
      s.log.every((x) => Number.isSafeInteger(x)) &&
      Array.isArray(s.logId) &&
      typeof s.logId[0] === 'number' &&
      typeof s.logId[1] === 'string' &&
      Array.isArray(s.pending) &&
      s.pending.every((p) => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number') &&
      (s.root === null || typeof s.root === 'string') &&
      typeof s.at === 'number'
    )
      return s as Stamp;
  } catch {
    // missing, torn or foreign: not trusted
  }
  return undefined;
}

function writeStamp(layout: StorageLayout, stamp: Stamp): void {
  const dir = folder(groupsDir(layout));
  const temp = join(dir, `.${STAMP_FILE}.${randomUUID()}.tmp`);
  writeFileSync(temp, JSON.stringify(stamp), { mode: FILE_MODE, flag: 'wx' });
  renameSync(temp, join(dir, STAMP_FILE));
}

/** Drops the stamp (a change that could not be announced in the index); a failure is the caller's. */
export function withdrawGroupsStamp(layout: StorageLayout): void {
  rmSync(join(groupsDir(layout), STAMP_FILE), { force: true });
}

export function indexMark(index: ListIndex): IndexFileMark {
  return {
    log: [index.file?.ino ?? 0, index.file?.bytes ?? 0],
    logId: [index.file?.born ?? 0, index.file?.start ?? ''],
  };
}

/**
 * The index bytes after the stamp's offset, cut after the last complete line (a line being appended is
 * left for the next listing); undefined when the file is not the stamp's, or the tail is too long.
 */
function readTail(layout: StorageLayout, mark: IndexFileMark): { text: string; end: number } | undefined {
  let fd: number;
  try {
    fd = openSync(join(layout.root, NAMES.listIndex), constants.O_RDONLY | NOFOLLOW);
  } catch {
    return mark.log[0] === 0 ? { text: '', end: 0 } : undefined;
  }
  try {
    const stats = fstatSync(fd);
    const [ino, offset] = mark.log;
    if (!stats.isFile() || stats.ino !== ino || stats.birthtimeMs !== mark.logId[0]) return undefined;
    if (stats.size < offset || stats.size - offset > MAX_TAIL_BYTES) return undefined;
    const start = Buffer.alloc(Math.min(160, stats.size));
    readSync(fd, start, 0, start.length, 0);
    if (indexStart(start) !== mark.logId[1]) return undefined;
    const tail = Buffer.alloc(stats.size - offset);
    let done = 0;
    while (done < tail.length) {
      const read = readSync(fd, tail, done, tail.length - done, offset + done);
      if (read === 0) break;
      done += read;
    }
    // Lines are written as `\n{…}`: everything up to the last line is complete; the last one only if it
    // parses (else it is being written).
    let text = tail.subarray(0, done).toString('utf8');
    let end = offset + done;
    const last = text.lastIndexOf('\n');
    if (last >= 0 && !parses(text.slice(last + 1))) {
      end = offset + Buffer.byteLength(text.slice(0, last));
      text = text.slice(0, last);
    }
    return { text, end };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function parses(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/**
 * The names that may be listed for `prefix` (and `projectKey` when given): the markers of the group or
 * project plus the pending changes, after bringing the markers up to date. Undefined when the markers
 * cannot be brought up to date (then the caller reads the root).
 */
export function candidateNames(
  layout: StorageLayout,
  query: { prefix: string; projectKey?: string },
): string[] | undefined {
  if (query.projectKey === undefined && query.prefix === '') return undefined;
  if (query.projectKey !== undefined && !isKeyFolder(query.projectKey)) return undefined;
  try {
    const stamp = updateMarkers(layout);
    if (stamp === undefined) return undefined;
    const dir = groupsDir(layout);
    const names: string[] = [];
    const take = (entries: readonly string[]) => {
      for (const name of entries) if (name.startsWith(query.prefix)) names.push(name);
    };
    if (query.projectKey !== undefined) take(entriesOf(join(dir, PROJECTS, query.projectKey)));
    else
      for (const group of groupsForPrefix(query.prefix, () => readdirSync(dir)))
        take(entriesOf(join(dir, group)));
    take(stamp.pending.map(([name]) => name));
    return [...new Set(names)];
  } catch {
    return undefined;
  }
}

/** A marker folder's names; none when it does not exist yet (made with its first marker). */
function entriesOf(path: string): string[] {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return [];
  if (!stats.isDirectory()) throw new Error(`${path} is not a folder`);
  return readdirSync(path);
}

/**
 * The stamp brought up to the index's end (the tail's sessions marked, old pending changes settled),
 * not written; undefined when the stamp cannot be used (missing, another boot, another index file, a
 * long or foreign tail).
 */
function advance(layout: StorageLayout, now: number): { stamp: Stamp; changed: boolean } | undefined {
  const stamp = readStamp(layout);
  if (stamp === undefined || stamp.boot !== bootId()) return undefined;
  const tail = readTail(layout, stamp);
  if (tail === undefined) return undefined;
  let pending = stamp.pending;
  let changed = false;
  if (tail.text !== '') {
    const applied = applyTail(layout, pending, tail.text, now);
    if (applied === undefined) return undefined;
    pending = applied;
    changed = true;
  }
  const settled = settlePending(layout, pending, now);
  if (settled.length !== pending.length) changed = true;
  return { stamp: { ...stamp, log: [stamp.log[0], tail.end], pending: settled }, changed };
}

/**
 * Brings the markers up to date and returns the stamp that says so; undefined when that is not
 * possible. Reads the stamp and the tail of the index after it (usually a few lines); refreshes from the
 * root when the stamp cannot be used or the root changed outside the storage.
 */
function updateMarkers(layout: StorageLayout): Stamp | undefined {
  prepareGroupsDir(layout); // before the root's change time is taken (making it moves the root)
  const now = Date.now();
  const rootStats = lstatSync(layout.root, { bigint: true });
  const advanced = advance(layout, now);
  if (advanced === undefined) {
    const old = readStamp(layout);
    return refresh(layout, rootStats, fullIndexPosition(layout, old, now), old?.boot === bootId());
  }
  const { stamp, changed } = advanced;
  const root = rootStats.mtimeNs.toString();
  if (
    root !== stamp.root &&
    (now - Number(rootStats.mtimeMs) >= SETTLED_MS || now - stamp.at >= REFRESH_MS || now < stamp.at)
  )
    return refresh(layout, rootStats, stamp, true);
  if (changed) writeStamp(layout, stamp);
  return stamp;
}

/** Pending changes begun this long ago are settled: the session's markers are made from what is stored. */
const PENDING_MS = 60_000;

/**
 * Pending changes whose intent is older than {@link PENDING_MS} (a removal, which logs nothing after its
 * intent, or a writer that died after publishing): the markers of what is stored under the name now are
 * made and the name is no longer pending.
 */
function settlePending(
  layout: StorageLayout,
  pending: readonly [string, number][],
  now: number,
): [string, number][] {
  const verified = new Set<string>();
  return pending.filter(([name, since]) => {
    if (now - since < PENDING_MS && since <= now) return true;
    const key = readKey(layout, name);
    if (key !== false) addMarkers(layout, name, key, verified);
    return false;
  });
}

/**
 * Adds the markers of every session the tail records as changed; returns what is pending after it, or
 * undefined for a line that is not the index's (read the root instead).
 */
function applyTail(
  layout: StorageLayout,
  before: readonly [string, number][],
  text: string,
  now: number,
): [string, number][] | undefined {
  const parsed = parseIndexText(text);
  if (parsed.unreadable > 0) return undefined;
  const verified = new Set<string>();
  for (const [name, line] of parsed.entries) {
    if (parsed.pending.has(name)) continue;
    const key = 'k' in line ? (line as { k?: unknown }).k : readKey(layout, name);
    if (key === false) continue; // gone again (removed since)
    addMarkers(layout, name, typeof key === 'string' ? key : undefined, verified);
  }
  const pending = new Map(before.filter(([n]) => !parsed.entries.has(n)));
  for (const name of parsed.pending) if (!pending.has(name)) pending.set(name, now);
  return [...pending];
}

/**
 * The project key of what is stored under `name`: undefined when it has none (no cwd, unreadable, a
 * link), false when nothing is stored.
 */
export function readKey(layout: StorageLayout, name: string): string | undefined | false {
  const dir = lstatSync(layout.sessionDir(name), { throwIfNoEntry: false });
  if (dir?.isSymbolicLink()) return undefined;
  if (dir?.isDirectory()) {
    try {
      const fd = openSync(layout.headPath(name), constants.O_RDONLY | NOFOLLOW);
      let text: string;
      try {
        text = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
      return projectKeyOfMetadata(decodeHead(text, { name, location: layout.headPath(name) }).info.metadata);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    }
  }
  const legacy = lstatSync(layout.legacyPath(name), { throwIfNoEntry: false });
  if (legacy === undefined) return false;
  if (!legacy.isFile()) return undefined;
  try {
    const doc = JSON.parse(readFileSync(layout.legacyPath(name), 'utf8')) as {
      metadata?: { cwd?: unknown; projectKey?: unknown };
    };
    return projectKeyOfMetadata(doc.metadata);
  } catch {
    return undefined;
  }
}

/** {@link readKey} for a session about to be removed: undefined when it cannot tell (never throws). */
export function keyBeforeRemoval(layout: StorageLayout, name: string): string | undefined {
  try {
    const key = readKey(layout, name);
    return key === false ? undefined : key;
  } catch {
    return undefined;
  }
}

/** Session names among the root's entries: folders, links and 3.x files with a valid name. */
export function sessionNamesOf(entries: readonly Dirent[]): string[] {
  return entries.flatMap((e) => {
    const legacy = (e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.json');
    const name = legacy ? e.name.slice(0, -'.json'.length) : e.name;
    const listed = legacy || e.isDirectory() || e.isSymbolicLink();
    return listed && isValidSessionName(name) ? [name] : [];
  });
}

/**
 * The whole index's position and pending changes (parsed in full: only when no stamp can be advanced),
 * pending ages carried over from the old stamp.
 */
function fullIndexPosition(layout: StorageLayout, old: Stamp | undefined, now: number): Position {
  const index = readIndex(layout);
  const since = new Map(old?.pending ?? []);
  return {
    ...indexMark(index),
    pending: [...index.pending].map((name): [string, number] => [name, since.get(name) ?? now]),
  };
}

type Position = Pick<Stamp, 'log' | 'logId' | 'pending'>;

/**
 * Marks every session of the root not seen yet (every one when `trustSeen` is false) and stamps
 * `position`, an index position taken before the root is read (every change after it is named after it)
 * with `rootStats`, the root's change time taken before too. Returns the stamp; undefined when it could
 * not be written.
 */
function refresh(
  layout: StorageLayout,
  rootStats: { mtimeMs: bigint; mtimeNs: bigint },
  position: Position,
  trustSeen: boolean,
): Stamp | undefined {
  try {
    const settled = Date.now() - Number(rootStats.mtimeMs) >= SETTLED_MS;
    const entries = readdirSync(layout.root, { withFileTypes: true });
    const dir = folder(groupsDir(layout));
    const seen = trustSeen ? new Set(entriesOf(join(dir, SEEN))) : new Set<string>();
    const verified = new Set<string>();
    for (const name of sessionNamesOf(entries)) {
      if (seen.has(name)) continue;
      const key = readKey(layout, name);
      if (key === false) continue;
      addMarkers(layout, name, key, verified);
    }
    const stamp: Stamp = {
      v: 2,
      boot: bootId(),
      log: position.log,
      logId: position.logId,
      pending: position.pending,
      root: settled ? rootStats.mtimeNs.toString() : null,
      at: Date.now(),
    };
    writeStamp(layout, stamp);
    return stamp;
  } catch {
    return undefined;
  }
}

/**
 * Before a full listing rewrites the list index: the stamp advanced to the old index's end (undefined
 * when it cannot be). After the rewrite, {@link restampAfterRewrite} moves it onto the new index file.
 */
export function stampBeforeRewrite(layout: StorageLayout): Stamp | undefined {
  try {
    return advance(layout, Date.now())?.stamp;
  } catch {
    return undefined;
  }
}

/**
 * The stamp moved onto the index file a rewrite wrote (`mark`: its identity and the length written; lines
 * appended to the old file meanwhile are copied after that, so they are in the new tail). Best effort.
 */
export function restampAfterRewrite(layout: StorageLayout, stamp: Stamp, mark: IndexFileMark): void {
  try {
    writeStamp(layout, { ...stamp, log: mark.log, logId: mark.logId });
  } catch {
    // the next prefix or project listing refreshes the markers from the root
  }
}
