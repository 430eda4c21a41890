/**
 * The Lua scripts that make each write atomic. They are registered on the caller's client with ioredis'
 * `defineCommand` (names carry a `channelcoderSessions…V1` prefix), which sends EVAL once per connection
 * and EVALSHA afterwards, and falls back to EVAL when the server answers NOSCRIPT (e.g. after a restart).
 *
 * Session scripts take KEYS head, messages, transcripts (the save script also the lease key, fourth),
 * then the index keys order, members when every key lives on one server. On a Cluster the index is in another slot, so the adapter
 * calls them with the session keys only and updates the index with a second script. Transcript lists are
 * named from the transcripts key inside the scripts; they share its hash tag, hence its slot.
 */
import type { Cluster, Redis } from 'ioredis';
import { ELEMENT_BYTES } from './message-elements.js';

export type RedisClient = Redis | Cluster;

/** Shared helpers: one expiry instant for all keys of a session; the index entry of a name. */
const HELPERS = `
-- Absolute, computed once: relative PEXPIREs in one script can land a millisecond apart.
local function expire_at(ttl)
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + ttl
end
local function transcript_key(transcripts, id)
  return string.sub(transcripts, 1, -(string.len(':transcripts') + 1)) .. ':transcript:' .. id
end
-- at > 0: every key of the session expires at that instant; at == 0: none expires.
local function set_expiry(head, messages, transcripts, at)
  local keys = {head, messages, transcripts}
  for _, id in ipairs(redis.call('SMEMBERS', transcripts)) do keys[#keys + 1] = transcript_key(transcripts, id) end
  for _, key in ipairs(keys) do
    if at > 0 then redis.call('PEXPIREAT', key, at) else redis.call('PERSIST', key) end
  end
end
-- The other index keys live beside P{index}:order (same hash tag, hence the same slot): names, projects,
-- project:<projectKey>.
local function index_key(order, suffix)
  return string.sub(order, 1, -(string.len('order') + 1)) .. suffix
end
local function names_key(order)
  return index_key(order, 'names')
end
-- project-listing:<projectKey>: the project's names scored by their member's inverted lastActive, kept
-- only once a listing has built it (it exists from then on; see list-fast.ts).
local function listing_key(order, project)
  return index_key(order, 'project-listing:' .. project)
end
-- Takes name out of project's listing ZSET; a set left with its mark alone goes (a later listing builds it).
local function unlist(order, project, name)
  local listing = listing_key(order, project)
  if redis.call('ZREM', listing, name) == 1 and redis.call('ZCARD', listing) == 1 then
    redis.call('DEL', listing)
  end
end
-- Forgets the project recorded for name (P{index}:projects) and its member old in that project's ZSET
-- (refiled: the project it is filed under next, whose listing ZSET stays even if left with its mark alone).
local function drop_project(order, name, old, refiled)
  local projects = index_key(order, 'projects')
  local project = redis.call('HGET', projects, name)
  if project then
    if project ~= '' then
      if old then redis.call('ZREM', index_key(order, 'project:' .. project), old) end
      if project == refiled then redis.call('ZREM', listing_key(order, project), name)
      else unlist(order, project, name) end
    end
    redis.call('HDEL', projects, name)
  end
end
-- Files name (index member member) under project in its ZSET, and in its listing ZSET once that exists.
local function file_project(order, name, member, project)
  redis.call('ZADD', index_key(order, 'project:' .. project), 0, member)
  local listing = listing_key(order, project)
  if redis.call('EXISTS', listing) == 1 then redis.call('ZADD', listing, string.sub(member, 1, 17), name) end
end
-- project: the session's project key ('' = none), recorded so the next save or remove finds its entry.
local function put_index(order, members, name, member, project)
  local old = redis.call('HGET', members, name)
  if old and old ~= member then redis.call('ZREM', order, old) end
  redis.call('ZADD', order, 0, member)
  redis.call('HSET', members, name, member)
  redis.call('ZADD', names_key(order), 0, name)
  drop_project(order, name, old, project)
  if project ~= '' then file_project(order, name, member, project) end
  redis.call('HSET', index_key(order, 'projects'), name, project)
end
local function drop_index(order, members, name)
  local old = redis.call('HGET', members, name)
  drop_project(order, name, old)
  if old then
    redis.call('ZREM', order, old)
    redis.call('HDEL', members, name)
  end
  redis.call('ZREM', names_key(order), name)
end
`;

