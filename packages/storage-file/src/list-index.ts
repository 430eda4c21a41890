/**
 * The list index: `<root>/.list-index.jsonl`, a cache that lets `list()` skip reading heads.
 *
 * Every committed save appends one line: the session's listing fields (what `SessionInfo` shows) and the
 * stamp of the head file it describes (inode, change time, size). `list()` trusts the newest line of a
 * session only while the head file still has that exact stamp; any other head (saved by a process that
 * died before appending, damaged, replaced by hand) is read and validated as usual. So the index can be
 * stale, torn, missing or deleted at any time without changing what `list()` returns, only how fast.
 *
 * Appends are single `write`s with O_APPEND (one line each, never fsync'd: a lost line costs a head read).
 * `list()` rewrites the index (temp file + rename) when it has grown stale, e.g. many superseded lines.
 *
 * The index is also the change log the first-page listing relies on (see list-order.ts): before a save
 * or a removal publishes anything, it appends an intent line `{"p": name}`, and a committed save appends
 * its listing line after. So every change of a session made through the storage leaves a line naming
 * it at or after the offset the index had when the change began. An append that lands in an index file
 * replaced meanwhile (a rewrite renamed a new one in) is appended again to the new one, and a rewrite
 * copies over whatever was appended to the old file after it read it: no line is lost to a rewrite.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { lstat, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionInfo } from '@channelcoder/session-core/model';
import { encodeListCursor, type WireHeadInfo } from '@channelcoder/session-core/storage-kit';
import { FILE_MODE } from './durable-fs.js';
import { NAMES, type StorageLayout } from './layout.js';
import { withdrawOrder } from './list-order.js';
import { NOFOLLOW } from './no-follow.js';

const INDEX_FILE = NAMES.listIndex;

/** What a listing shows of a session, dates in epoch milliseconds. */
export interface ListedFields {
  created: number;
  lastActive: number;
  messageCount: number;
  totalCostUsd: number;
  currentSessionId?: string;
  tags?: string[];
  /** The session's last transcript mirror failed (see SessionInfo.transcriptError). */
  transcriptError?: string;
}

/**
 * Identifies one version of a head file: `[inode, change time in ms, size]`. A save renames a new file
 * in (new inode, new change time); an edit in place changes the change time.
 */
export type HeadStamp = [number, number, number];

export interface IndexLine {
  /** Session name. */
  n: string;
  /** Stamp of the head file this line describes. */
  s: HeadStamp;
  f: ListedFields;
  /**
   * The session's project key (`null`: none), written by saves that keep the per-project markers
   * (list-groups.ts); lines without it (older versions, listings) make a listing read the head for it.
   */
  k?: string | null;
}

export interface ListIndex {
  /** The newest readable line of each session. */
  entries: Map<string, IndexLine>;
  /** Lines in the file, superseded and unreadable ones included. */
  lines: number;
  /** Sessions whose last line is an intent: a change that began and has not been recorded (yet). */
  pending: Set<string>;
  /**
   * The file read (inode, birth time, its first bytes: an inode number is reused after a file is deleted)
   * and how many bytes of it; undefined when there was none.
   */
  file?: { ino: number; born: number; start: string; bytes: number };
}

export function headStamp(stats: Stats): HeadStamp {
  return [stats.ino, stats.ctimeMs, stats.size];
}

function sameStamp(a: HeadStamp, b: Stats): boolean {
  return a[0] === b.ino && a[1] === b.ctimeMs && a[2] === b.size;
}

function indexPath(layout: StorageLayout): string {
  return join(layout.root, INDEX_FILE);
}

/** Records a just-committed head. Best effort by design: a missing line only makes list() read that head. */
export async function recordInIndex(
  layout: StorageLayout,
  name: string,
  fields: ListedFields,
  key?: string | null,
): Promise<void> {
  const line: IndexLine = { n: name, s: headStamp(await lstat(layout.headPath(name))), f: fields };
  if (key !== undefined) line.k = key;
  await appendLine(layout, JSON.stringify(line));
}

/**
 * Announces a change of `name` before it is published (under the session's lock). Rejects when the line
 * cannot be appended; the caller then withdraws the first-page order (see list-order.ts).
 */
