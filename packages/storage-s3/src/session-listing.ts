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
  compareListPositions,
  corruptSessionInfo,
  encodeListCursor,
  type ListPosition,
  positionOf,
  readListOptions,
} from '@channelcoder/session-core/storage-kit';
import { mapBounded } from './bounded-parallel.js';
import type { StoredHead } from './head-record.js';
import {
  type IndexEntry,
  type IndexedHead,
  indexedHeadOf,
  indexKeyFor,
  namedKeyFor,
  namePath,
  parseIndexKey,
  parseNamedKey,
  startAfterPosition,
  unverifiedNamedKey,
} from './index-entry.js';
import type { KeyLayout } from './keys.js';
import type { ObjectStore } from './object-store.js';

export interface ListingContext {
  objects: ObjectStore;
  keys: KeyLayout;
  /**
   * Whether this process has seen the name-ordered entries complete (see {@link ensureNamedEntries}), and
   * the check in progress, which listings that start meanwhile share.
   */
  indexState: { complete: boolean; checking?: Promise<IndexEntry[]> | undefined };
  /** The projectKey of a stored head (from `metadata.cwd`), or undefined. */
  projectKeyOf(stored: StoredHead): string | undefined;
  /** `s3://bucket/key` of a session's head, shown as `SessionInfo.path`. */
  pathOf(name: string): string;
  /** The stored head, or undefined when there is none. @throws SessionCorruptError, UnsupportedFormatError */
  readHead(name: string, operation: string): Promise<StoredHead | undefined>;
}

const OPERATION = 'list';

/** The name-ordered entries of a head: `by-name/…`, then `by-project/…` when it has a projectKey. */
export function namedKeysFor(
  keys: KeyLayout,
  name: string,
  head: IndexedHead,
  projectKey: string | undefined,
): string[] {
  const out = [namedKeyFor(keys.namesFolder(), name, head)];
  if (projectKey !== undefined) out.push(namedKeyFor(keys.projectFolder(projectKey), name, head));
  return out;
}
const MAX_KEYS = 1000;

type HeadTruth =
  | { kind: 'missing' }
  | { kind: 'unreadable'; error: unknown }
  | {
      kind: 'valid';
      head: IndexedHead;
      key: string;
      projectKey: string | undefined;
      /** The name-ordered entries the head should have: `by-name/…` then, with a cwd, `by-project/…`. */
      namedKeys: string[];
    };

