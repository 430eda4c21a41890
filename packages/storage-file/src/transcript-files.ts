/**
 * The optional transcript capability: the Claude CLI's JSONL transcript lines, stored with the session so
 * it can be resumed on another machine.
 *
 * ```
 * <root>/<name>/transcripts/<id>.head.json          { "file": "<id>.<generation>.ccz", "lines": N, "bytes": B }
 * <root>/<name>/transcripts/<id>.<generation>.ccz   one compressed chunk per append; only the first B bytes count
 * <root>/<name>/transcripts/<id>.<generation>.jsonl plain lines, as stored before compression (still read)
 * <root>/<name>/transcripts/<id>.uuids              the stored entries' uuids (JSON strings, one a line)
 * ```
 *
 * A `.ccz` file is a sequence of frames: a 4-byte big-endian length, then one chunk of the transcript codec
 * of session-core (`encodeTranscriptChunk`: `CCZ1`, a method byte, the compressed lines of one append).
 * Each append adds one frame after the committed bytes, so it never rereads or rewrites what is stored.
 * A transcript stored before compression (`.jsonl`, one JSON entry a line) is read as it is; the first
 * append to it writes generation + 1 as a `.ccz` file (the old lines as one chunk, then the new batch),
 * publishes it with the head rename, then removes the `.jsonl` file: a killed process leaves the old
 * head and file, or the new ones.
 *
 * The uuid index exists once an append asked for `dedupe: 'uuid'`: the head then also records
 * `"uuids": { "bytes": U, "at": A }` (its committed bytes, and how many transcript bytes it covers: lines
 * after `A`, e.g. from positional appends, are indexed by the next `dedupe` append before it checks).
 *
 * `<id>` is the Claude session id when it is a plain token (UUIDs are), else `~` + its base64url form.
 * Appends are written after the committed bytes and published by renaming a new head in, like the
 * messages of a session. Lines already stored are never rewritten (a re-append is a no-op for them).
 *
 * `deleteTranscript` renames the head to `.<id>.head.json.deleted` (the one step that makes every line go
 * at once), then removes the id's other files; leftovers of a killed deletion are unreferenced and are
 * replaced or removed by the next append or deletion of the id.
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  InvalidArgumentError,
  SessionCorruptError,
  type TranscriptAppendOptions,
} from '@channelcoder/session-core/model';
import {
  decodeTranscriptChunk,
  encodeTranscriptChunk,
  newTranscriptLines,
  transcriptEntryUuid,
  uniqueTranscriptEntries,
} from '@channelcoder/session-core/storage-kit';
import {
  ensureDirectory,
  finishWrites,
  publish,
  startWrites,
  syncDirectory,
  writeAt,
  writeFresh,
} from './durable-fs.js';
import { isErrno } from './fs-errors.js';
import { readOptionalText } from './head-file.js';
import { NAMES } from './layout.js';
import { readFileNoFollow, realDirectory } from './no-follow.js';

const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Bytes of a frame's length prefix in a `.ccz` file. */
const FRAME_HEADER = 4;

interface TranscriptHead {
  file: string;
  lines: number;
  bytes: number;
  /** The uuid index: its committed bytes, and the transcript bytes it covers. */
  uuids?: { bytes: number; at: number };
}

type TranscriptFormat = 'ccz' | 'jsonl';

/** The file-name stem for a Claude session id. */
export function transcriptStem(claudeSessionId: string): string {
  if (typeof claudeSessionId !== 'string' || claudeSessionId === '') {
    throw new InvalidArgumentError('transcripts: the Claude session id must be a non-empty string');
  }
  if (PLAIN_ID.test(claudeSessionId)) return claudeSessionId;
  const encoded = `~${Buffer.from(claudeSessionId, 'utf8').toString('base64url')}`;
  if (encoded.length > 180) throw new InvalidArgumentError('transcripts: the Claude session id is too long');
  return encoded;
}