/**
 * KEYS: head, messages, transcripts, lease [, order, members]
 * ARGV: expected sha1 of the stored head ('' = nothing stored), 'append'|'rewrite', new head JSON,
 *       ttl in ms ('0' = no expiry), name, index member, fencing token ('' = no lease), project key
 *       ('' = none), message list
 *       elements to append… (see message-elements.ts; in append mode the first is merged into the list's
 *       last element when both together stay within ELEMENT_BYTES: a copy of at most that many bytes)
 * Returns {1} when written; {0, storedHead} (or {0} when nothing is stored) when the stored head is not the
 * one the plan was made against, so the caller re-plans without another read; {-1} when the fencing token
 * is not the current lease's (nothing written).
 */
const SAVE = `${HELPERS}
if ARGV[7] ~= '' and redis.call('HGET', KEYS[4], 'token') ~= ARGV[7] then return {-1} end
local current = redis.call('GET', KEYS[1])
if current then
  if redis.sha1hex(current) ~= ARGV[1] then return {0, current} end
elseif ARGV[1] ~= '' then
  return {0}
end
local first = 9
if ARGV[2] == 'rewrite' then
  redis.call('DEL', KEYS[2])
elseif #ARGV >= first then
  local last = redis.call('LINDEX', KEYS[2], -1)
  if last and string.len(last) + 1 + string.len(ARGV[first]) <= ${ELEMENT_BYTES} then
    redis.call('LSET', KEYS[2], -1, last .. ',' .. ARGV[first])
    first = first + 1
  end
end
for i = first, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('SET', KEYS[1], ARGV[3])
local ttl = tonumber(ARGV[4])
set_expiry(KEYS[1], KEYS[2], KEYS[3], ttl > 0 and expire_at(ttl) or 0)
if #KEYS >= 6 then put_index(KEYS[5], KEYS[6], ARGV[5], ARGV[6], ARGV[8]) end
return {1}
`;

/**
 * KEYS: head, messages, transcripts. ARGV: ttl in ms. Gives every key of a stored session one new expiry
 * (sliding TTL on load). It only sets expiries: the load itself reads with plain commands (session-read.ts).
 */
const TOUCH = `${HELPERS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
set_expiry(KEYS[1], KEYS[2], KEYS[3], expire_at(tonumber(ARGV[1])))
return 1
`;

/** KEYS: order, members. ARGV: name, member, project key. The index half of a save, for Cluster clients. */
const PUT_INDEX = `${HELPERS}
put_index(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
return 1
`;

/** KEYS: head, messages, transcripts [, order, members]. ARGV: name. Returns 1 if a head was stored. */
const REMOVE = `${HELPERS}
local existed = redis.call('EXISTS', KEYS[1])
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('DEL', transcript_key(KEYS[3], id)) end
local removed = redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if #KEYS >= 5 then drop_index(KEYS[4], KEYS[5], ARGV[1]) end
if existed == 1 or removed > 0 then return 1 end
return 0
`;

/** KEYS: order, members. ARGV: name. The index half of a remove, for Cluster clients. */
const DROP_INDEX = `${HELPERS}
drop_index(KEYS[1], KEYS[2], ARGV[1])
return 1
`;

/**
 * KEYS: order, members [, head_1 … head_n]. ARGV: project key ('' = none), member_1, name_1, … member_n, name_n.
 * With a project key (a project listing), each dropped member also leaves that project's ZSET; a name
 * whose current member is dropped leaves its recorded project either way.
 * Drops index members whose session is gone (expired or removed) or that are not their name's current
 * member (and the name from the name index with its current member); returns how many it dropped. With the head keys given (one server), a member that is current
 * while its head exists is kept (a save raced the listing), so cleanup never hides a live session. On a
 * Cluster the heads live in other slots and are not given.
 */
