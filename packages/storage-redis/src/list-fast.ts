/**
 * One round trip for the common listings: `list({ prefix })` and `list({ projectKey })` without a cursor,
 * over at most {@link FAST_MAX} sessions each. The listings asked for in the same tick (e.g. the Agent SDK
 * bridge's own names, earlier versions' names and the project's channelcoder sessions, asked side by side)
 * go to the server as ONE call of a read-only script, which reads their index entries and heads. A listing
 * the script cannot answer as the full walk would (index not complete yet, more sessions than
 * {@link FAST_MAX}, a stale, foreign or orphaned index entry, a head that is missing or of another type, a
 * session filed under another project) comes back unanswered and is listed by the full walk
 * (`listByPrefix` / `listByProject`), which also cleans up what it meets. Standalone servers only (the adapter
 * asks it only without a cluster client): the script reads heads it finds on the way (no cluster client can route that).
 *
 * A project listing asked alone in its tick (what `toAgentSessionStore`'s `listSessions` asks once it knows
 * the project) runs no script: ONE `SORT_RO` of the project's listing ZSET (`projectListingKey`: names in
 * listing order, plus a member '' that says the set is complete) reads its names and, with `GET`, their
 * heads. Every entry is checked on its head: a head that is gone (expired, removed) or does not decode, one
 * of another project, or an order that is not the heads' listing order sends the listing to the full walk
 * (which cleans up; the scripts keep the listing ZSET with the project ZSET). A set not built yet (no
 * member '') is built by one script after the listing has been answered the other way, from the project
 * ZSET's current members once the project index is complete, for projects of at most {@link FAST_MAX}
 * sessions. A server that refuses `SORT_RO` (before Redis 7.0, or an ACL without read access to every key,
 * which `SORT … GET` needs) keeps the script path.
 */
import { isValidSessionName, type ListOptions, type SessionInfo } from '@channelcoder/session-core';
import {
  encodeListCursor,
  fromWireHead,
  readListOptions,
  sessionInfoFromHead,
  sessionProjectKey,
} from '@channelcoder/session-core/storage-kit';
import { indexKeys, parseIndexMember, projectIndexKey, projectListingKey, sessionKeys } from './keys.js';
import { type IndexContext, toInfo } from './list-index.js';

/** Sessions one fast listing reads at most (their heads, in one script call); more go the full walk. */
export const FAST_MAX = 200;

/**
 * KEYS: names, members, names-state, projects-state, then the ZSET of each project listing.
 * ARGV: FAST_MAX, the completeness bits the caller already saw (1: the name index is
 * complete, 2: the project index is; a copy never goes back, so those are not read again), then per listing three values: `n` and the name prefix, or `p` and the KEYS index of
 * its project ZSET; then the page size (0: no limit).
 * Replies the completeness bits, then per listing `{0}` (not answered: list by the full walk) or
 * `{1, member, head, member, head, …}`: the page's index members in listing order and their heads (read
 * with one MGET; a head of another type reads as nil, so that listing goes the full walk, which reports it).
 */