export async function listSessions(ctx: ListingContext, options?: ListOptions): Promise<SessionInfo[]> {
  const { limit, after, prefix, projectKey } = readListOptions(options);
  if (limit === 0) return [];
  if (prefix !== '' || projectKey !== undefined)
    return listFiltered(ctx, { limit, after, prefix, projectKey });
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
    const projectKey = ctx.projectKeyOf(stored);
    return {
      kind: 'valid',
      head,
      key: indexKeyFor(ctx.keys.indexFolder(), name, head),
      projectKey,
      namedKeys: namedKeysFor(ctx.keys, name, head, projectKey),
    };
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

interface Filter {
  limit: number | undefined;
  after: ListPosition | undefined;
  prefix: string;
  projectKey: string | undefined;
}

/** How many sessions stored before the name-ordered entries one listing copies in (see below). */
export const COPY_IN_BATCH = 200;

/**
 * A listing by name prefix and/or projectKey: one ListObjectsV2 (per 1,000 matches) of the name-ordered
 * folder — `by-project/<project>/<prefix>` or `by-name/<prefix>` — sorted in memory. Sessions of other
 * projects and names are never read. Until every older session has been copied in (see
 * {@link ensureNamedEntries}), those not copied yet are added from the time-ordered index (and, for a
 * projectKey, their heads).
 */
async function listFiltered(ctx: ListingContext, filter: Filter): Promise<SessionInfo[]> {
  const pending = ctx.indexState.complete ? [] : await ensureNamedEntries(ctx);
  const folder =
    filter.projectKey === undefined ? ctx.keys.namesFolder() : ctx.keys.projectFolder(filter.projectKey);
  const entries: IndexEntry[] = [];
  for (const key of await ctx.objects.listAllKeys(`${folder}${namePath(filter.prefix)}`, OPERATION)) {
    const entry = parseNamedKey(folder, key);
    if (entry !== undefined) entries.push(entry);
  }
  const byName = new Map<string, IndexEntry[]>();
  for (const entry of entries) {
    const same = byName.get(entry.name);
    if (same === undefined) byName.set(entry.name, [entry]);
    else same.push(entry);
  }
  const candidates: Candidate[] = [];
  for (const [name, same] of byName) {
    if (same.length === 1) candidates.push({ entry: same[0]!, folder });
    else {
      const settled = await settleNamed(ctx, folder, name, same, filter.projectKey);
      if (settled !== undefined) candidates.push(settled);
    }
  }
  for (const entry of pending) {
    if (byName.has(entry.name) || !entry.name.startsWith(filter.prefix)) continue;
    if (filter.projectKey === undefined) candidates.push({ entry, folder: ctx.keys.indexFolder() });
    else {
      const truth = await readTruth(ctx, entry.name);
      if (truth.kind === 'valid' && truth.projectKey === filter.projectKey)
        candidates.push({ entry: verifiedEntry(entry, truth.head), folder: ctx.keys.indexFolder() });
    }
  }
  candidates.sort((a, b) => compareListPositions(positionOf(a.entry), positionOf(b.entry)));
  const out: SessionInfo[] = [];
  for (const { entry, folder: from } of candidates) {
    if (filter.after !== undefined && compareListPositions(positionOf(entry), filter.after) <= 0) continue;
    const info = entry.verified
      ? infoFromIndex(ctx, entry.name, entry.head)
      : await describeNamed(ctx, entry, from, filter.projectKey);
    if (info === undefined) continue;
    out.push(info);
    if (filter.limit !== undefined && out.length >= filter.limit) break;
  }
  return out;
}

interface Candidate {
  entry: IndexEntry;
  /** The folder the entry was read from (a time-ordered entry for a session not copied in yet). */
  folder: string;
}

function verifiedEntry(entry: IndexEntry, head: IndexedHead): IndexEntry {
  return { key: entry.key, name: entry.name, lastActive: head.lastActive, verified: true, head };
}

/** An unverified name-ordered entry: the head describes it; an entry the head disowns is repaired. */
async function describeNamed(
  ctx: ListingContext,
  entry: IndexEntry,
  folder: string,
  projectKey: string | undefined,
): Promise<SessionInfo | undefined> {
  if (folder === ctx.keys.indexFolder()) return describe(ctx, entry);
  const truth = await readTruth(ctx, entry.name);
  const where = { name: entry.name, path: ctx.pathOf(entry.name) };
  if (truth.kind === 'unreadable') return corruptSessionInfo(where, truth.error, entry.lastActive);
  if (truth.kind === 'missing' || (projectKey !== undefined && truth.projectKey !== projectKey)) {
    await repair(ctx.objects.delete(entry.key, OPERATION));
    return undefined;
  }
  const key = truth.namedKeys.find((k) => k.startsWith(folder));
  if (key !== undefined && key !== entry.key) {
    // Written for an older head: the entry the head calls for replaces it.
    await repair(ctx.objects.put(key, '', 'application/octet-stream', OPERATION));
    await repair(ctx.objects.delete(entry.key, OPERATION));
  }
  return infoFromIndex(ctx, entry.name, truth.head);
}

/** A name with several entries in one folder: keep the one the head names, delete the others. */
async function settleNamed(
  ctx: ListingContext,
  folder: string,
  name: string,
  same: IndexEntry[],
  projectKey: string | undefined,
): Promise<Candidate | undefined> {
  const truth = await readTruth(ctx, name);
  if (truth.kind === 'unreadable') {
    // A damaged head: one entry shows the damage, the others go.
    await Promise.all(same.slice(1).map((e) => repair(ctx.objects.delete(e.key, OPERATION))));
    return { entry: { ...same[0]!, verified: false }, folder };
  }
  const keep =
    truth.kind === 'valid' && (projectKey === undefined || truth.projectKey === projectKey)
      ? truth.namedKeys.find((k) => k.startsWith(folder))
      : undefined;
  await Promise.all(
    same.filter((e) => e.key !== keep).map((e) => repair(ctx.objects.delete(e.key, OPERATION))),
  );
  if (keep === undefined || truth.kind !== 'valid') return undefined;
  if (!same.some((e) => e.key === keep))
    await repair(ctx.objects.put(keep, '', 'application/octet-stream', OPERATION));
  return {
    entry: { key: keep, name, lastActive: truth.head.lastActive, verified: true, head: truth.head },
    folder,
  };
}

/**
 * Sessions stored before this version of the package have time-ordered entries only. Until a marker object
 * says they have all been copied into the name-ordered folders, each filtered listing copies in up to
 * {@link COPY_IN_BATCH} of them (a GET of each head, then its name-ordered entries) and returns the
 * time-ordered entries of those still left, which the listing then includes itself. The check lists the
 * time-ordered index and the `by-name/` folder (keys only); once done, the marker is written and the check
 * is one GET per process. Listings that start while a check runs share it (the Agent SDK bridge starts
 * three at once).
 */
export function ensureNamedEntries(ctx: ListingContext): Promise<IndexEntry[]> | IndexEntry[] {
  const state = ctx.indexState;
  if (state.complete) return [];
  if (state.checking === undefined) {
    state.checking = checkNamedEntries(ctx).finally(() => {
      state.checking = undefined;
    });
  }
  return state.checking;
}

async function checkNamedEntries(ctx: ListingContext): Promise<IndexEntry[]> {
  const marker = await ctx.objects.getText(ctx.keys.indexStateKey(), OPERATION);
  if (marker !== undefined) {
    ctx.indexState.complete = true;
    return [];
  }
  const indexFolder = ctx.keys.indexFolder();
  const namesFolder = ctx.keys.namesFolder();
  const [timed, named] = await Promise.all([
    ctx.objects.listAllKeys(indexFolder, OPERATION),
    ctx.objects.listAllKeys(namesFolder, OPERATION),
  ]);
  const copied = new Set<string>();
  for (const key of named) {
    const entry = parseNamedKey(namesFolder, key);
    if (entry !== undefined) copied.add(entry.name);
  }
  const legacy = new Map<string, IndexEntry>();
  for (const key of timed) {
    const entry = parseIndexKey(indexFolder, key);
    if (entry !== undefined && !copied.has(entry.name) && !legacy.has(entry.name))
      legacy.set(entry.name, entry);
  }
  const all = [...legacy.values()];
  const batch = all.slice(0, COPY_IN_BATCH);
  const left = all.slice(COPY_IN_BATCH);
  await mapBounded(batch, 8, async (entry) => {
    const truth = await readTruth(ctx, entry.name);
    if (truth.kind === 'unreadable') {
      // A damaged head names no project: a `by-name/` entry without metadata lists it with its error.
      await ctx.objects.put(
        unverifiedNamedKey(ctx.keys.namesFolder(), entry.name, entry.lastActive),
        '',
        'application/octet-stream',
        OPERATION,
      );
      return;
    }
    if (truth.kind !== 'valid') return;
    // The project's entry first: a name-ordered entry is what marks a session as copied in.
    for (const key of truth.namedKeys.slice().reverse())
      await ctx.objects.put(key, '', 'application/octet-stream', OPERATION);
  });
  if (left.length === 0) {
    await ctx.objects.put(
      ctx.keys.indexStateKey(),
      JSON.stringify({ namedEntries: 'complete', at: new Date().toISOString() }),
      'application/json',
      OPERATION,
    );
    ctx.indexState.complete = true;
  }
  return left;
}
