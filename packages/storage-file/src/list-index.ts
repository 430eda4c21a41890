/**
 * The list index: `<root>/.list-index.jsonl`, a cache that lets `list()` skip reading heads.
 *
 * Every committed save appends one line: the session's listing fields (what `SessionInfo` shows) and the
 * stamp of the head file it describes (inode, change time in ns, size). `list()` trusts a line only while
 * the head file still has that exact stamp; any other head (saved by a process that died before
 * appending, damaged, replaced by hand) is read and validated as usual. So the index can be stale, torn,
 * missing or deleted at any time without changing what `list()` returns, only how fast it returns.
 *
 * Appends are single `write`s with O_APPEND (one line each, never fsync'd: a lost line costs a head read).
 * `list()` rewrites the index (temp file + rename) when it has grown stale, e.g. many superseded lines.
 */
import type { Stats } from 'node:fs';
import { appendFile, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeListCursor, type SessionInfo, type WireHeadInfo } from '@channelcoder/session-core';
import { FILE_MODE } from './durable-fs.js';
import { isErrno } from './fs-errors.js';
import type { StorageLayout } from './layout.js';

const INDEX_FILE = '.list-index.jsonl';

/** What a listing shows of a session, dates in epoch milliseconds. */
export interface ListedFields {
  created: number;
  lastActive: number;
  messageCount: number;
  totalCostUsd: number;
  currentSessionId?: string;
  tags?: string[];
}

interface IndexLine {
  /** Session name. */
  n: string;
  /** Stamp of the head file this line describes. */
  s: string;
  f: ListedFields;
}

export interface ListIndex {
  entries: Map<string, IndexLine>;
  /** Lines in the file, superseded and unreadable ones included. */
  lines: number;
}

/**
 * Identifies one version of a head file: a save renames a new file in (new inode, new change time), an
 * edit in place changes the change time. (`ctimeMs` keeps sub-microsecond digits on file systems with
 * nanosecond timestamps.)
 */
export function headStamp(stats: Stats): string {
  return `${stats.ino}:${stats.ctimeMs}:${stats.size}`;
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
  const stamp = headStamp(await stat(layout.headPath(name)));
  // The leading newline ends a line torn by a crash, so it cannot swallow this one.
  const line: IndexLine = { n: name, s: stamp, f: fields };
  await appendFile(indexPath(layout), `\n${JSON.stringify(line)}`, { mode: FILE_MODE });
}

export async function readIndex(layout: StorageLayout): Promise<ListIndex> {
  let text: string;
  try {
    text = await readFile(indexPath(layout), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { entries: new Map(), lines: 0 };
    throw err;
  }
  const entries = new Map<string, IndexLine>();
  let lines = 0;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    lines += 1;
    const line = parseLine(raw);
    if (line !== undefined) entries.set(line.n, line); // later lines supersede earlier ones
  }
  return { entries, lines };
}

function parseLine(raw: string): IndexLine | undefined {
  try {
    const line = JSON.parse(raw) as IndexLine;
    const f = line?.f;
    const ok =
      typeof line.n === 'string' &&
      typeof line.s === 'string' &&
      typeof f === 'object' &&
      f !== null &&
      Number.isFinite(f.created) &&
      Number.isFinite(f.lastActive) &&
      Number.isInteger(f.messageCount) &&
      typeof f.totalCostUsd === 'number' &&
      (f.currentSessionId === undefined || typeof f.currentSessionId === 'string') &&
      (f.tags === undefined || (Array.isArray(f.tags) && f.tags.every((t) => typeof t === 'string')));
    return ok ? line : undefined;
  } catch {
    return undefined; // a torn or foreign line: the head is read instead
  }
}

/** The line for `name` if it describes exactly this head file. */
export function indexedFields(index: ListIndex, name: string, stamp: string): ListedFields | undefined {
  const line = index.entries.get(name);
  return line !== undefined && line.s === stamp ? line.f : undefined;
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
  return info;
}

/** Replaces the index with exactly these lines (temp file + rename, so readers never see half of it). */
export async function rewriteIndex(
  layout: StorageLayout,
  lines: readonly { name: string; stamp: string; fields: ListedFields }[],
  nonce: string,
): Promise<void> {
  const temp = `${indexPath(layout)}.${nonce}.tmp`;
  const text = lines.map((l) => `\n${JSON.stringify({ n: l.name, s: l.stamp, f: l.fields })}`).join('');
  await writeFile(temp, text, { mode: FILE_MODE });
  await rename(temp, indexPath(layout));
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
  return fields;
}
