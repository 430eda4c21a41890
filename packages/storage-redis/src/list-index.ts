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
  sessionProjectKey,
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

export interface Candidate {
  member: string;
  name: string;
  lastActive: number;
}

/**
 * Index members as candidates (the names under `prefix`) and members not written by this layout (`foreign`:
 * nothing to list, and nothing that should stay in the index).
 */
export function splitMembers(
  members: readonly string[],
  prefix = '',
): { candidates: Candidate[]; foreign: string[] } {
  const candidates: Candidate[] = [];
  const foreign: string[] = [];
  for (const member of members) {
    const parsed = parseIndexMember(member);
    if (parsed === undefined) foreign.push(member);
    else if (parsed.name.startsWith(prefix)) candidates.push({ member, ...parsed });
  }
  return { candidates, foreign };
}

export interface HeadRead {
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
  /**
   * Walk these `order` members (in listing order) instead of reading `order`: the members of the names
   * under a prefix (see {@link listByPrefix}).
   */
  members?: readonly string[];
  /**
   * Only sessions whose head's project key is this (read from each head: the whole-index fallback of a
   * project listing while the project index is being filled for older data).
   */
  projectKey?: string;
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
  let position = 0;

  for (;;) {
    const members =
      walk.members === undefined
        ? await ctx.client.zrangebylex(keys.order, from, '+', 'LIMIT', 0, batch)
        : walk.members.slice(position, position + batch);
    position += members.length;
    if (members.length === 0) break;
    from = `(${members.at(-1)}`;
    read += members.length;
    const { candidates, foreign } = splitMembers(members, prefix);
    const reads = await readHeads(ctx, candidates);
    const stale: Candidate[] = [];
    for (const [i, c] of candidates.entries()) {
      const r = reads[i]!;
      if (r.error === undefined && (r.head === null || r.current !== c.member)) stale.push(c);
      else if (walk.projectKey !== undefined && headProject(r) !== walk.projectKey) continue;
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

export function toInfo(ctx: IndexContext, c: Candidate, read: HeadRead): SessionInfo {
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

/** The project key of a head that was read ('' for none; undefined when it does not validate). */
export function headProject(read: HeadRead): string | undefined {
  if (read.error !== undefined || read.head === null) return undefined;
  try {
    return sessionProjectKey(fromWireHead(read.head, { name: '(listing)' })) ?? '';
  } catch {
    return undefined;
  }
}

export async function readHeads(ctx: IndexContext, candidates: Candidate[]): Promise<HeadRead[]> {
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

/** Drops stale index entries (see DROP_STALE); with `project`, from that project's ZSET too. */
export function dropStale(ctx: IndexContext, stale: Candidate[], project = ''): Promise<number> {
  const { order, members } = indexKeys(ctx.prefix);
  const heads = ctx.cluster ? [] : stale.map((c) => sessionKeys(ctx.prefix, c.name).head);
  return ctx.scripts.dropStale([order, members, ...heads], stale, project);
}

/** Index entries one migration step copies into the name index (one short script). */
const MIGRATE_STEP = 1000;
/** Migration steps a prefixed `list()` runs at most before it lists by walking the whole index. */
const MIGRATE_STEPS_PER_LIST = 5;

/**
 * KEYS: order, names, names-state. ARGV: count. Copies the names of the next `count` members of `order`
 * (after the one names-state holds) into `names`, and records how far it got; `complete` at the end.
 * Returns {1, copied} when the name index is complete, {0, copied} when more steps are needed.
 */
const MIGRATE_NAMES = `
local state = redis.call('GET', KEYS[3])
if state == 'complete' then return {1, 0} end
local from = '-'
if state then from = '(' .. state end
local count = tonumber(ARGV[1])
local members = redis.call('ZRANGEBYLEX', KEYS[1], from, '+', 'LIMIT', 0, count)
for _, m in ipairs(members) do
  if string.len(m) > 18 and string.sub(m, 18, 18) == ':' then redis.call('ZADD', KEYS[2], 0, string.sub(m, 19)) end
end
if #members < count then
  redis.call('SET', KEYS[3], 'complete')
  return {1, #members}
end
redis.call('SET', KEYS[3], members[#members])
return {0, #members}
`;

/** KEYS: members, names. ARGV: names. Drops names that have no index entry; returns how many. */
const DROP_NAMES = `
local dropped = 0
for _, name in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[1], name) == 0 then dropped = dropped + redis.call('ZREM', KEYS[2], name) end
end
return dropped
`;

/**
 * Fills the name index from `order` for sessions indexed before it existed, at most `maxSteps` steps of
 * {@link MIGRATE_STEP} entries; resolves true once it is complete (then at once, with one GET).
 */
export async function migrateNames(ctx: IndexContext, maxSteps: number): Promise<boolean> {
  const keys = indexKeys(ctx.prefix);
  if ((await ctx.client.get(keys.namesState)) === 'complete') return true;
  for (let step = 0; step < maxSteps; step++) {
    const [done] = (await ctx.scripts.custom(
      'channelcoderSessionsMigrateNamesV1',
      MIGRATE_NAMES,
      [keys.order, keys.names, keys.namesState],
      [MIGRATE_STEP],
    )) as number[];
    if (done === 1) return true;
  }
  return false;
}

/** Names read per ZRANGEBYLEX (and their members per HMGET) when listing under a prefix. */
const NAME_BATCH = 1000;

/**
 * `list({ prefix })`: reads the names under the prefix from the name index (ZRANGEBYLEX over
 * `[prefix` … `(prefix\xff`: no other name is read), their index members, and walks those in listing
 * order like the whole index. Sessions of other prefixes cost nothing. While the name index is not yet
 * complete (data stored before it), each call first copies a bounded part of it and, until it is complete,
 * lists by walking the whole index instead.
 */
export async function listByPrefix(
  ctx: IndexContext,
  options: ListOptions | undefined,
  walk: WalkOptions,
): Promise<WalkResult> {
  const { limit, after, prefix } = readListOptions(options);
  if (prefix === '' || limit === 0 || !(await migrateNames(ctx, MIGRATE_STEPS_PER_LIST)))
    return walkIndex(ctx, options, walk);
  const keys = indexKeys(ctx.prefix);
  const start = Buffer.from(`[${prefix}`, 'utf8');
  const end = Buffer.concat([Buffer.from(`(${prefix}`, 'utf8'), Buffer.of(0xff)]);
  const found: { member: Buffer; text: string }[] = [];
  const orphans: string[] = [];
  const afterMember =
    after === undefined ? undefined : Buffer.from(indexMember(after.lastActive, after.name));
  for (let offset = 0; ; offset += NAME_BATCH) {
    const names = await ctx.client.zrangebylex(keys.names, start, end, 'LIMIT', offset, NAME_BATCH);
    if (names.length === 0) break;
    const current = await ctx.client.hmget(keys.members, ...names);
    for (const [i, name] of names.entries()) {
      const member = current[i];
      if (member === null || member === undefined) orphans.push(name);
      else {
        const bytes = Buffer.from(member, 'utf8');
        if (afterMember === undefined || Buffer.compare(bytes, afterMember) > 0)
          found.push({ member: bytes, text: member });
      }
    }
    walk.answered?.();
    if (names.length < NAME_BATCH) break;
  }
  found.sort((a, b) => Buffer.compare(a.member, b.member));
  const result = await walkIndex(ctx, options, { ...walk, members: found.map((f) => f.text) });
  // Names with no index entry (a copy raced a remove): dropped, within the listing's budget.
  const budget = Math.max(0, (walk.maxDrops ?? Number.POSITIVE_INFINITY) - result.dropped);
  const dropNow = orphans.slice(0, budget);
  if (dropNow.length > 0) {
    await ctx.scripts.custom(
      'channelcoderSessionsDropNamesV1',
      DROP_NAMES,
      [keys.members, keys.names],
      dropNow,
    );
  }
  return result;
}