export async function recordIntent(layout: StorageLayout, name: string): Promise<void> {
  await appendLine(layout, JSON.stringify({ p: name }));
}

/**
 * Announces a change before it is published. When the index cannot take the line (a link in its place,
 * disk full), the first-page order and the groups' stamp (list-groups.ts) are withdrawn instead, so no
 * listing trusts them; when even that fails, the change is refused (nothing was published yet).
 */
export async function announceChange(layout: StorageLayout, name: string): Promise<void> {
  try {
    await recordIntent(layout, name);
  } catch {
    await withdrawOrder(layout);
    await rm(join(layout.root, NAMES.listGroups, NAMES.listGroupsStamp), { force: true });
  }
}

/** One O_APPEND write, repeated into the index file that replaced this one if a rewrite raced it. */
async function appendLine(layout: StorageLayout, json: string): Promise<void> {
  // The leading newline ends a line torn by a crash, so it cannot swallow this one. Never through a link.
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW;
  for (let attempt = 0; attempt < 8; attempt++) {
    const handle = await open(indexPath(layout), flags, FILE_MODE);
    let written: number;
    try {
      await handle.write(`\n${json}`);
      written = (await handle.stat()).ino;
    } finally {
      await handle.close();
    }
    const now = await lstat(indexPath(layout)).catch(() => undefined);
    if (now?.ino === written) return;
  }
  throw new Error(`${indexPath(layout)} kept being replaced while appending to it`);
}

/** The index as far as it is readable; empty when it is missing or cannot be read (it is only a cache). */
export function readIndex(layout: StorageLayout): ListIndex {
  let bytes: Buffer;
  let ino: number;
  let born: number;
  try {
    const fd = openSync(indexPath(layout), constants.O_RDONLY | NOFOLLOW);
    try {
      ({ ino, birthtimeMs: born } = fstatSync(fd));
      bytes = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Missing, unreadable or a link: listing reads heads instead.
    return { entries: new Map(), lines: 0, pending: new Set() };
  }
  const file = { ino, born, start: indexStart(bytes), bytes: bytes.length };
  return { ...parseIndexText(bytes.toString('utf8')), file };
}

/** An index file and a position in it: [inode, bytes] and [birth time, first bytes]. */
export interface IndexFileMark {
  log: [number, number];
  logId: [number, string];
}

/** The first bytes of an index file, which tell two files on one inode apart. */
export function indexStart(bytes: Buffer): string {
  return bytes.subarray(0, 160).toString('base64');
}

/** The lines of (a part of) the index; later lines supersede earlier ones. */
export function parseIndexText(text: string): Omit<ListIndex, 'file'> & { unreadable: number } {
  const raw = text.split('\n').filter((l) => l !== '');
  const entries = new Map<string, IndexLine>();
  const pending = new Set<string>();
  let unreadable = 0;
  // One parse for the whole file when every line is intact (the usual case), line by line otherwise.
  let parsed: unknown[];
  try {
    parsed = JSON.parse(`[${raw.join(',')}]`) as unknown[];
  } catch {
    parsed = raw.map(parseLine);
  }
  for (const line of parsed) {
    if (isIndexLine(line)) {
      entries.set(line.n, line);
      pending.delete(line.n);
    } else if (isIntentLine(line)) {
      pending.add(line.p);
    } else {
      unreadable += 1;
    }
  }
  return { entries, lines: raw.length, pending, unreadable };
}

function isIntentLine(value: unknown): value is { p: string } {
  return typeof value === 'object' && value !== null && typeof (value as { p?: unknown }).p === 'string';
}

function parseLine(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined; // a torn or foreign line: that session's head is read instead
  }
}

