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
 */
import { closeSync, constants, openSync, readFileSync, type Stats } from 'node:fs';
import { lstat, open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionInfo } from '@channelcoder/session-core';
import { encodeListCursor, type WireHeadInfo } from '@channelcoder/session-core/storage-kit';
import { FILE_MODE } from './durable-fs.js';
import type { StorageLayout } from './layout.js';
import { NOFOLLOW } from './no-follow.js';

const INDEX_FILE = '.list-index.jsonl';

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
}

export interface ListIndex {
  /** The newest readable line of each session. */
  entries: Map<string, IndexLine>;
  /** Lines in the file, superseded and unreadable ones included. */
  lines: number;
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
): Promise<void> {
  const line: IndexLine = { n: name, s: headStamp(await lstat(layout.headPath(name))), f: fields };
  // The leading newline ends a line torn by a crash, so it cannot swallow this one. Never through a link.
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW;
  const handle = await open(indexPath(layout), flags, FILE_MODE);
  try {
    await handle.write(`\n${JSON.stringify(line)}`);
  } finally {
    await handle.close();
  }
}

/** The index as far as it is readable; empty when it is missing or cannot be read (it is only a cache). */
export function readIndex(layout: StorageLayout): ListIndex {
  let text: string;
  try {
    const fd = openSync(indexPath(layout), constants.O_RDONLY | NOFOLLOW);
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return { entries: new Map(), lines: 0 }; // missing, unreadable or a link: listing reads heads instead
  }
  const raw = text.split('\n').filter((l) => l !== '');
  const entries = new Map<string, IndexLine>();
  // One parse for the whole file when every line is intact (the usual case), line by line otherwise.
  let parsed: unknown[];
  try {
    parsed = JSON.parse(`[${raw.join(',')}]`) as unknown[];
  } catch {
    parsed = raw.map(parseLine);
  }
  for (const line of parsed) {
    if (isIndexLine(line)) entries.set(line.n, line); // later lines supersede earlier ones
  }
  return { entries, lines: raw.length };
}

function parseLine(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined; // a torn or foreign line: that session's head is read instead
  }
}

function isIndexLine(value: unknown): value is IndexLine {
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

/** Replaces the index with exactly these lines (temp file + rename, so readers never see half of it). */
export async function rewriteIndex(
  layout: StorageLayout,
  lines: readonly IndexLine[],
  nonce: string,
): Promise<void> {
  const temp = `${indexPath(layout)}.${nonce}.tmp`;
  // Created exclusively (a unique name, never through a link); the rename replaces a link, not its target.
  await writeFile(temp, lines.map((l) => `\n${JSON.stringify(l)}`).join(''), { mode: FILE_MODE, flag: 'wx' });
  await rename(temp, indexPath(layout));
}