const LIST_FAST = `
-- The session keys' prefix, from the index key's (as the client sent it, with any client-side key prefix).
local keyPrefix = string.sub(KEYS[1], 1, -(string.len('{index}:names') + 1))
local cap, known = tonumber(ARGV[1]), tonumber(ARGV[2])
local namesDone = known % 2 == 1 or redis.call('GET', KEYS[3]) == 'complete'
local projectsDone = known >= 2 or redis.call('GET', KEYS[4]) == 'complete'
local function page(members, limit)
  local n = #members
  if limit > 0 and limit < n then n = limit end
  local heads = {}
  for i = 1, n do
    local m = members[i]
    if string.len(m) <= 18 or string.sub(m, 18, 18) ~= ':' then return {0} end
    heads[i] = keyPrefix .. '{' .. string.sub(m, 19) .. '}:head'
  end
  local values = redis.call('MGET', unpack(heads))
  local out = {1}
  for i = 1, n do
    if not values[i] then return {0} end
    out[2 * i] = members[i]
    out[2 * i + 1] = values[i]
  end
  return out
end
local replies = {(namesDone and 1 or 0) + (projectsDone and 2 or 0)}
for q = 3, #ARGV, 3 do
  local kind, value, limit = ARGV[q], ARGV[q + 1], tonumber(ARGV[q + 2])
  local reply = {0}
  if kind == 'n' and namesDone then
    local names = redis.call('ZRANGEBYLEX', KEYS[1], '[' .. value, '(' .. value .. '\\255', 'LIMIT', 0, cap + 1)
    if #names == 0 then
      reply = {1}
    elseif #names <= cap then
      local members = redis.call('HMGET', KEYS[2], unpack(names))
      local complete = true
      for i = 1, #names do if not members[i] then complete = false end end
      if complete then
        table.sort(members)
        reply = page(members, limit)
      end
    end
  elseif kind == 'p' and projectsDone then
    local members = redis.call('ZRANGEBYLEX', KEYS[tonumber(value)], '-', '+', 'LIMIT', 0, cap + 1)
    if #members == 0 then
      reply = {1}
    elseif #members <= cap then
      local names = {}
      for i, m in ipairs(members) do names[i] = string.sub(m, 19) end
      local current = redis.call('HMGET', KEYS[2], unpack(names))
      local fresh = true
      for i = 1, #members do if current[i] ~= members[i] then fresh = false end end
      if fresh then reply = page(members, limit) end
    end
  end
  replies[#replies + 1] = reply
end
return replies
`;

/**
 * KEYS: projects-state, members, the project ZSET, the project's listing ZSET. ARGV: FAST_MAX.
 * Builds the listing ZSET from the project ZSET's current members (each name scored by its member's 17
 * digits), with the member '' scored -inf that marks it complete, once the project index is complete and
 * for at most FAST_MAX sessions. Returns 1 when built; 0 when the project index is not complete yet, -1
 * when the project has more sessions (nothing changed either way).
 */
const BUILD_LISTING = `
if redis.call('GET', KEYS[1]) ~= 'complete' then return 0 end
local cap = tonumber(ARGV[1])
local members = redis.call('ZRANGEBYLEX', KEYS[3], '-', '+', 'LIMIT', 0, cap + 1)
if #members > cap then return -1 end
redis.call('DEL', KEYS[4])
redis.call('ZADD', KEYS[4], '-inf', '')
for _, m in ipairs(members) do
  local digits = string.sub(m, 1, 17)
  if string.sub(m, 18, 18) == ':' and string.match(digits, '^%d+$') then
    local name = string.sub(m, 19)
    if name ~= '' and redis.call('HGET', KEYS[2], name) == m then redis.call('ZADD', KEYS[4], digits, name) end
  end
end
return 1
`;

/** How long a project whose listing ZSET cannot answer (too many sessions, an unusual order) is not asked. */
const SORTED_PAUSE_MS = 60_000;

/** What the listing ZSET's read says: the listing, or why it is not the answer. */
type SortedOutcome = SessionInfo[] | 'unbuilt' | 'walk' | 'pause';

interface Pending {
  options: Query;
  resolve: (infos: SessionInfo[] | undefined) => void;
  reject: (err: unknown) => void;
}

/** Whether a listing can be asked of the script (see the module notes). */
export function fastEligible(options: ListOptions | undefined): options is ListOptions {
  if (options === undefined || options.cursor !== undefined) return false;
  if (options.projectKey !== undefined) return true;
  return options.prefix !== undefined && options.prefix !== '';
}

/**
 * Gathers the listings asked in one tick and sends them as one script call. `run` wraps the call (the
 * adapter's deadline and error mapping).
 */
export class FastLister {
  private pending: Pending[] = [];
  /** Bit 1: the name index is complete; bit 2: the project index is (once a reply said so; never undone). */
  private complete = 0;
  /**
   * Decoded heads by index member: a head read again byte for byte at the same index position is not
   * decoded again (listing the same sessions repeatedly costs the read, not the validation).
   */
  private readonly decoded = new Map<string, Decoded>();
  /** The same for SORT_RO listings, by session name. */
  private readonly byName = new Map<string, NamedHead>();
  private readonly indexKeys: readonly string[];
  /** Project listings may be read with SORT_RO (see the module notes); false once the server refused it. */
  private sortable: boolean;
  /** Projects not read with SORT_RO until the given time (their listing ZSET could not answer). */
  private readonly paused = new Map<string, number>();

