/**
 * The Lua scripts that make each write atomic. They are registered on the caller's client with ioredis'
 * `defineCommand` (names carry a `channelcoderSessions…V1` prefix), which sends EVAL once per connection
 * and EVALSHA afterwards, and falls back to EVAL when the server answers NOSCRIPT (e.g. after a restart).
 *
 * Scripts that touch the listing index take its two keys as KEYS[3] and KEYS[4] when every key lives on one
 * server. On a Cluster the index is in another slot, so the adapter calls them with the session keys only
 * and updates the index with a second script.
 */
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

/** Shared helpers: the common expiry instant; replacing or dropping a name's index entry. */
const HELPERS = `
-- One absolute expiry for every key of a session: relative PEXPIREs in one script can land a millisecond apart.
local function expire_at(ttl)
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + ttl
end
local function put_index(order, members, name, member)
  local old = redis.call('HGET', members, name)
  if old and old ~= member then redis.call('ZREM', order, old) end
  redis.call('ZADD', order, 0, member)
  redis.call('HSET', members, name, member)
end
local function drop_index(order, members, name)
  local old = redis.call('HGET', members, name)
  if old then
    redis.call('ZREM', order, old)
    redis.call('HDEL', members, name)
  end
end
`;

/**
 * KEYS: head, messages [, order, members]
 * ARGV: expected sha1 of the stored head ('' = nothing stored), 'append'|'rewrite', new head JSON,
 *       ttl in ms ('0' = no expiry), name, index member, messages to append…
 * Returns {1} when written; {0, storedHead} (or {0} when nothing is stored) when the stored head is not the
 * one the plan was made against, so the caller re-plans without another read.
 */
const SAVE = `${HELPERS}
local current = redis.call('GET', KEYS[1])
if current then
  if redis.sha1hex(current) ~= ARGV[1] then return {0, current} end
elseif ARGV[1] ~= '' then
  return {0}
end
if ARGV[2] == 'rewrite' then redis.call('DEL', KEYS[2]) end
for i = 7, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
local ttl = tonumber(ARGV[4])
redis.call('SET', KEYS[1], ARGV[3])
if ttl > 0 then
  local at = expire_at(ttl)
  redis.call('PEXPIREAT', KEYS[1], at)
  redis.call('PEXPIREAT', KEYS[2], at)
else
  redis.call('PERSIST', KEYS[2])
end
if #KEYS >= 4 then put_index(KEYS[3], KEYS[4], ARGV[5], ARGV[6]) end
return {1}
`;

/**
 * KEYS: head, messages. ARGV: ttl in ms ('0' = leave the expiry alone).
 * Returns {} when nothing is stored, else {head, messages}. A script rather than MULTI: Redis freezes the
 * clock during a script, so both keys are read at one instant (never a head whose messages just expired)
 * and get one absolute expiry.
 */
const LOAD = `${HELPERS}
local head = redis.call('GET', KEYS[1])
if not head then return {} end
local messages = redis.call('LRANGE', KEYS[2], 0, -1)
local ttl = tonumber(ARGV[1])
if ttl > 0 then
  local at = expire_at(ttl)
  redis.call('PEXPIREAT', KEYS[1], at)
  redis.call('PEXPIREAT', KEYS[2], at)
end
return {head, messages}
`;

/** KEYS: order, members. ARGV: name, member. The index half of a save, for Cluster clients. */
const PUT_INDEX = `${HELPERS}
put_index(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
return 1
`;

/** KEYS: head, messages [, order, members]. ARGV: name. Returns how many session keys were deleted. */
const REMOVE = `${HELPERS}
local removed = redis.call('DEL', KEYS[1], KEYS[2])
if #KEYS >= 4 then drop_index(KEYS[3], KEYS[4], ARGV[1]) end
return removed
`;

/** KEYS: order, members. ARGV: name. The index half of a remove, for Cluster clients. */
const DROP_INDEX = `${HELPERS}
drop_index(KEYS[1], KEYS[2], ARGV[1])
return 1
`;

/**
 * KEYS: order, members [, head]. ARGV: member, name.
 * Drops an index member whose session is gone (expired or removed) or that is not the name's current
 * member. With the head key given, a member that is current while the head exists is kept (a save raced
 * the listing), so cleanup never hides a live session.
 */
const DROP_STALE = `
local current = redis.call('HGET', KEYS[2], ARGV[2])
if current == ARGV[1] then
  if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
  redis.call('HDEL', KEYS[2], ARGV[2])
end
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`;

const COMMANDS = {
  save: { name: 'channelcoderSessionsSaveV1', lua: SAVE },
  load: { name: 'channelcoderSessionsLoadV1', lua: LOAD },
  putIndex: { name: 'channelcoderSessionsPutIndexV1', lua: PUT_INDEX },
  remove: { name: 'channelcoderSessionsRemoveV1', lua: REMOVE },
  dropIndex: { name: 'channelcoderSessionsDropIndexV1', lua: DROP_INDEX },
  dropStale: { name: 'channelcoderSessionsDropStaleV1', lua: DROP_STALE },
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

  private call(command: keyof typeof COMMANDS, keys: string[], args: (string | number)[], buffer = false) {
    const method = `${COMMANDS[command].name}${buffer ? 'Buffer' : ''}`;
    const fn = (this.client as unknown as Record<string, ScriptCall>)[method]!;
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
    },
    messages: string[],
  ): Promise<{ written: true } | { written: false; storedHead: Buffer | null }> {
    const reply = (await this.call(
      'save',
      keys,
      [args.expectedSha, args.mode, args.head, args.ttlMs, args.name, args.member, ...messages],
      true,
    )) as [number, Buffer?];
    if (reply[0] === 1) return { written: true };
    return { written: false, storedHead: reply[1] ?? null };
  }

  /** See LOAD; undefined when nothing is stored. The head comes back as bytes (for its sha1). */
  async load(keys: string[], ttlMs: number): Promise<{ head: Buffer; messages: Buffer[] } | undefined> {
    const reply = (await this.call('load', keys, [ttlMs], true)) as [Buffer, Buffer[]] | [];
    if (reply.length === 0) return undefined;
    return { head: reply[0]!, messages: reply[1]! };
  }

  async putIndex(keys: string[], name: string, member: string): Promise<void> {
    await this.call('putIndex', keys, [name, member]);
  }

  async remove(keys: string[], name: string): Promise<number> {
    return (await this.call('remove', keys, [name])) as number;
  }

  async dropIndex(keys: string[], name: string): Promise<void> {
    await this.call('dropIndex', keys, [name]);
  }

  async dropStale(keys: string[], member: string, name: string): Promise<void> {
    await this.call('dropStale', keys, [member, name]);
  }
}
