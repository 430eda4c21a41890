/**
 * The optional transcript capability: the Claude CLI's JSONL lines of each Claude session id, stored with
 * the session (`P{<name>}:transcript:<claudeSessionId>`, a LIST with one element per append: the batch's
 * lines compressed by `encodeTranscriptChunk`; and `P{<name>}:transcripts`, the SET of ids), expiring and
 * removed together with it. Transcripts written before compression hold one plain JSON line per element;
 * they load as they are and take compressed appends after their lines.
 *
 * Beside each list, `P{<name>}:transcript:<claudeSessionId>\0uuids` is the transcript's index, a HASH:
 * `#count`, the number of lines stored (absent for a transcript written before compression: then every
 * element is one line), `#gen`, when the index was created (loads check it did not change), and for appends with `dedupe: 'uuid'` the stored entries' uuids (fields
 * `u:<uuid>`) and `#lines`, how many list elements they cover (elements added by positional appends since
 * are read and indexed by the next dedupe append). Its id is a member of the SET like a transcript's, so
 * the session's expiry, removal and trash take it along.
 */
import {
  InvalidArgumentError,
  LeaseLostError,
  SessionCorruptError,
  SessionNotFoundError,
  StorageUnavailableError,
} from '@channelcoder/session-core';
import {
  decodeTranscriptChunk,
  encodeTranscriptChunk,
  isCompressedTranscriptChunk,
  transcriptEntryUuid,
} from '@channelcoder/session-core/storage-kit';
import { sessionKeys, transcriptKey, transcriptUuidIndexKey, uuidIndexId } from './keys.js';
import type { RedisClient, SessionScripts } from './scripts.js';
import { CHUNK, exec } from './session-read.js';
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

/** Each entry as its JSON line. */
function toLines(name: string, entries: readonly unknown[]): string[] {
  if (!Array.isArray(entries))
    throw new InvalidArgumentError(`appendTranscript("${name}"): entries must be an array`);
  return entries.map((entry, i) => {
    const line = JSON.stringify(entry);
    if (typeof line !== 'string') {
      throw new InvalidArgumentError(`appendTranscript("${name}"): entry ${i} cannot be stored as JSON`);
    }
    return line;
  });
}

/** Attempts of an append that raced another append to the same transcript (each one round trip or two). */
const APPEND_ATTEMPTS = 8;

/**
 * The lua prologue of both appends: the lease fence, the session's existence, and `stored`, the number of
 * lines stored: the index's `#count`, or for a transcript written before compression (one plain line per
 * list element, no `#count`) the list's length.
 */
const APPEND_PROLOGUE = `
if ARGV[3] ~= '' and redis.call('HGET', KEYS[5], 'token') ~= ARGV[3] then return {-3} end
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local stored = tonumber(redis.call('HGET', KEYS[4], '#count') or redis.call('LLEN', KEYS[3]))
`;

/**
 * A transcript's index created anew gets `#gen`, the server time of its creation: a load compares it before
 * and after its chunks, so a transcript deleted and written again in between is not read as one.
 */
const NEW_GENERATION = `
local now = redis.call('TIME')
redis.call('HSETNX', KEYS[4], '#gen', now[1] .. '.' .. now[2])
`;

/** The lua epilogue: the ids in the SET, and the head's expiry on the transcript's keys. */
const APPEND_EPILOGUE = `
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('SADD', KEYS[2], ARGV[2]) end
local at = redis.call('PEXPIRETIME', KEYS[1])
for _, key in ipairs({KEYS[2], KEYS[3], KEYS[4]}) do
  if at > 0 then redis.call('PEXPIREAT', key, at) else redis.call('PERSIST', key) end
end
`;

/**
 * KEYS: head, transcripts, the transcript list, its index, lease. ARGV: Claude session id, index id,
 * fencing token ('' = no lease), fromLine, number of lines in the chunk, the chunk (compressed batch).
 * Pushes the chunk as one list element when it starts exactly at the stored count, and counts its lines
 * in the index's `#count`. Returns {1} when written (or when every line was stored already); {-1} when the
 * session does not exist; {-2, stored} when fromLine > stored; {-3} when the fencing token is not the
 * current lease's; {-4, stored} when the batch overlaps stored lines in part (the caller sends the rest).
 * Nothing is written unless {1}. Its work does not depend on the transcript's length.
 */
const APPEND_CHUNK = `${APPEND_PROLOGUE}
local from = tonumber(ARGV[4])
local n = tonumber(ARGV[5])
if from > stored then return {-2, stored} end
local skip = stored - from
if skip > 0 and skip < n then return {-4, stored} end
if skip == 0 and n > 0 then
  redis.call('RPUSH', KEYS[3], ARGV[6])
  redis.call('HSET', KEYS[4], '#count', stored + n)
  ${NEW_GENERATION}
end
${APPEND_EPILOGUE}
return {1}
`;