/** The generation and format of `<stem>.<generation>.ccz` / `.jsonl`, else undefined. */
function transcriptFileOf(
  file: string,
  stem: string,
): { generation: number; format: TranscriptFormat } | undefined {
  if (!file.startsWith(`${stem}.`)) return undefined;
  const match = /^(\d{1,15})\.(ccz|jsonl)$/.exec(file.slice(stem.length + 1));
  if (match === null) return undefined;
  return { generation: Number(match[1]), format: match[2] as TranscriptFormat };
}

function formatOf(head: TranscriptHead): TranscriptFormat {
  return head.file.endsWith('.ccz') ? 'ccz' : 'jsonl';
}

async function readTranscriptHead(
  dir: string,
  stem: string,
  session: string,
): Promise<TranscriptHead | undefined> {
  const path = join(dir, `${stem}.head.json`);
  const text = await readOptionalText(path);
  if (text === undefined) return undefined;
  const corrupt = (problem: string): never => {
    throw new SessionCorruptError(session, 'transcript head', problem, { location: path });
  };
  let value: Partial<TranscriptHead>;
  try {
    value = JSON.parse(text) as Partial<TranscriptHead>;
  } catch {
    return corrupt('is not valid JSON');
  }
  const { file, lines, bytes } = value ?? {};
  if (typeof file !== 'string' || transcriptFileOf(file, stem) === undefined)
    return corrupt('names no transcript file of this id');
  if (!Number.isSafeInteger(lines) || (lines as number) < 0) return corrupt('has no valid line count');
  if (!Number.isSafeInteger(bytes) || (bytes as number) < 0) return corrupt('has no valid byte count');
  const head: TranscriptHead = { file, lines: lines as number, bytes: bytes as number };
  if (value.uuids !== undefined) {
    const { bytes: u, at } = value.uuids ?? {};
    if (!Number.isSafeInteger(u) || !Number.isSafeInteger(at) || (at as number) > head.bytes)
      return corrupt('has no valid uuid index record');
    head.uuids = { bytes: u as number, at: at as number };
  }
  return head;
}

/** One frame of a `.ccz` file: the chunk's length, then the chunk. */
function frame(lines: readonly string[]): Buffer {
  const chunk = encodeTranscriptChunk(lines);
  const prefix = Buffer.alloc(FRAME_HEADER);
  prefix.writeUInt32BE(chunk.length, 0);
  return Buffer.concat([prefix, chunk]);
}

/**
 * The lines stored in bytes `from`..`to` of a transcript file (`from` and `to` at line or frame bounds).
 * @throws SessionCorruptError when the bytes are not whole lines or frames.
 */
function decodeRange(
  bytes: Buffer,
  from: number,
  to: number,
  format: TranscriptFormat,
  session: string,
  location: string,
): string[] {
  const corrupt = (problem: string): never => {
    throw new SessionCorruptError(session, 'transcript', problem, { location });
  };
  if (format === 'jsonl') {
    if (to === from) return [];
    const lines = bytes.subarray(from, to).toString('utf8').split('\n');
    if (lines.pop() !== '') corrupt('does not end with a complete line where its head says');
    return lines;
  }
  const lines: string[] = [];
  let at = from;
  while (at < to) {
    if (at + FRAME_HEADER > to) corrupt(`has a cut frame header at byte ${at}`);
    const length = bytes.readUInt32BE(at);
    const end = at + FRAME_HEADER + length;
    if (end > to) corrupt(`has a frame at byte ${at} that runs past the committed bytes`);
    for (const line of decodeTranscriptChunk(bytes.subarray(at + FRAME_HEADER, end), {
      sessionName: session,
      location,
    }))
      lines.push(line);
    at = end;
  }
  return lines;
}

async function readTranscriptLines(dir: string, head: TranscriptHead, session: string): Promise<string[]> {
  if (head.bytes === 0) return [];
  const path = join(dir, head.file);
  const bytes = await readFileNoFollow(path);
  const corrupt = (): never => {
    throw new SessionCorruptError(
      session,
      'transcript',
      `does not hold the ${head.lines} lines its head records`,
      { location: path },
    );
  };
  if (bytes === undefined || bytes.length < head.bytes) return corrupt();
  let lines: string[];
  try {
    lines = decodeRange(bytes, 0, head.bytes, formatOf(head), session, path);
  } catch (err) {
    if (SessionCorruptError.is(err)) return corrupt();
    throw err;
  }
  if (lines.length !== head.lines) corrupt();
  return lines;
}

