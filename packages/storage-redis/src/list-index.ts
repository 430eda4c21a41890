/**
 * list(): walks the `order` index in listing order and reads the heads of one page (never a message list,
 * never KEYS or SCAN). Index members whose session is gone (expired by TTL, removed) or that are no longer
 * a name's current member are dropped on the way, in one script call per batch and at most
 * {@link LIST_DROP_BUDGET} per listing: lazy cleanup whose work per call stays bounded even after a mass
 * expiry; `pruneIndex()` finishes the job in bounded steps.
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
  fromWireHead,
  readListOptions,
  sessionInfoFromHead,
} from '@channelcoder/session-core/storage-kit';
import { indexKeys, indexMember, parseIndexMember, sessionKeys } from './keys.js';
import type { RedisClient, SessionScripts } from './scripts.js';

export interface IndexContext {
  client: RedisClient;
  scripts: SessionScripts;
  prefix: string;
  /** Cluster clients keep the index in another slot than the sessions: no cross-slot script keys. */
  cluster: boolean;
}

interface Candidate {
  member: string;
  name: string;
  lastActive: number;
}

interface HeadRead {
  head: string | null;
  /** The name's current member per the `members` hash. */
  current: string | null;
  error?: Error;
}

const FULL_BATCH = 500;
/** Index members read per round trip at most (heads are pipelined GETs). */
const MAX_BATCH = 1000;
/**
 * Stale entries one `list()` call drops at most. Past it, stale entries are only skipped: later listings or
 * `pruneIndex()` drop them. Keeps the work of any one listing bounded after mass expiry.
 */
export const LIST_DROP_BUDGET = 1000;

export interface WalkOptions {
  /** Drop at most this many stale entries (default unlimited). */
  maxDrops?: number;
  /** Stop after reading this many index members (a full walk only; default all). */
  maxMembers?: number;
  /** Start after this index member (continuing an earlier walk). */
  afterMember?: string;
  /** Updated as entries are dropped, so a caller that times out can say what changed. */
  progress?: { dropped: number };
  /** Called after each batch's round trips (keeps a per-answer deadline alive). */
  answered?: () => void;
}

export interface WalkResult {
  infos: SessionInfo[];
  /** Stale index entries this walk dropped. */
  dropped: number;
  /** Stale entries it met but left for later (over `maxDrops`). */
  skipped: number;
  /** The last index member read, when the walk stopped before the end of the index (`maxMembers`). */
  next?: string;
}

/** One page (or everything) in listing order, dropping the stale index entries it meets (bounded). */
export async function walkIndex(
  ctx: IndexContext,
  options: ListOptions | undefined,
  walk: WalkOptions = {},
): Promise<WalkResult> {
  const { limit, after, prefix } = readListOptions(options);
  const result: WalkResult = { infos: [], dropped: 0, skipped: 0 };
  const progress = walk.progress ?? { dropped: 0 };
  if (limit === 0) return result;
  const keys = indexKeys(ctx.prefix);
  let batch = limit === undefined ? FULL_BATCH : Math.min(Math.max(limit + 1, 16), MAX_BATCH);
  let from =
    walk.afterMember !== undefined
      ? `(${walk.afterMember}`
      : after === undefined
        ? '-'
        : `(${indexMember(after.lastActive, after.name)}`;
  let read = 0;

  for (;;) {
    const members = await ctx.client.zrangebylex(keys.order, from, '+', 'LIMIT', 0, batch);
    if (members.length === 0) break;
    from = `(${members.at(-1)}`;
    read += members.length;
    const candidates: Candidate[] = [];
    const foreign: string[] = [];
    for (const member of members) {
      const parsed = parseIndexMember(member);
      // Not written by this layout: nothing to list, and nothing that should stay in the index.
      if (parsed === undefined) foreign.push(member);
      else if (parsed.name.startsWith(prefix)) candidates.push({ member, ...parsed });
    }
    const reads = await readHeads(ctx, candidates);
    const stale: Candidate[] = [];
    for (const [i, c] of candidates.entries()) {
      const r = reads[i]!;
      if (r.error === undefined && (r.head === null || r.current !== c.member)) stale.push(c);
      else if (limit === undefined || result.infos.length < limit) result.infos.push(toInfo(ctx, c, r));
    }
    const budget = Math.max(0, (walk.maxDrops ?? Number.POSITIVE_INFINITY) - result.dropped);
    const dropNow = foreign.slice(0, budget);
    const staleNow = stale.slice(0, Math.max(0, budget - dropNow.length));
    result.skipped += foreign.length - dropNow.length + stale.length - staleNow.length;
    if (dropNow.length > 0) {
      result.dropped += await ctx.client.zrem(keys.order, ...dropNow);
      progress.dropped = result.dropped;
    }
    if (staleNow.length > 0) {
      result.dropped += await dropStale(ctx, staleNow);
      progress.dropped = result.dropped;
    }
    walk.answered?.();
    if ((limit !== undefined && result.infos.length >= limit) || members.length < batch) break;
    if (walk.maxMembers !== undefined && read >= walk.maxMembers) {
      result.next = members.at(-1)!;
      break;
    }
    // A page that is still short after a batch of stale entries reads wider: mass expiry costs few round trips.
    if (stale.length + foreign.length > 0) batch = Math.min(batch * 4, MAX_BATCH);
  }
  return result;
}