const APPEND_CHUNK_COMMAND = 'channelcoderSessionsAppendTranscriptChunkV1';

function transcriptScriptKeys(prefix: string, name: string, claudeSessionId: string): string[] {
  const keys = sessionKeys(prefix, name);
  return [
    keys.head,
    keys.transcripts,
    transcriptKey(prefix, name, claudeSessionId),
    transcriptUuidIndexKey(prefix, name, claudeSessionId),
    keys.lease,
  ];
}

function appendFailure(reply: number, name: string, prefix: string, token: number | undefined): Error {
  if (reply === -3) return new LeaseLostError(name, token ?? 0);
  return new SessionNotFoundError(name, { where: `Redis (key ${sessionKeys(prefix, name).head})` });
}

/**
 * Positional appends: the batch is compressed into one chunk (`encodeTranscriptChunk`) and pushed as one
 * list element by one script call; the stored line count comes from the index's `#count`, so the cost does
 * not grow with the transcript. A batch that overlaps stored lines in part is re-sent without them.
 */
export async function appendTranscriptLines(
  scripts: SessionScripts,
  prefix: string,
  name: string,
  claudeSessionId: string,
  entries: readonly unknown[],
  fromLine: number,
  token: number | undefined,
): Promise<void> {
  const lines = toLines(name, entries);
  const keys = transcriptScriptKeys(prefix, name, claudeSessionId);
  let from = fromLine;
  let batch = lines;
  for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
    const chunk = batch.length === 0 ? '' : encodeTranscriptChunk(batch);
    const reply = (await scripts.custom(APPEND_CHUNK_COMMAND, APPEND_CHUNK, keys, [
      claudeSessionId,
      uuidIndexId(claudeSessionId),
      token === undefined ? '' : String(token),
      from,
      batch.length,
      chunk,
    ])) as number[];
    const [status, stored = 0] = reply;
    if (status === 1) return;
    if (status === -2) {
      throw new InvalidArgumentError(
        `appendTranscript("${name}"): fromLine ${fromLine} leaves a gap: ${stored} lines are stored, ` +
          'so appends must start at a line from 0 to that count.',
      );
    }
    if (status !== -4) throw appendFailure(status ?? -1, name, prefix, token);
    batch = batch.slice(stored - from);
    from = stored;
  }
  throw new StorageUnavailableError(
    'Redis',
    `appendTranscript("${name}")`,
    new Error(
      `other appends to transcript ${claudeSessionId} kept overlapping this one ${APPEND_ATTEMPTS} times; ` +
        'nothing of it was written, try again',
    ),
  );
}

/** The JSON lines of stored list elements: a compressed chunk holds a batch, an older element one line. */
export function elementLines(elements: readonly Buffer[], name: string, location: string): string[] {
  const lines: string[] = [];
  for (const element of elements) {
    if (isCompressedTranscriptChunk(element)) {
      for (const line of decodeTranscriptChunk(element, { sessionName: name, location })) lines.push(line);
    } else lines.push(element.toString('utf8'));
  }
  return lines;
}