const DROP_STALE = `${HELPERS}
local checked = #KEYS > 2
local dropped = 0
local listed = nil
if ARGV[1] ~= '' then listed = index_key(KEYS[1], 'project:' .. ARGV[1]) end
for i = 1, (#ARGV - 1) / 2 do
  local member, name = ARGV[2 * i], ARGV[2 * i + 1]
  local keep = false
  if redis.call('HGET', KEYS[2], name) == member then
    if checked and redis.call('EXISTS', KEYS[2 + i]) == 1 then keep = true
    else
      drop_project(KEYS[1], name, member)
      redis.call('HDEL', KEYS[2], name)
      redis.call('ZREM', names_key(KEYS[1]), name)
    end
  end
  if not keep then
    redis.call('ZREM', KEYS[1], member)
    if listed then redis.call('ZREM', listed, member) end
    dropped = dropped + 1
  end
end
return dropped
`;

/**
 * KEYS: lease, leaseToken. ARGV: holder, ttl in ms.
 * Returns {1, token, expiresAt} when taken; {0, holder, expiresAt} when another holder has it. The lease
 * key expires by itself (PEXPIREAT, server time), so an expired lease is simply absent.
 */
const ACQUIRE_LEASE = `${HELPERS}
local held = redis.call('HMGET', KEYS[1], 'holder', 'expiresAt')
if held[1] then return {0, held[1], held[2]} end
local token = redis.call('INCR', KEYS[2])
local at = expire_at(tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'token', token, 'holder', ARGV[1], 'expiresAt', at)
redis.call('PEXPIREAT', KEYS[1], at)
return {1, token, at}
`;

/** KEYS: lease. ARGV: token, ttl in ms. Returns {1, expiresAt}; {0} when the lease is not this one. */
const RENEW_LEASE = `${HELPERS}
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return {0} end
local at = expire_at(tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'expiresAt', at)
redis.call('PEXPIREAT', KEYS[1], at)
return {1, at}
`;

/** KEYS: lease. ARGV: token. Deletes the lease only if it is still this one; returns 1 if it did. */
const RELEASE_LEASE = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * Renames the session's keys to their trash names (KEYS 1-3 → 5-7), each transcript list with them: RENAME
 * only, so the work does not grow with the size of the session. The trashed keys expire at ARGV[7].
 * KEYS: head, messages, transcripts, lease, trash head, trash messages, trash transcripts
 *       [, order, members, trash order, trash entries]
 * ARGV: expected sha1 of the head, fencing token ('' = no lease), name, entry id, entry JSON,
 *       trash index member, expiry (server ms)
 * Returns {1} when moved; {0, storedHead} when the head is not the one the entry was made from; {-1} when
 * the fencing token is not the current lease's; {-2} when no session is stored. Nothing changes unless {1}.
 */
const MOVE_TO_TRASH = `${HELPERS}
if ARGV[2] ~= '' and redis.call('HGET', KEYS[4], 'token') ~= ARGV[2] then return {-1} end
local current = redis.call('GET', KEYS[1])
if not current then return {-2} end
if redis.sha1hex(current) ~= ARGV[1] then return {0, current} end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local from = transcript_key(KEYS[3], id)
  if redis.call('EXISTS', from) == 1 then redis.call('RENAME', from, transcript_key(KEYS[7], id)) end
end
redis.call('RENAME', KEYS[1], KEYS[5])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[6]) end
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('RENAME', KEYS[3], KEYS[7]) end
set_expiry(KEYS[5], KEYS[6], KEYS[7], tonumber(ARGV[7]))
if #KEYS >= 11 then
  drop_index(KEYS[8], KEYS[9], ARGV[3])
  redis.call('ZADD', KEYS[10], 0, ARGV[6])
  redis.call('HSET', KEYS[11], ARGV[4], ARGV[5])
end
return {1}
`;