function toInfo(ctx: IndexContext, c: Candidate, read: HeadRead): SessionInfo {
  const where = { name: c.name, path: sessionKeys(ctx.prefix, c.name).head };
  const cursor = encodeListCursor({ lastActive: c.lastActive, name: c.name });
  try {
    if (read.error !== undefined) throw read.error;
    const info = sessionInfoFromHead(fromWireHead(read.head, { name: c.name, location: where.path }), where);
    // The index position is what paging follows, so the cursor comes from it.
    return { ...info, cursor };
  } catch (err) {
    if (!SessionCorruptError.is(err) && !UnsupportedFormatError.is(err) && read.error === undefined)
      throw err;
    return corruptSessionInfo(where, err, new Date(c.lastActive));
  }
}

async function readHeads(ctx: IndexContext, candidates: Candidate[]): Promise<HeadRead[]> {
  if (candidates.length === 0) return [];
  const { members } = indexKeys(ctx.prefix);
  const names = candidates.map((c) => c.name);
  const headKeys = names.map((n) => sessionKeys(ctx.prefix, n).head);
  if (ctx.cluster) {
    // Heads live in different slots: one GET each (sent concurrently), the hash in the index's slot.
    const [heads, current] = await Promise.all([
      Promise.all(headKeys.map((k) => ctx.client.get(k).then(ok, failed))),
      ctx.client.hmget(members, ...names),
    ]);
    return heads.map((h, i) => ({ ...h, current: current[i] ?? null }));
  }
  const pipeline = ctx.client.pipeline();
  for (const key of headKeys) pipeline.get(key);
  pipeline.hmget(members, ...names);
  const replies = (await pipeline.exec()) ?? [];
  const currentReply = replies.at(-1);
  if (currentReply?.[0]) throw currentReply[0];
  const current = (currentReply?.[1] ?? []) as (string | null)[];
  return headKeys.map((_, i) => {
    const [err, value] = replies[i] ?? [new Error('no reply'), null];
    const read = err ? failed(err) : ok(value as string | null);
    return { ...read, current: current[i] ?? null };
  });
}

function ok(head: string | null): Omit<HeadRead, 'current'> {
  return { head };
}

/** A head that cannot be read (e.g. the key holds another Redis type) lists as a corrupt entry. */
function failed(err: unknown): Omit<HeadRead, 'current'> {
  if (err instanceof Error && /WRONGTYPE/.test(err.message)) {
    return { head: null, error: new Error(`the head key holds another Redis type (${err.message})`) };
  }
  throw err;
}

function dropStale(ctx: IndexContext, stale: Candidate[]): Promise<number> {
  const { order, members } = indexKeys(ctx.prefix);
  const heads = ctx.cluster ? [] : stale.map((c) => sessionKeys(ctx.prefix, c.name).head);
  return ctx.scripts.dropStale([order, members, ...heads], stale);
}
