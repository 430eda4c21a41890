/**
 * `list()` over the index (see index-entry.ts): pages of ListObjectsV2 in key order, which is the listing
 * order, so the first page of 50 is one LIST call whatever the number of sessions. Heads are read only for
 * entries that need it: unverified ones and names that show up twice (a stale entry left by a save that
 * could not remove its previous entry). The head is the truth; stale entries found on the way are repaired.
 */
import {
  type ListOptions,
  SessionCorruptError,
  type SessionInfo,
  UnsupportedFormatError,
} from '@channelcoder/session-core';
import {
  corruptSessionInfo,
  encodeListCursor,
  readListOptions,
} from '@channelcoder/session-core/storage-kit';
import type { StoredHead } from './head-record.js';
import {
  type IndexEntry,
  type IndexedHead,
  indexedHeadOf,
  indexKeyFor,
  parseIndexKey,
  startAfterPosition,
} from './index-entry.js';
import type { KeyLayout } from './keys.js';
import type { ObjectStore } from './object-store.js';

export interface ListingContext {
  objects: ObjectStore;
  keys: KeyLayout;
  /** `s3://bucket/key` of a session's head, shown as `SessionInfo.path`. */
  pathOf(name: string): string;
  /** The stored head, or undefined when there is none. @throws SessionCorruptError, UnsupportedFormatError */
  readHead(name: string, operation: string): Promise<StoredHead | undefined>;
}

const OPERATION = 'list';
const MAX_KEYS = 1000;

type HeadTruth =
  | { kind: 'missing' }
  | { kind: 'unreadable'; error: unknown }
  | { kind: 'valid'; head: IndexedHead; key: string };

export async function listSessions(ctx: ListingContext, options?: ListOptions): Promise<SessionInfo[]> {
  const { limit, after, prefix } = readListOptions(options);
  if (limit === 0) return [];
  const folder = ctx.keys.indexFolder();
  const out: SessionInfo[] = [];
  const emitted = new Map<string, IndexEntry>();
  let startAfter = after === undefined ? undefined : startAfterPosition(folder, after.lastActive, after.name);
  let next: string | undefined;

  do {
    const want = limit === undefined ? MAX_KEYS : Math.min(MAX_KEYS, limit - out.length + 1);
    const page = await ctx.objects.listKeys(folder, OPERATION, {
      ...(startAfter === undefined ? {} : { startAfter }),
      ...(next === undefined ? {} : { next }),
      maxKeys: want,
    });
    for (const key of page.keys) {
      const entry = parseIndexKey(folder, key);
      if (entry === undefined || !entry.name.startsWith(prefix)) continue;
      const first = emitted.get(entry.name);
      if (first !== undefined) {
        await settleDuplicate(ctx, out, emitted, first, entry);
      } else {
        const info = entry.verified ? infoFromIndex(ctx, entry.name, entry.head) : await describe(ctx, entry);
        if (info === undefined) continue;
        out.push(info);
        emitted.set(entry.name, entry);
      }
      if (limit !== undefined && out.length >= limit) return out.slice(0, limit);
    }
    next = page.next;
    startAfter = undefined;
  } while (next !== undefined);
  return out;
}

function infoFromIndex(ctx: ListingContext, name: string, head: IndexedHead): SessionInfo {
  const info: SessionInfo = {
    name,
    path: ctx.pathOf(name),
    created: head.created,
    lastActive: head.lastActive,
    messageCount: head.messageCount,
    totalCostUsd: head.totalCostUsd,
    cursor: encodeListCursor({ lastActive: head.lastActive.getTime(), name }),
  };
  if (head.currentSessionId !== undefined) info.currentSessionId = head.currentSessionId;
  if (head.tags !== undefined) info.tags = [...head.tags];
  if (head.transcriptError !== undefined) info.transcriptError = head.transcriptError;
  return info;
}

async function readTruth(ctx: ListingContext, name: string): Promise<HeadTruth> {
  try {
    const stored = await ctx.readHead(name, OPERATION);
    if (stored === undefined) return { kind: 'missing' };
    const head = indexedHeadOf(stored.info, stored.info.messageCount);
    return { kind: 'valid', head, key: indexKeyFor(ctx.keys.indexFolder(), name, head) };
  } catch (err) {
    if (SessionCorruptError.is(err) || UnsupportedFormatError.is(err))
      return { kind: 'unreadable', error: err };
    throw err;
  }
}

/** An entry that does not carry its metadata: the head describes it. */
async function describe(ctx: ListingContext, entry: IndexEntry): Promise<SessionInfo | undefined> {
  const truth = await readTruth(ctx, entry.name);
  const where = { name: entry.name, path: ctx.pathOf(entry.name) };
  if (truth.kind === 'unreadable') return corruptSessionInfo(where, truth.error, entry.lastActive);
  if (truth.kind === 'missing') {
    await repair(ctx.objects.delete(entry.key, OPERATION));
    return undefined;
  }
  if (truth.head.lastActive.getTime() !== entry.lastActive.getTime()) {
    // Stale position: move the entry where it belongs; it shows there (or in a later listing).
    await repair(ctx.objects.put(truth.key, '', 'application/octet-stream', OPERATION));
    await repair(ctx.objects.delete(entry.key, OPERATION));
    return undefined;
  }
  if (truth.key !== entry.key) {
    await repair(ctx.objects.put(truth.key, '', 'application/octet-stream', OPERATION));
    await repair(ctx.objects.delete(entry.key, OPERATION));
  }
  return infoFromIndex(ctx, entry.name, truth.head);
}

/** A name seen twice: keep the entry that matches the head, drop the other (from the output and the index). */
async function settleDuplicate(
  ctx: ListingContext,
  out: SessionInfo[],
  emitted: Map<string, IndexEntry>,
  first: IndexEntry,
  second: IndexEntry,
): Promise<void> {
  const truth = await readTruth(ctx, first.name);
  const at = out.findIndex((i) => i.name === first.name);
  if (truth.kind === 'unreadable') {
    await repair(ctx.objects.delete(second.key, OPERATION));
    return;
  }
  if (truth.kind === 'valid' && truth.key === first.key) {
    await repair(ctx.objects.delete(second.key, OPERATION));
    return;
  }
  // The first entry was stale: it leaves the output; the second stands if it is the true one.
  if (at !== -1) out.splice(at, 1);
  emitted.delete(first.name);
  await repair(ctx.objects.delete(first.key, OPERATION));
  if (truth.kind === 'valid' && truth.key === second.key) {
    out.push(infoFromIndex(ctx, second.name, truth.head));
    emitted.set(second.name, second);
    return;
  }
  await repair(ctx.objects.delete(second.key, OPERATION));
  if (truth.kind === 'valid')
    await repair(ctx.objects.put(truth.key, '', 'application/octet-stream', OPERATION));
}

/**
 * Index repairs are an optimisation of later listings: the entries this call returns were already checked
 * against the head, so a failed repair write (e.g. a role that may list but not write) must not fail it.
 */
async function repair(write: Promise<unknown>): Promise<void> {
  await write.catch(() => undefined);
}