/**
 * The reverse rename: trash keys (KEYS 1-3) back to a session's keys (KEYS 4-6), with the session's expiry.
 * KEYS: trash head, trash messages, trash transcripts, head, messages, transcripts
 *       [, order, members, trash order, trash entries]
 * ARGV: entry id, trash index member, ttl in ms ('0' = no expiry), target name, listing index member,
 *       project key ('' = none)
 * Returns 1 when restored; -1 when a session is stored under the target name; -2 when the trashed session
 * is gone (purged or expired). Nothing changes unless 1.
 */
const RESTORE_FROM_TRASH = `${HELPERS}
if redis.call('EXISTS', KEYS[4]) == 1 then return -1 end
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[6])) do redis.call('DEL', transcript_key(KEYS[6], id)) end
redis.call('DEL', KEYS[5], KEYS[6])
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local from = transcript_key(KEYS[3], id)
  if redis.call('EXISTS', from) == 1 then redis.call('RENAME', from, transcript_key(KEYS[6], id)) end
end
redis.call('RENAME', KEYS[1], KEYS[4])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[5]) end
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('RENAME', KEYS[3], KEYS[6]) end
local ttl = tonumber(ARGV[3])
set_expiry(KEYS[4], KEYS[5], KEYS[6], ttl > 0 and expire_at(ttl) or 0)
if #KEYS >= 10 then
  put_index(KEYS[7], KEYS[8], ARGV[4], ARGV[5], ARGV[6])
  redis.call('ZREM', KEYS[9], ARGV[2])
  redis.call('HDEL', KEYS[10], ARGV[1])
end
return 1
`;

/**
 * A restore under another name on a Cluster, where the trash keys live in another slot than the target's
 * (RENAME cannot cross slots): the trashed keys' DUMP payloads are restored under the target's keys, all
 * or nothing, only while no session is stored there. Each payload is one string argument (never a Lua
 * table of elements).
 * KEYS: head, messages, transcripts. ARGV: ttl in ms, head payload, messages payload ('' = none),
 * transcripts set payload ('' = none), then transcript id, payload pairs.
 * Returns 1 when restored; -1 when a session is stored under the target name (nothing changed).
 */
const RESTORE_COPY = `${HELPERS}
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('DEL', transcript_key(KEYS[3], id)) end
redis.call('DEL', KEYS[2], KEYS[3])
if ARGV[3] ~= '' then redis.call('RESTORE', KEYS[2], 0, ARGV[3]) end
if ARGV[4] ~= '' then redis.call('RESTORE', KEYS[3], 0, ARGV[4]) end
for i = 5, #ARGV, 2 do redis.call('RESTORE', transcript_key(KEYS[3], ARGV[i]), 0, ARGV[i + 1]) end
redis.call('RESTORE', KEYS[1], 0, ARGV[2])
local ttl = tonumber(ARGV[1])
set_expiry(KEYS[1], KEYS[2], KEYS[3], ttl > 0 and expire_at(ttl) or 0)
return 1
`;

/**
 * Deletes one trashed session's keys and, with the index keys given, its entry.
 * KEYS: trash head, trash messages, trash transcripts [, trash order, trash entries]
 * ARGV: entry id, trash index member. Returns 1.
 */
const PURGE_TRASHED = `${HELPERS}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('DEL', transcript_key(KEYS[3], id)) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if #KEYS >= 5 then
  redis.call('ZREM', KEYS[4], ARGV[2])
  redis.call('HDEL', KEYS[5], ARGV[1])
end
return 1
`;

/**
 * The index half of a move (Cluster clients): KEYS order, members, trash order, trash entries; ARGV name,
 * entry id, entry JSON, trash member. With ARGV[5] = 'restore' it is the index half of a restore instead:
 * ARGV name, entry id, listing member, trash member, 'restore', project key ('' = none).
 */
const TRASH_INDEX = `${HELPERS}
if ARGV[5] == 'restore' then
  put_index(KEYS[1], KEYS[2], ARGV[1], ARGV[3], ARGV[6])
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('HDEL', KEYS[4], ARGV[2])
else
  drop_index(KEYS[1], KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[3], 0, ARGV[4])
  redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
end
return 1
`;

