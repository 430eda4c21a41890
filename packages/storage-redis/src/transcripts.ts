/**
 * The optional transcript capability: the Claude CLI's JSONL lines of each Claude session id, stored with
 * the session (`P{<name>}:transcript:<claudeSessionId>`, a LIST of JSON lines, and `P{<name>}:transcripts`,
 * the SET of ids), expiring and removed together with it.
 *
 * Appends with `dedupe: 'uuid'` also keep `P{<name>}:transcript:<claudeSessionId>\0uuids`, a HASH of the
 * stored entries' uuids (fields `u:<uuid>`) and `#lines`, how many list lines it covers (lines added by
 * positional appends since are indexed by the next dedupe append). Its id is a member of the SET like a
 * transcript's, so the session's expiry and removal take it along.
 */
import {
  InvalidArgumentError,
  LeaseLostError,
  SessionCorruptError,
  SessionNotFoundError,
} from '@channelcoder/session-core';
import { transcriptEntryUuid } from '@channelcoder/session-core/storage-kit';
import { sessionKeys, transcriptKey, transcriptUuidIndexKey, uuidIndexId } from './keys.js';
import type { RedisClient, SessionScripts } from './scripts.js';
import { readTranscript } from './transcript-read.js';

export function checkTranscriptArgs(name: string, claudeSessionId: unknown, fromLine?: unknown): string {
  if (
    typeof claudeSessionId !== 'string' ||
    claudeSessionId.length === 0 ||
    claudeSessionId.length > 256 ||
    claudeSessionId.includes('\u0000')
  ) {
    throw new InvalidArgumentError(
      `transcript of "${name}": claudeSessionId must be a non-empty string of at most 256 characters, without NUL`,
    );
  }
  if (fromLine !== undefined && !(Number.isInteger(fromLine) && (fromLine as number) >= 0)) {
    throw new InvalidArgumentError(
      `appendTranscript("${name}"): fromLine must be a non-negative integer, got ${String(fromLine)}`,
    );
  }
  return claudeSessionId;
}

export async function appendTranscriptLines(
  scripts: SessionScripts,
  prefix: string,
  name: string,
  claudeSessionId: string,
  entries: readonly unknown[],
  fromLine: number,
  token: number | undefined,
): Promise<void> {
  const lines = entries.map((entry, i) => {
    const line = JSON.stringify(entry);
    if (typeof line !== 'string') {
      throw new InvalidArgumentError(`appendTranscript("${name}"): entry ${i} cannot be stored as JSON`);
    }
    return line;
  });
  const keys = sessionKeys(prefix, name);
  const result = await scripts.appendTranscript(
    [keys.head, keys.transcripts, transcriptKey(prefix, name, claudeSessionId), keys.lease],
    claudeSessionId,
    fromLine,
    token,
    lines,
  );
  if (result.status === 'leaseLost') throw new LeaseLostError(name, token ?? 0);
  if (result.status === 'missing')
    throw new SessionNotFoundError(name, { where: `Redis (key ${keys.head})` });
  if (result.status === 'gap') {
    throw new InvalidArgumentError(
      `appendTranscript("${name}"): fromLine ${fromLine} leaves a gap: ${result.stored} lines are stored, ` +
        'so appends must start at a line from 0 to that count.',
    );
  }
}

export async function loadTranscriptLines(
  client: RedisClient,
  prefix: string,
  name: string,
  claudeSessionId: string,
): Promise<unknown[] | null> {
  const key = transcriptKey(prefix, name, claudeSessionId);
  const { head, transcripts } = sessionKeys(prefix, name);
  const lines = await readTranscript(client, { head, transcripts, lines: key }, claudeSessionId);
  if (lines === undefined) return null;
  return lines.map((line, i) => {
    try {
      return JSON.parse(line) as unknown;
    } catch (err) {
      throw new SessionCorruptError(name, `transcript ${claudeSessionId} line ${i}`, 'is not valid JSON', {
        location: key,
        cause: err,
      });
    }
  });
}

/**
 * KEYS: head, transcripts, the transcript list, its uuid index. ARGV: Claude session id, index id, then
 * pairs (uuid or '', line). Indexes list lines the index does not cover yet, then appends each line whose
 * uuid is new (lines without one always), gives the keys the head's expiry. Returns the number of lines
 * appended, or -1 when the session does not exist.
 */
