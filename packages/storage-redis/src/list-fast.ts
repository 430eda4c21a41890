/**
 * One round trip for the common listings: `list({ prefix })` and `list({ projectKey })` without a cursor,
 * over at most {@link FAST_MAX} sessions each. The listings asked for in the same tick (e.g. the Agent SDK
 * bridge's own names, earlier versions' names and the project's channelcoder sessions, asked side by side)
 * go to the server as ONE call of a read-only script, which reads their index entries and heads. A listing
 * the script cannot answer as the full walk would (index not complete yet, more sessions than
 * {@link FAST_MAX}, a stale, foreign or orphaned index entry, a head that is missing or of another type, a
 * session filed under another project) comes back unanswered and is listed by the full walk
 * (`listByPrefix` / `listByProject`), which also cleans up what it meets. Standalone servers only: the
 * script reads heads it finds on the way (no cluster client can route that).
 */
import type { ListOptions, SessionInfo } from '@channelcoder/session-core';
import {
  encodeListCursor,
  fromWireHead,
  readListOptions,
  sessionInfoFromHead,
  sessionProjectKey,
} from '@channelcoder/session-core/storage-kit';
import { indexKeys, parseIndexMember, projectIndexKey, sessionKeys } from './keys.js';
import { type IndexContext, toInfo } from './list-index.js';

/** Sessions one fast listing reads at most (their heads, in one script call); more go the full walk. */
export const FAST_MAX = 200;

/**
 * KEYS: names, members, names-state, projects-state, then the ZSET of each project listing.
 * ARGV: the key prefix, FAST_MAX, then per listing three values: `n` and the name prefix, or `p` and the
 * KEYS index of its project ZSET; then the page size (0: no limit).
 * Replies per listing `{0}` (not answered: list by the full walk) or `{1, member, head, member, head, …}`:
 * the page's index members in listing order and their heads.
 */
const LIST_FAST = `
local keyPrefix, cap = ARGV[1], tonumber(ARGV[2])
local namesDone = redis.call('GET', KEYS[3]) == 'complete'
local projectsDone = redis.call('GET', KEYS[4]) == 'complete'
local function page(members, limit)
  local out = {1}
  local n = #members
  if limit > 0 and limit < n then n = limit end
  for i = 1, n do
    local m = members[i]
    if string.len(m) <= 18 or string.sub(m, 18, 18) ~= ':' then return {0} end
    local ok, head = pcall(redis.call, 'GET', keyPrefix .. '{' .. string.sub(m, 19) .. '}:head')
    if not ok or not head then return {0} end
    out[#out + 1] = m
    out[#out + 1] = head
  end
  return out
end
local replies = {}
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

interface Pending {
  options: ListOptions;
  resolve: (infos: SessionInfo[] | undefined) => void;
  reject: (err: unknown) => void;
}

/** Whether a listing can be asked of the script (see the module notes). */
export function fastEligible(ctx: IndexContext, options: ListOptions | undefined): boolean {
  if (ctx.cluster || options === undefined || options.cursor !== undefined) return false;
  if (options.projectKey !== undefined) return true;
  return options.prefix !== undefined && options.prefix !== '';
}

/**
 * Gathers the listings asked in one tick and sends them as one script call. `run` wraps the call (the
 * adapter's deadline and error mapping).
 */
export class FastLister {
  private pending: Pending[] = [];

  constructor(
    private readonly ctx: IndexContext,
    private readonly run: <T>(work: () => Promise<T>) => Promise<T>,
  ) {}

  /** The listing, or undefined when the script could not answer it (list it by the full walk). */
  list(options: ListOptions): Promise<SessionInfo[] | undefined> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ options, resolve, reject }) === 1) queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
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

  private async send(batch: Pending[]): Promise<unknown[]> {
    const keys = indexKeys(this.ctx.prefix);
    const scriptKeys = [keys.names, keys.members, keys.namesState, keys.projectsState];
    const args: (string | number)[] = [this.ctx.prefix, FAST_MAX];
    for (const { options } of batch) {
      const { limit, prefix, projectKey } = readListOptions(options);
      if (projectKey !== undefined) {
        scriptKeys.push(projectIndexKey(this.ctx.prefix, projectKey));
        // With a prefix too, the page is cut after filtering by name.
        args.push('p', scriptKeys.length, prefix === '' ? (limit ?? 0) : 0);
      } else args.push('n', prefix, limit ?? 0);
    }
    return (await this.ctx.scripts.custom(
      'channelcoderSessionsListFastV1',
      LIST_FAST,
      scriptKeys,
      args,
    )) as unknown[];
  }

  private decode(options: ListOptions, reply: unknown): SessionInfo[] | undefined {
    const { limit, prefix, projectKey } = readListOptions(options);
    if (!Array.isArray(reply) || reply[0] !== 1) return undefined;
    const infos: SessionInfo[] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) {
      const member = reply[i] as string;
      const head = reply[i + 1] as string;
      const parsed = parseIndexMember(member);
      if (parsed === undefined) return undefined;
      if (!parsed.name.startsWith(prefix)) continue;
      if (limit !== undefined && infos.length >= limit) break;
      const c = { member, ...parsed };
      if (projectKey === undefined) {
        infos.push(toInfo(this.ctx, c, { head, current: member }));
        continue;
      }
      // A project listing lists the head's project only: another one goes the full walk (it refiles it).
      const path = sessionKeys(this.ctx.prefix, parsed.name).head;
      let decoded: ReturnType<typeof fromWireHead>;
      try {
        decoded = fromWireHead(head, { name: parsed.name, location: path });
      } catch {
        return undefined;
      }
      if ((sessionProjectKey(decoded) ?? '') !== projectKey) return undefined;
      const info = sessionInfoFromHead(decoded, { name: parsed.name, path });
      // The index position is what paging follows, so the cursor comes from it (as in `toInfo`).
      info.cursor = encodeListCursor({ lastActive: parsed.lastActive, name: parsed.name });
      infos.push(info);
    }
    return infos;
  }
}