const COMMANDS = {
  save: { name: 'channelcoderSessionsSaveV4', lua: SAVE },
  acquireLease: { name: 'channelcoderSessionsAcquireLeaseV1', lua: ACQUIRE_LEASE },
  renewLease: { name: 'channelcoderSessionsRenewLeaseV1', lua: RENEW_LEASE },
  releaseLease: { name: 'channelcoderSessionsReleaseLeaseV1', lua: RELEASE_LEASE },
  touch: { name: 'channelcoderSessionsTouchV1', lua: TOUCH },
  putIndex: { name: 'channelcoderSessionsPutIndexV3', lua: PUT_INDEX },
  remove: { name: 'channelcoderSessionsRemoveV3', lua: REMOVE },
  dropIndex: { name: 'channelcoderSessionsDropIndexV3', lua: DROP_INDEX },
  dropStale: { name: 'channelcoderSessionsDropStaleV4', lua: DROP_STALE },
  moveToTrash: { name: 'channelcoderSessionsMoveToTrashV3', lua: MOVE_TO_TRASH },
  restoreFromTrash: { name: 'channelcoderSessionsRestoreFromTrashV3', lua: RESTORE_FROM_TRASH },
  purgeTrashed: { name: 'channelcoderSessionsPurgeTrashedV1', lua: PURGE_TRASHED },
  restoreCopy: { name: 'channelcoderSessionsRestoreCopyV1', lua: RESTORE_COPY },
  trashIndex: { name: 'channelcoderSessionsTrashIndexV3', lua: TRASH_INDEX },
} as const;

type ScriptCall = (numberOfKeys: number, ...keysAndArgs: (string | Buffer | number)[]) => Promise<unknown>;

/** The scripts bound to one client. */
export class SessionScripts {
  constructor(private readonly client: RedisClient) {
    for (const { name, lua } of Object.values(COMMANDS)) {
      if (typeof (client as unknown as Record<string, unknown>)[name] !== 'function') {
        client.defineCommand(name, { lua });
      }
    }
  }

  private call(
    command: keyof typeof COMMANDS,
    keys: string[],
    args: (string | number | Buffer)[],
    buffer = false,
  ) {
    const method = `${COMMANDS[command].name}${buffer ? 'Buffer' : ''}`;
    const fn = (this.client as unknown as Record<string, ScriptCall>)[method]!;
    return fn.call(this.client, keys.length, ...keys, ...args);
  }

  /** Runs a script defined elsewhere (registered on first use under `name`). */
  async custom(
    name: string,
    lua: string,
    keys: string[],
    args: (string | number | Buffer)[],
    buffer = false,
  ): Promise<unknown> {
    const commands = this.client as unknown as Record<string, ScriptCall>;
    if (typeof commands[name] !== 'function') this.client.defineCommand(name, { lua });
    const fn = commands[`${name}${buffer ? 'Buffer' : ''}`]!;
    return fn.call(this.client, keys.length, ...keys, ...args);
  }

  /** See SAVE. The stored head comes back as bytes, so its sha1 can be checked exactly. */
  async save(
    keys: string[],
    args: {
      expectedSha: string;
      mode: 'append' | 'rewrite';
      head: string;
      ttlMs: number;
      name: string;
      member: string;
      /** The fencing token of the lease the save is made under. */
      token: number | undefined;
      /** The session's project key ('' = none), for the per-project index. */
      project: string;
    },
    messages: string[],
  ): Promise<{ written: true } | { written: false; storedHead: Buffer | null } | { leaseLost: true }> {
    const reply = (await this.call(
      'save',
      keys,
      [
        args.expectedSha,
        args.mode,
        args.head,
        args.ttlMs,
        args.name,
        args.member,
        args.token ?? '',
        args.project,
        ...messages,
      ],
      true,
    )) as [number, Buffer?];
    if (reply[0] === 1) return { written: true };
    if (reply[0] === -1) return { leaseLost: true };
    return { written: false, storedHead: reply[1] ?? null };
  }

