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

/** Replaces the index entry of a name: drops its previous member, adds the new one. */
const INDEX_FN = `
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
const SAVE = `${INDEX_FN}
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
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
else
  redis.call('SET', KEYS[1], ARGV[3])
  redis.call('PERSIST', KEYS[2])
end
if #KEYS >= 4 then put_index(KEYS[3], KEYS[4], ARGV[5], ARGV[6]) end
return {1}
`;

/** KEYS: order, members. ARGV: name, member. The index half of a save, for Cluster clients. */
const PUT_INDEX = `${INDEX_FN}
put_index(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
return 1
`;

/** KEYS: head, messages [, order, members]. ARGV: name. Returns how many session keys were deleted. */
const REMOVE = `${INDEX_FN}
local removed = redis.call('DEL', KEYS[1], KEYS[2])
if #KEYS >= 4 then drop_index(KEYS[3], KEYS[4], ARGV[1]) end
return removed
`;

/** KEYS: order, members. ARGV: name. The index half of a remove, for Cluster clients. */
const DROP_INDEX = `${INDEX_FN}
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