const APPEND_UNIQUE = `
if ARGV[3] ~= '' and redis.call('HGET', KEYS[5], 'token') ~= ARGV[3] then return -3 end
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local stored = redis.call('LLEN', KEYS[3])
local indexed = tonumber(redis.call('HGET', KEYS[4], '#lines') or '0')
if indexed < stored then
  for _, line in ipairs(redis.call('LRANGE', KEYS[3], indexed, stored - 1)) do
    local ok, entry = pcall(cjson.decode, line)
    if ok and type(entry) == 'table' and type(entry.uuid) == 'string' and entry.uuid ~= '' then
      redis.call('HSET', KEYS[4], 'u:' .. entry.uuid, '1')
    end
  end
end
local added = 0
for i = 4, #ARGV, 2 do
  if ARGV[i] == '' or redis.call('HSETNX', KEYS[4], 'u:' .. ARGV[i], '1') == 1 then
    redis.call('RPUSH', KEYS[3], ARGV[i + 1])
    added = added + 1
  end
end
redis.call('HSET', KEYS[4], '#lines', stored + added)
redis.call('SADD', KEYS[2], ARGV[1], ARGV[2])
local at = redis.call('PEXPIRETIME', KEYS[1])
for _, key in ipairs({KEYS[2], KEYS[3], KEYS[4]}) do
  if at > 0 then redis.call('PEXPIREAT', key, at) else redis.call('PERSIST', key) end
end
return added
`;

const APPEND_UNIQUE_COMMAND = 'channelcoderSessionsAppendUniqueTranscriptV2';

/** Appends with `dedupe: 'uuid'`: atomically, in one script, against the transcript's uuid index. */
export async function appendUniqueTranscriptLines(
  client: RedisClient,
  prefix: string,
  name: string,
  claudeSessionId: string,
  entries: readonly unknown[],
  fromLine: number,
  /** The fencing token of the lease the append is made under (checked in the script), if any. */
  token?: number,
): Promise<void> {
  if (!Array.isArray(entries))
    throw new InvalidArgumentError(`appendTranscript("${name}"): entries must be an array`);
  const args: string[] = [];
  entries.forEach((entry, i) => {
    const line = JSON.stringify(entry);
    if (typeof line !== 'string') {
      throw new InvalidArgumentError(`appendTranscript("${name}"): entry ${i} cannot be stored as JSON`);
    }
    args.push(transcriptEntryUuid(entry) ?? '', line);
  });
  if (args.length === 0) return;
  void fromLine; // placement is by identity: after whatever is stored
  const commands = client as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>;
  if (typeof commands[APPEND_UNIQUE_COMMAND] !== 'function')
    client.defineCommand(APPEND_UNIQUE_COMMAND, { lua: APPEND_UNIQUE });
  const keys = sessionKeys(prefix, name);
  const indexId = uuidIndexId(claudeSessionId);
  const reply = await commands[APPEND_UNIQUE_COMMAND]!.call(
    client,
    5,
    keys.head,
    keys.transcripts,
    transcriptKey(prefix, name, claudeSessionId),
    transcriptUuidIndexKey(prefix, name, claudeSessionId),
    keys.lease,
    claudeSessionId,
    indexId,
    token === undefined ? '' : String(token),
    ...args,
  );
  if (reply === -1) throw new SessionNotFoundError(name, { where: `Redis (key ${keys.head})` });
  if (reply === -3) throw new LeaseLostError(name, token ?? 0);
}

/**
 * KEYS: transcripts, the transcript list, its index, lease. ARGV: Claude session id, index id, fencing
 * token ('' = no lease). UNLINKs the list and its index and drops both ids from the SET (no value is read
 * or copied). Returns 1 when something was deleted, 0 when nothing was stored, -3 when the fencing token
 * is not the current lease's (nothing deleted).
 */
const DELETE_TRANSCRIPT = `
if ARGV[3] ~= '' and redis.call('HGET', KEYS[4], 'token') ~= ARGV[3] then return -3 end
local member = redis.call('SREM', KEYS[1], ARGV[1], ARGV[2])
local unlinked = redis.call('UNLINK', KEYS[2], KEYS[3])
if member > 0 or unlinked > 0 then return 1 end
return 0
`;

const DELETE_COMMAND = 'channelcoderSessionsDeleteTranscriptV1';

/** Deletes one transcript atomically (see DELETE_TRANSCRIPT); true when something was stored. */
export async function deleteTranscriptLines(
  scripts: SessionScripts,
  prefix: string,
  name: string,
  claudeSessionId: string,
  token: number | undefined,
): Promise<boolean> {
  const keys = sessionKeys(prefix, name);
  const reply = await scripts.custom(
    DELETE_COMMAND,
    DELETE_TRANSCRIPT,
    [
      keys.transcripts,
      transcriptKey(prefix, name, claudeSessionId),
      transcriptUuidIndexKey(prefix, name, claudeSessionId),
      keys.lease,
    ],
    [claudeSessionId, uuidIndexId(claudeSessionId), token === undefined ? '' : String(token)],
  );
  if (reply === -3) throw new LeaseLostError(name, token ?? 0);
  return reply === 1;
}