  /** See TOUCH. */
  async touch(keys: string[], ttlMs: number): Promise<void> {
    await this.call('touch', keys, [ttlMs]);
  }

  async putIndex(keys: string[], name: string, member: string, project: string): Promise<void> {
    await this.call('putIndex', keys, [name, member, project]);
  }

  async remove(keys: string[], name: string): Promise<boolean> {
    return (await this.call('remove', keys, [name])) === 1;
  }

  async dropIndex(keys: string[], name: string): Promise<void> {
    await this.call('dropIndex', keys, [name]);
  }

  /** See DROP_STALE; resolves how many index members were dropped. */
  async dropStale(
    keys: string[],
    entries: { member: string; name: string }[],
    project = '',
  ): Promise<number> {
    const args = [project, ...entries.flatMap((e) => [e.member, e.name])];
    return (await this.call('dropStale', keys, args)) as number;
  }

  /** See ACQUIRE_LEASE. Times are server milliseconds since the epoch. */
  async acquireLease(
    keys: string[],
    holder: string,
    ttlMs: number,
  ): Promise<{ token: number; expiresAt: number } | { holder: string; expiresAt: number }> {
    const reply = (await this.call('acquireLease', keys, [holder, ttlMs])) as [
      number,
      string | number,
      string | number,
    ];
    if (reply[0] === 1) return { token: Number(reply[1]), expiresAt: Number(reply[2]) };
    return { holder: String(reply[1]), expiresAt: Number(reply[2]) };
  }

  /** See RENEW_LEASE; undefined when the lease is no longer this one. */
  async renewLease(keys: string[], token: number, ttlMs: number): Promise<number | undefined> {
    const reply = (await this.call('renewLease', keys, [token, ttlMs])) as [number, number?];
    return reply[0] === 1 ? Number(reply[1]) : undefined;
  }

  async releaseLease(keys: string[], token: number): Promise<boolean> {
    return (await this.call('releaseLease', keys, [token])) === 1;
  }

  /** See MOVE_TO_TRASH. */
  async moveToTrash(
    keys: string[],
    args: {
      expectedSha: string;
      token: number | undefined;
      name: string;
      id: string;
      entry: string;
      member: string;
      expireAt: number;
    },
  ): Promise<{ moved: true } | { moved: false; storedHead: Buffer | null } | { leaseLost: true }> {
    const reply = (await this.call(
      'moveToTrash',
      keys,
      [args.expectedSha, args.token ?? '', args.name, args.id, args.entry, args.member, args.expireAt],
      true,
    )) as [number, Buffer?];
    if (reply[0] === 1) return { moved: true };
    if (reply[0] === -1) return { leaseLost: true };
    return { moved: false, storedHead: reply[1] ?? null };
  }

  /** See RESTORE_FROM_TRASH. */
  async restoreFromTrash(
    keys: string[],
    args: { id: string; trashMember: string; ttlMs: number; name: string; member: string; project: string },
  ): Promise<'restored' | 'name-taken' | 'gone'> {
    const reply = (await this.call('restoreFromTrash', keys, [
      args.id,
      args.trashMember,
      args.ttlMs,
      args.name,
      args.member,
      args.project,
    ])) as number;
    return reply === 1 ? 'restored' : reply === -1 ? 'name-taken' : 'gone';
  }

  /** See RESTORE_COPY; false when a session is stored under the target name. */
  async restoreCopy(keys: string[], ttlMs: number, payloads: (string | Buffer)[]): Promise<boolean> {
    return (await this.call('restoreCopy', keys, [ttlMs, ...payloads])) === 1;
  }

  /** See PURGE_TRASHED. */
  async purgeTrashed(keys: string[], id: string, member: string): Promise<void> {
    await this.call('purgeTrashed', keys, [id, member]);
  }

  /** See TRASH_INDEX. */
  async trashIndex(keys: string[], args: (string | number)[]): Promise<void> {
    await this.call('trashIndex', keys, args);
  }
}