export function isIndexLine(value: unknown): value is IndexLine {
  if (typeof value !== 'object' || value === null) return false;
  const { n, s, f } = value as Partial<IndexLine>;
  return (
    typeof n === 'string' &&
    Array.isArray(s) &&
    s.length === 3 &&
    s.every((x) => typeof x === 'number') &&
    typeof f === 'object' &&
    f !== null &&
    Number.isFinite(f.created) &&
    Number.isFinite(f.lastActive) &&
    Number.isInteger(f.messageCount) &&
    typeof f.totalCostUsd === 'number' &&
    (f.currentSessionId === undefined || typeof f.currentSessionId === 'string') &&
    (f.tags === undefined || (Array.isArray(f.tags) && f.tags.every((t) => typeof t === 'string')))
  );
}

/** The newest line for `name` if it describes exactly this head file. */
export function indexedLine(index: ListIndex, name: string, head: Stats): IndexLine | undefined {
  const line = index.entries.get(name);
  return line !== undefined && sameStamp(line.s, head) ? line : undefined;
}

/** The listing entry for indexed fields; the same entry `sessionInfoFromHead` makes from the head. */
export function infoFromFields(name: string, path: string, f: ListedFields): SessionInfo {
  const info: SessionInfo = {
    name,
    path,
    created: new Date(f.created),
    lastActive: new Date(f.lastActive),
    messageCount: f.messageCount,
    totalCostUsd: f.totalCostUsd,
    cursor: encodeListCursor({ lastActive: f.lastActive, name }),
  };
  if (f.currentSessionId !== undefined) info.currentSessionId = f.currentSessionId;
  if (f.tags !== undefined) info.tags = [...f.tags];
  if (f.transcriptError !== undefined) info.transcriptError = f.transcriptError;
  return info;
}

/** The listed fields of a head (or of a state being saved, with its message count). */
export function listedFields(head: Omit<WireHeadInfo, 'lastMessageId' | 'revision'>): ListedFields {
  const fields: ListedFields = {
    created: head.metadata.created.getTime(),
    lastActive: head.metadata.lastActive.getTime(),
    messageCount: head.messageCount,
    totalCostUsd: head.usage.totalCostUsd,
  };
  if (head.currentSessionId !== undefined) fields.currentSessionId = head.currentSessionId;
  if (head.metadata.tags !== undefined) fields.tags = [...head.metadata.tags];
  if (head.metadata.transcriptError !== undefined) fields.transcriptError = head.metadata.transcriptError;
  return fields;
}

/**
 * Replaces the index with these lines plus the intents still pending (temp file + rename, so readers
 * never see half of it). `read` is what the caller's `readIndex` saw; whatever was appended to that file
 * after it is copied to the new one once it is in place (appends after that notice the rename and go to
 * the new file themselves). Skipped when the file is no longer the one that was read.
 */
export async function rewriteIndex(
  layout: StorageLayout,
  lines: readonly IndexLine[],
  read: ListIndex,
  nonce: string,
): Promise<IndexFileMark | undefined> {
  const path = indexPath(layout);
  let old: Awaited<ReturnType<typeof open>> | undefined;
  if (read.file !== undefined) {
    old = await open(path, constants.O_RDONLY | NOFOLLOW).catch(() => undefined);
    if (old === undefined || (await old.stat()).ino !== read.file.ino) {
      await old?.close();
      return undefined;
    }
  }
  try {
    const temp = `${path}.${nonce}.tmp`;
    const text =
      lines.map((l) => `\n${JSON.stringify(l)}`).join('') +
      [...read.pending].map((p) => `\n${JSON.stringify({ p })}`).join('');
    // Created exclusively (a unique name, never through a link); the rename replaces a link, not its target.
    await writeFile(temp, text, { mode: FILE_MODE, flag: 'wx' });
    const bytes = Buffer.from(text, 'utf8');
    const written = await lstat(temp);
    await rename(temp, path);
    const mark: IndexFileMark = {
      log: [written.ino, bytes.length],
      logId: [written.birthtimeMs, indexStart(bytes)],
    };
    if (old === undefined || read.file === undefined) return mark;
    const { size } = await old.stat();
    if (size <= read.file.bytes) return mark;
    const late = Buffer.alloc(size - read.file.bytes);
    await old.read(late, 0, late.length, read.file.bytes);
    for (const line of late.toString('utf8').split('\n')) if (line !== '') await appendLine(layout, line);
    return mark;
  } finally {
    await old?.close();
  }
}