  constructor(
    private readonly ctx: IndexContext,
    private readonly run: <T>(work: () => Promise<T>) => Promise<T>,
  ) {
    const keys = indexKeys(ctx.prefix);
    this.indexKeys = [keys.names, keys.members, keys.namesState, keys.projectsState];
    // SORT … GET substitutes the first '*' of the pattern: a prefix with one cannot name the heads.
    const keyPrefix = (ctx.client as { options?: { keyPrefix?: unknown } }).options?.keyPrefix;
    this.sortable =
      !ctx.cluster &&
      !ctx.prefix.includes('*') &&
      !(typeof keyPrefix === 'string' && keyPrefix.includes('*'));
  }

  /**
   * The listing, or undefined when the script could not answer it (list it by the full walk).
   *
   * @throws InvalidArgumentError for bad options (as the full walk).
   */
  list(options: ListOptions): Promise<SessionInfo[] | undefined> {
    const { limit, prefix, projectKey } = readListOptions(options);
    if (limit === 0) return Promise.resolve([]);
    const query = { limit, prefix, projectKey };
    return new Promise((resolve, reject) => {
      if (this.pending.push({ options: query, resolve, reject }) === 1) queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const only = batch.length === 1 ? batch[0]! : undefined;
    if (only !== undefined && this.sortedEligible(only.options)) {
      this.run(() => this.sorted(only.options)).then(
        (outcome) => {
          if (Array.isArray(outcome)) only.resolve(outcome);
          else if (outcome === 'unbuilt') {
            // Answered by the script (or the full walk) this time; the listing ZSET is built beside it.
            this.build(only.options.projectKey!);
            this.batch([only]);
          } else {
            if (outcome === 'pause') this.pause(only.options.projectKey!);
            only.resolve(undefined);
          }
        },
        (err) => only.reject(err),
      );
      return;
    }
    this.batch(batch);
  }

  private batch(batch: Pending[]): void {
    this.run(() => this.send(batch)).then(
      (replies) => {
        for (const [i, p] of batch.entries()) {
          try {
            p.resolve(this.decode(p.options, replies[i]));
          } catch (err) {
            p.reject(err);
          }
        }
      },
      (err) => {
        for (const p of batch) p.reject(err);
      },
    );
  }

  private sortedEligible({ projectKey }: Query): boolean {
    if (!this.sortable || projectKey === undefined) return false;
    const until = this.paused.get(projectKey);
    if (until === undefined) return true;
    if (Date.now() < until) return false;
    this.paused.delete(projectKey);
    return true;
  }

  private pause(projectKey: string): void {
    if (this.paused.size >= MEMO_SIZE) this.paused.clear();
    this.paused.set(projectKey, Date.now() + SORTED_PAUSE_MS);
  }

  /** The project's listing from its listing ZSET and heads: one SORT_RO. */
  private async sorted(query: Query): Promise<SortedOutcome> {
    const { limit, prefix, projectKey } = query;
    // The member '' first, then the page (a prefix filters after reading) or one more than FAST_MAX: one
    // command never reads more heads than that.
    const page = prefix === '' && limit !== undefined && limit <= FAST_MAX ? limit : FAST_MAX + 1;
    const count = 1 + page;
    let reply: unknown;
    try {
      // As bytes: a head is compared with the one decoded before without decoding its text first.
      reply = await (this.ctx.client as { callBuffer(...args: unknown[]): Promise<unknown> }).callBuffer(
        'sort_ro',
        projectListingKey(this.ctx.prefix, projectKey!),
        'BY',
        'nosort',
        'LIMIT',
        0,
        count,
        'GET',
        '#',
        'GET',
        `${this.ctx.prefix}{*}:head`,
      );
    } catch (err) {
      if (!isReplyError(err)) throw err;
      // A key of another type is rebuilt; any other refusal (no SORT_RO, an ACL) ends this path.
      if (/WRONGTYPE/.test(err.message)) return 'unbuilt';
      this.sortable = false;
      return 'walk';
    }
    return this.decodeSorted(query, reply);
  }

  private decodeSorted({ limit, prefix, projectKey }: Query, reply: unknown): SortedOutcome {
    if (!Array.isArray(reply) || !Buffer.isBuffer(reply[0]) || reply[0].length !== 0) return 'unbuilt';
    if ((reply.length - 2) / 2 > FAST_MAX) return 'pause';
    const infos: SessionInfo[] = [];
    let previous: NamedHead | undefined;
    for (let i = 2; i + 1 < reply.length; i += 2) {
      // Names are ASCII (core validates them; a head whose name is not valid goes the walk, see decodeNamed).
      const name = (reply[i] as Buffer).toString('latin1');
      const head = reply[i + 1] as Buffer | null;
      if (head === null) return 'walk'; // gone (expired, removed) or of another type
      let known = this.byName.get(name);
      if (known === undefined || !known.bytes.equals(head)) {
        known = this.decodeNamed(name, head);
        if (known === undefined) return 'walk';
        if (this.byName.size >= MEMO_SIZE) this.byName.clear();
        this.byName.set(name, known);
      }
      if (known.project !== projectKey) return 'walk';
      if (previous !== undefined && !listedBefore(previous.info, known.info)) return 'pause';
      previous = known;
      if (!name.startsWith(prefix)) continue;
      if (limit !== undefined && infos.length >= limit) break;
      infos.push(copyInfo(known.info));
    }
    return infos;
  }

  /** A head read by name (SORT_RO); undefined when it does not decode (the full walk lists it). */
  private decodeNamed(name: string, bytes: Buffer): NamedHead | undefined {
    if (!isValidSessionName(name)) return undefined;
    const path = sessionKeys(this.ctx.prefix, name).head;
    try {
      const decoded = fromWireHead(bytes.toString(), { name, location: path });
      const info = sessionInfoFromHead(decoded, { name, path });
      const lastActive = info.lastActive.getTime();
      if (!Number.isFinite(lastActive)) return undefined;
      // The index member is written from the head's lastActive, so this is the cursor the walk gives.
      info.cursor = encodeListCursor({ lastActive, name });
      return { bytes, info, project: sessionProjectKey(decoded) ?? '' };
    } catch {
      return undefined;
    }
  }

  /** Builds the project's listing ZSET (sent now, not awaited: the listing does not wait for it). */
  private build(projectKey: string): void {
    const keys = indexKeys(this.ctx.prefix);
    this.ctx.scripts
      .custom(
        'channelcoderSessionsBuildListingV1',
        BUILD_LISTING,
        [
          keys.projectsState,
          keys.members,
          projectIndexKey(this.ctx.prefix, projectKey),
          projectListingKey(this.ctx.prefix, projectKey),
        ],
        [FAST_MAX],
      )
      .then(
        (built) => {
          if (built === -1) this.pause(projectKey);
        },
        () => {}, // the next listing tries again (or reports the server)
      );
  }

  private async send(batch: Pending[]): Promise<unknown[]> {
    const scriptKeys = [...this.indexKeys];
    const args: (string | number)[] = [FAST_MAX, this.complete];
    for (const { options } of batch) {
      const { limit, prefix, projectKey } = options;
      if (projectKey !== undefined) {
        scriptKeys.push(projectIndexKey(this.ctx.prefix, projectKey));
        // With a prefix too, the page is cut after filtering by name.
        args.push('p', scriptKeys.length, prefix === '' ? (limit ?? 0) : 0);
      } else args.push('n', prefix, limit ?? 0);
    }
    const [complete, ...replies] = (await this.ctx.scripts.custom(
      'channelcoderSessionsListFastV1',
      LIST_FAST,
      scriptKeys,
      args,
    )) as [number, ...unknown[]];
    this.complete |= complete;
    return replies;
  }

  private decode({ limit, prefix, projectKey }: Query, reply: unknown): SessionInfo[] | undefined {
    if (!Array.isArray(reply) || reply[0] !== 1) return undefined;
    const infos: SessionInfo[] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) {
      const member = reply[i] as string;
      const head = reply[i + 1] as string;
      let known = this.decoded.get(member);
      if (known === undefined || known.head !== head) {
        const parsed = parseIndexMember(member);
        if (parsed === undefined) return undefined;
        known = this.decodeHead(member, parsed, head);
        if (known.info.error === undefined) this.remember(member, known);
      }
      if (!known.info.name.startsWith(prefix)) continue;
      if (limit !== undefined && infos.length >= limit) break;
      // A project listing lists the head's project only: another one goes the full walk (it refiles it).
      if (projectKey !== undefined && known.project !== projectKey) return undefined;
      infos.push(copyInfo(known.info));
    }
    return infos;
  }

  private decodeHead(member: string, parsed: { name: string; lastActive: number }, head: string): Decoded {
    const path = sessionKeys(this.ctx.prefix, parsed.name).head;
    try {
      const decoded = fromWireHead(head, { name: parsed.name, location: path });
      const info = sessionInfoFromHead(decoded, { name: parsed.name, path });
      // The index position is what paging follows, so the cursor comes from it (as in `toInfo`).
      info.cursor = encodeListCursor({ lastActive: parsed.lastActive, name: parsed.name });
      return { member, head, info, project: sessionProjectKey(decoded) ?? '' };
    } catch {
      // Listed with `error` set, as the full walk lists it (and never as any project's).
      return { member, head, info: toInfo(this.ctx, { member, ...parsed }, { head, current: member }) };
    }
  }

  private remember(member: string, decoded: Decoded): void {
    if (this.decoded.size >= MEMO_SIZE && !this.decoded.has(member)) this.decoded.clear();
    this.decoded.set(member, decoded);
  }
}

/** A listing's options, checked. */
interface Query {
  limit: number | undefined;
  prefix: string;
  projectKey: string | undefined;
}

/** Heads decoded before, kept at most (then forgotten all at once). */
const MEMO_SIZE = 2000;

/** A head as decoded for a listing, with what it was decoded from. */
interface Decoded {
  member: string;
  head: string;
  info: SessionInfo;
  /** `sessionProjectKey` of the head ('' for none); undefined for a head that does not decode. */
  project?: string;
}

/** A head as decoded for a SORT_RO listing, with the bytes it was decoded from. */
interface NamedHead {
  bytes: Buffer;
  info: SessionInfo;
  /** `sessionProjectKey` of the head ('' for none). */
  project: string;
}

/** Whether `a` comes before `b` in listing order (newest lastActive first, ties by name). */
function listedBefore(a: SessionInfo, b: SessionInfo): boolean {
  const ta = a.lastActive.getTime();
  const tb = b.lastActive.getTime();
  return ta > tb || (ta === tb && a.name < b.name);
}

/** An error the server replied with (the connection is fine). */
function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ReplyError';
}

/** A listing entry the caller owns (the remembered one stays as decoded). */
function copyInfo(info: SessionInfo): SessionInfo {
  // Field by field, in the order `sessionInfoFromHead` writes them (a spread costs more, per entry).
  const copy: SessionInfo = {
    name: info.name,
    path: info.path,
    created: new Date(info.created.getTime()),
    lastActive: new Date(info.lastActive.getTime()),
    messageCount: info.messageCount,
  };
  if ('totalCostUsd' in info) copy.totalCostUsd = info.totalCostUsd;
  if ('cursor' in info) copy.cursor = info.cursor;
  if (info.currentSessionId !== undefined) copy.currentSessionId = info.currentSessionId;
  if (info.tags !== undefined) copy.tags = [...info.tags];
  if (info.transcriptError !== undefined) copy.transcriptError = info.transcriptError;
  if (info.error !== undefined) copy.error = info.error;
  return copy;
}