/** All stored entries of a transcript, or null when none are stored. */
export async function loadTranscriptEntries(
  sessionDir: string,
  session: string,
  claudeSessionId: string,
): Promise<unknown[] | null> {
  const dir = join(sessionDir, NAMES.transcripts);
  const stem = transcriptStem(claudeSessionId);
  if ((await realDirectory(sessionDir)) === 'missing' || (await realDirectory(dir)) === 'missing')
    return null;
  for (let attempt = 0; ; attempt++) {
    const head = await readTranscriptHead(dir, stem, session);
    if (head === undefined) return null;
    try {
      return parseEntries(await readTranscriptLines(dir, head, session), join(dir, head.file), session);
    } catch (err) {
      // An append converting a plain transcript publishes a new generation, then removes the old file:
      // read again.
      const again =
        attempt < 3 && SessionCorruptError.is(err) ? await readTranscriptHead(dir, stem, session) : undefined;
      if (again === undefined || again.file === head.file) throw err;
    }
  }
}

function parseEntries(lines: readonly string[], location: string, session: string): unknown[] {
  return lines.map((line, i) => {
    try {
      return JSON.parse(line) as unknown;
    } catch (err) {
      throw new SessionCorruptError(session, `transcript line ${i}`, 'is not valid JSON', {
        location,
        cause: err,
      });
    }
  });
}

/**
 * Stores `entries` as lines `fromLine`… of a transcript (or, with `dedupe: 'uuid'`, after what is stored,
 * skipping stored uuids); the caller holds the session's lock.
 */
export async function appendTranscriptEntries(
  sessionDir: string,
  session: string,
  claudeSessionId: string,
  entries: readonly unknown[],
  fromLine: number,
  sync: boolean,
  options: TranscriptAppendOptions = {},
): Promise<void> {
  const dir = join(sessionDir, NAMES.transcripts);
  const stem = transcriptStem(claudeSessionId);
  await realDirectory(sessionDir);
  await realDirectory(dir);
  const head = await readTranscriptHead(dir, stem, session);
  const stored = head?.lines ?? 0;
  let index: UuidIndex | undefined;
  let fresh: readonly unknown[];
  if (options.dedupe === 'uuid') {
    index = await readUuidIndex(dir, stem, head, session);
    fresh = uniqueTranscriptEntries(session, entries, fromLine, index.known);
  } else {
    fresh = newTranscriptLines(session, stored, entries, fromLine);
  }
  const encoded = fresh.map((e) => {
    const line = JSON.stringify(e);
    if (line === undefined) throw new InvalidArgumentError('appendTranscript: every entry must be JSON');
    return line;
  });
  if (encoded.length === 0 && (index === undefined || index.pending.length === 0)) return;
  await ensureDirectory(dir, sessionDir, sync);

  // Lines already stored stay as they are, so a write only ever appends a frame (or starts the
  // transcript, or moves a plain one into its first compressed generation).
  const starts: (() => ReturnType<typeof writeAt>)[] = [];
  let next: TranscriptHead;
  let replaced: string | undefined;
  if (head === undefined) {
    const data = frame(encoded);
    next = { file: `${stem}.1.ccz`, lines: encoded.length, bytes: data.length };
    starts.push(() => writeFresh(join(dir, next.file), data));
  } else if (encoded.length === 0) {
    next = { ...head };
  } else if (formatOf(head) === 'ccz') {
    const data = frame(encoded);
    next = { file: head.file, lines: stored + encoded.length, bytes: head.bytes + data.length };
    starts.push(() => writeAt(join(dir, head.file), head.bytes, data));
  } else {
    const old = frame(await readTranscriptLines(dir, head, session));
    const data = Buffer.concat([old, frame(encoded)]);
    const generation = (transcriptFileOf(head.file, stem)?.generation ?? 0) + 1;
    next = { file: `${stem}.${generation}.ccz`, lines: stored + encoded.length, bytes: data.length };
    starts.push(() => writeFresh(join(dir, next.file), data));
    replaced = head.file;
    // What the uuid index covered of the plain file, in the new one: all of the old lines, or none.
    if (head.uuids !== undefined)
      head.uuids = { ...head.uuids, at: head.uuids.at === head.bytes ? old.length : 0 };
  }
  delete next.uuids;
  if (index !== undefined) {
    const added = [...index.pending, ...fresh.flatMap((e) => transcriptEntryUuid(e) ?? [])];
    const text = Buffer.from(added.map((u) => `${JSON.stringify(u)}\n`).join(''), 'utf8');
    const from = index.bytes;
    starts.push(() => writeAt(join(dir, `${stem}.uuids`), from, text));
    next.uuids = { bytes: from + text.length, at: next.bytes };
  } else if (head?.uuids !== undefined) {
    next.uuids = head.uuids; // positional lines past `at` are indexed by the next dedupe append
  }
  const temp = join(dir, `.${stem}.head.json.tmp`);
  const writes = await startWrites([
    ...starts,
    () => writeFresh(temp, Buffer.from(JSON.stringify(next), 'utf8')),
  ]);
  await finishWrites(writes, sync);
  await publish(temp, join(dir, `${stem}.head.json`), dir, sync, async () => {});
  if (replaced !== undefined) await rm(join(dir, replaced), { force: true });
}

