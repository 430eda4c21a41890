/**
 * list(): walks the `order` index in listing order and reads the heads of one page (never a message list,
 * never KEYS or SCAN). Index members whose session is gone (expired by TTL, removed) or that are no longer
 * a name's current member are dropped on the way: lazy cleanup that keeps the index as large as the set of
 * live sessions plus whatever expired since the last listing.
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

/** One page (or everything) in listing order; also reports how many stale index entries it dropped. */
export async function walkIndex(
  ctx: IndexContext,
  options: ListOptions | undefined,
): Promise<{ infos: SessionInfo[]; dropped: number }> {
  const { limit, after, prefix } = readListOptions(options);
  const infos: SessionInfo[] = [];
  let dropped = 0;
  if (limit === 0) return { infos, dropped };
  const keys = indexKeys(ctx.prefix);
  const batch = limit === undefined ? FULL_BATCH : Math.min(Math.max(limit + 1, 16), 1000);
  let from = after === undefined ? '-' : `(${indexMember(after.lastActive, after.name)}`;

  for (;;) {
    const members = await ctx.client.zrangebylex(keys.order, from, '+', 'LIMIT', 0, batch);
    if (members.length === 0) break;
    from = `(${members.at(-1)}`;
    const candidates: Candidate[] = [];
    const stale: Promise<void>[] = [];
    for (const member of members) {
      const parsed = parseIndexMember(member);
      if (parsed === undefined) {
        // Not written by this layout: nothing to list, and nothing that should stay in the index.
        stale.push(ctx.client.zrem(keys.order, member).then(() => {}));
        dropped += 1;
      } else if (parsed.name.startsWith(prefix)) candidates.push({ member, ...parsed });
    }
    const reads = await readHeads(ctx, candidates);
    for (const [i, c] of candidates.entries()) {
      const read = reads[i]!;
      if (read.error === undefined && (read.head === null || read.current !== c.member)) {
        stale.push(dropStale(ctx, c));
        dropped += 1;
        continue;
      }
      if (limit === undefined || infos.length < limit) infos.push(toInfo(ctx, c, read));
    }
    await Promise.all(stale);
    if ((limit !== undefined && infos.length >= limit) || members.length < batch) break;
  }
  return { infos, dropped };
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

function dropStale(ctx: IndexContext, c: Candidate): Promise<void> {
  const { order, members } = indexKeys(ctx.prefix);
  const keys = ctx.cluster ? [order, members] : [order, members, sessionKeys(ctx.prefix, c.name).head];
  return ctx.scripts.dropStale(keys, c.member, c.name);
}