export async function loadTranscriptLines(
  client: RedisClient,
  prefix: string,
  name: string,
  claudeSessionId: string,
): Promise<unknown[] | null> {
  const key = transcriptKey(prefix, name, claudeSessionId);
  const { head, transcripts } = sessionKeys(prefix, name);
  const index = transcriptUuidIndexKey(prefix, name, claudeSessionId);
  const elements = await readTranscript(client, { head, transcripts, lines: key, index }, claudeSessionId);
  if (elements === undefined) return null;
  return elementLines(elements, name, key).map((line, i) => {
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
 * KEYS: head, transcripts, the transcript list, its index, lease. ARGV: Claude session id, index id,
 * fencing token ('' = no lease), from, to (the list elements the caller read and indexed: from the index's
 * `#lines` to the list's length as it read them), number of lines in the chunk, the chunk ('' = none),
 * number c of catch-up uuids, the c uuids of those elements, then the uuids of the chunk's lines. Applies
 * only while the index and the catch-up together cover every list element and none of the chunk's uuids
 * is indexed (else {-4}: the caller reads again): indexes the catch-up and new uuids, pushes the chunk,
 * and records `#count` (lines) and `#lines` (list elements the index covers). Returns {1}; {-1} when the
 * session does not exist; {-3} when the fencing token is not the current lease's.
 */
const APPEND_UNIQUE = `${APPEND_PROLOGUE}
local from, to = tonumber(ARGV[4]), tonumber(ARGV[5])
local indexed = tonumber(redis.call('HGET', KEYS[4], '#lines') or '0')
local length = redis.call('LLEN', KEYS[3])
if indexed < from or math.max(indexed, to) < length then return {-4} end
local n = tonumber(ARGV[6])
local first = 9 + tonumber(ARGV[8])
for i = first, #ARGV do
  if redis.call('HEXISTS', KEYS[4], 'u:' .. ARGV[i]) == 1 then return {-4} end
end
for i = 9, #ARGV do redis.call('HSET', KEYS[4], 'u:' .. ARGV[i], '1') end
if n > 0 then
  redis.call('RPUSH', KEYS[3], ARGV[7])
  length = length + 1
end
redis.call('HSET', KEYS[4], '#count', stored + n, '#lines', length)
${NEW_GENERATION}
${APPEND_EPILOGUE}
return {1}
`;

const APPEND_UNIQUE_COMMAND = 'channelcoderSessionsAppendUniqueTranscriptV3';

/**
 * Appends with `dedupe: 'uuid'`: after whatever is stored, skipping entries whose uuid is stored (or
 * repeated in the batch). One pipeline reads the index's coverage, the list's length and the batch's
 * uuids in the index; list elements the index does not cover yet (written by positional appends) are read
 * and decoded here, in bounded chunks, and their uuids sent along. One script then checks that nothing
 * changed meanwhile and writes the new lines as one compressed chunk (else the append reads again).
 */
export async function appendUniqueTranscriptLines(
  client: RedisClient,
  scripts: SessionScripts,
  prefix: string,
  name: string,
  claudeSessionId: string,
  entries: readonly unknown[],
  fromLine: number,
  /** The fencing token of the lease the append is made under (checked in the script), if any. */
  token?: number,
): Promise<void> {
  const lines = toLines(name, entries);
  if (lines.length === 0) return;
  void fromLine; // placement is by identity: after whatever is stored
  const uuids = (entries as readonly unknown[]).map((entry) => transcriptEntryUuid(entry));
  const keys = transcriptScriptKeys(prefix, name, claudeSessionId);
  const [, , list, index] = keys as [string, string, string, string, string];
  const asked = [...new Set(uuids.filter((u): u is string => u !== undefined))];
  for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
    const pipeline = client.pipeline().hget(index, '#lines').llen(list);
    if (asked.length > 0) pipeline.hmget(index, ...asked.map((u) => `u:${u}`));
    const replies = await exec(pipeline);
    const covered = Number(replies[0] ?? 0);
    const length = replies[1] as number;
    const known = new Set<string>();
    if (asked.length > 0) {
      const found = replies[2] as (string | null)[];
      for (const [i, u] of asked.entries()) if (found[i] !== null) known.add(u);
    }
    const catchUp = covered < length ? await uncoveredUuids(client, list, covered, length, name) : undefined;
    if (catchUp === undefined && covered < length) continue;
    for (const u of catchUp ?? []) known.add(u);
    const fresh: string[] = [];
    const freshUuids: string[] = [];
    lines.forEach((line, i) => {
      const u = uuids[i];
      if (u !== undefined) {
        if (known.has(u)) return;
        known.add(u);
        freshUuids.push(u);
      }
      fresh.push(line);
    });
    const reply = (await scripts.custom(APPEND_UNIQUE_COMMAND, APPEND_UNIQUE, keys, [
      claudeSessionId,
      uuidIndexId(claudeSessionId),
      token === undefined ? '' : String(token),
      Math.min(covered, length),
      length,
      fresh.length,
      fresh.length === 0 ? '' : encodeTranscriptChunk(fresh),
      catchUp?.length ?? 0,
      ...(catchUp ?? []),
      ...freshUuids,
    ])) as number[];
    if (reply[0] === 1) return;
    if (reply[0] !== -4) throw appendFailure(reply[0] ?? -1, name, prefix, token);
  }
  throw new StorageUnavailableError(
    'Redis',
    `appendTranscript("${name}")`,
    new Error(
      `other appends to transcript ${claudeSessionId} kept changing it ${APPEND_ATTEMPTS} times; ` +
        'nothing of it was written, try again',
    ),
  );
}

/**
 * The uuids of list elements `from` to `to - 1` (read in pipelined chunks of {@link CHUNK} elements);
 * undefined when the list changed meanwhile (fewer elements than expected).
 */
async function uncoveredUuids(
  client: RedisClient,
  list: string,
  from: number,
  to: number,
  name: string,
): Promise<string[] | undefined> {
  const pipeline = client.pipeline();
  for (let at = from; at < to; at += CHUNK) pipeline.lrangeBuffer(list, at, Math.min(at + CHUNK, to) - 1);
  const elements = ((await exec(pipeline)) as Buffer[][]).flat();
  if (elements.length !== to - from) return undefined;
  const found: string[] = [];
  for (const line of elementLines(elements, name, list)) {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // not JSON: has no uuid to index
    }
    const u = transcriptEntryUuid(entry);
    if (u !== undefined) found.push(u);
  }
  return found;
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