/**
 * Deletes every line of a transcript (the caller holds the session's lock): the head is renamed away in
 * one step, then the id's files are removed. Resolves whether a transcript was stored.
 */
export async function deleteTranscriptFiles(
  sessionDir: string,
  claudeSessionId: string,
  sync: boolean,
): Promise<boolean> {
  const dir = join(sessionDir, NAMES.transcripts);
  const stem = transcriptStem(claudeSessionId);
  if ((await realDirectory(sessionDir)) === 'missing' || (await realDirectory(dir)) === 'missing')
    return false;
  let stored = true;
  try {
    await rename(join(dir, `${stem}.head.json`), join(dir, `.${stem}.head.json.deleted`));
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    stored = false;
  }
  if (stored) await syncDirectory(dir, sync);
  // Stems hold no `.`, so `<stem>.` starts only this id's files.
  for (const file of await readdir(dir)) {
    if (file.startsWith(`${stem}.`) || file.startsWith(`.${stem}.`))
      await rm(join(dir, file), { force: true });
  }
  return stored;
}

interface UuidIndex {
  /** Every uuid stored in the transcript. */
  known: Set<string>;
  /** Committed bytes of the index file. */
  bytes: number;
  /** Uuids of stored lines the index file does not hold yet. */
  pending: string[];
}

/** The uuids stored in a transcript: the index file, plus the lines appended after what it covers. */
async function readUuidIndex(
  dir: string,
  stem: string,
  head: TranscriptHead | undefined,
  session: string,
): Promise<UuidIndex> {
  const known = new Set<string>();
  let bytes = 0;
  let at = 0;
  if (head?.uuids !== undefined) {
    const path = join(dir, `${stem}.uuids`);
    const raw = (await readFileNoFollow(path)) ?? Buffer.alloc(0);
    if (raw.length < head.uuids.bytes)
      throw new SessionCorruptError(session, 'transcript uuid index', 'is shorter than its head records', {
        location: path,
      });
    for (const line of raw.subarray(0, head.uuids.bytes).toString('utf8').split('\n')) {
      if (line !== '') known.add(JSON.parse(line) as string);
    }
    bytes = head.uuids.bytes;
    at = head.uuids.at;
  }
  const pending: string[] = [];
  if (head !== undefined && head.bytes > at) {
    const path = join(dir, head.file);
    const data = await readFileNoFollow(path);
    if (data === undefined || data.length < head.bytes)
      throw new SessionCorruptError(session, 'transcript', 'is missing or shorter than its head records', {
        location: path,
      });
    for (const line of decodeRange(data, at, head.bytes, formatOf(head), session, path)) {
      const uuid = transcriptEntryUuid(parseEntries([line], path, session)[0]);
      if (uuid !== undefined && !known.has(uuid)) {
        known.add(uuid);
        pending.push(uuid);
      }
    }
  }
  return { known, bytes, pending };
}
