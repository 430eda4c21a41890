/**
 * The optional transcript capability: the Claude CLI's JSONL transcript lines, stored with the session so
 * it can be resumed on another machine.
 *
 * ```
 * <root>/<name>/transcripts/<id>.head.json          { "file": "<id>.<generation>.jsonl", "lines": N, "bytes": B }
 * <root>/<name>/transcripts/<id>.<generation>.jsonl one entry per line; only the first B bytes count
 * <root>/<name>/transcripts/<id>.uuids              the stored entries' uuids (JSON strings, one a line)
 * ```
 *
 * The uuid index exists once an append asked for `dedupe: 'uuid'`: the head then also records
 * `"uuids": { "bytes": U, "at": A }` (its committed bytes, and how many transcript bytes it covers: lines
 * after `A`, e.g. from positional appends, are indexed by the next `dedupe` append before it checks).
 *
 * `<id>` is the Claude session id when it is a plain token (UUIDs are), else `~` + its base64url form.
 * Appends are written after the committed bytes and published by renaming a new head in, like the
 * messages of a session. Lines already stored are never rewritten (a re-append is a no-op for them), so a
 * transcript keeps generation 1; readers still accept any generation the head names.
 */
import { join } from 'node:path';
import {
  InvalidArgumentError,
  SessionCorruptError,
  type TranscriptAppendOptions,
} from '@channelcoder/session-core/model';
import {
  newTranscriptLines,
  transcriptEntryUuid,
  uniqueTranscriptEntries,
} from '@channelcoder/session-core/storage-kit';
import { ensureDirectory, finishWrites, publish, startWrites, writeAt, writeFresh } from './durable-fs.js';
import { readOptionalText } from './head-file.js';
import { NAMES } from './layout.js';
import { readFileNoFollow, realDirectory } from './no-follow.js';

const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

interface TranscriptHead {
  file: string;
  lines: number;
  bytes: number;
  /** The uuid index: its committed bytes, and the transcript bytes it covers. */
  uuids?: { bytes: number; at: number };
}

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

/** The generation number of `<stem>.<generation>.jsonl`, else undefined. */
function generationOf(file: string, stem: string): number | undefined {
  if (!file.startsWith(`${stem}.`) || !file.endsWith('.jsonl')) return undefined;
  const digits = file.slice(stem.length + 1, -'.jsonl'.length);
  return /^\d{1,15}$/.test(digits) ? Number(digits) : undefined;
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
  if (typeof file !== 'string' || generationOf(file, stem) === undefined)
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

async function readTranscriptLines(dir: string, head: TranscriptHead, session: string): Promise<string[]> {
  if (head.bytes === 0) return [];
  const path = join(dir, head.file);
  const bytes = await readFileNoFollow(path);
  const committed = bytes?.subarray(0, head.bytes);
  const lines = committed?.toString('utf8').split('\n');
  if (
    committed === undefined ||
    committed.length < head.bytes ||
    lines?.pop() !== '' ||
    lines.length !== head.lines
  ) {
    throw new SessionCorruptError(
      session,
      'transcript',
      `does not hold the ${head.lines} lines its head records`,
      {
        location: path,
      },
    );
  }
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
      // An overwrite by another process publishes a new generation, then removes the old file: read again.
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

  // Lines already stored stay as they are, so a write only ever appends (or starts the transcript).
  const data = Buffer.from(encoded.map((l) => `${l}\n`).join(''), 'utf8');
  const starts: (() => ReturnType<typeof writeAt>)[] = [];
  let next: TranscriptHead;
  if (head !== undefined) {
    next = { file: head.file, lines: stored + encoded.length, bytes: head.bytes + data.length };
    if (data.length > 0) starts.push(() => writeAt(join(dir, head.file), head.bytes, data));
  } else {
    next = { file: `${stem}.1.jsonl`, lines: encoded.length, bytes: data.length };
    starts.push(() => writeFresh(join(dir, next.file), data));
  }
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
    if (data === undefined)
      throw new SessionCorruptError(session, 'transcript', 'is missing though its head records it', {
        location: path,
      });
    const tail = data.subarray(at, head.bytes).toString('utf8');
    for (const line of tail.split('\n')) {
      if (line === '') continue;
      const uuid = transcriptEntryUuid(parseEntries([line], path, session)[0]);
      if (uuid !== undefined && !known.has(uuid)) {
        known.add(uuid);
        pending.push(uuid);
      }
    }
  }
  return { known, bytes, pending };
}
