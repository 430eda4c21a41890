/**
 * The optional transcript capability: the Claude CLI's JSONL transcript lines, stored with the session so
 * it can be resumed on another machine.
 *
 * ```
 * <root>/<name>/transcripts/<id>.head.json          { "file": "<id>.<generation>.jsonl", "lines": N, "bytes": B }
 * <root>/<name>/transcripts/<id>.<generation>.jsonl one entry per line; only the first B bytes count
 * ```
 *
 * `<id>` is the Claude session id when it is a plain token (UUIDs are), else `~` + its base64url form.
 * Appends are written after the committed bytes and published by renaming a new head in, like the
 * messages of a session. Lines already stored are never rewritten (a re-append is a no-op for them), so a
 * transcript keeps generation 1; readers still accept any generation the head names.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, SessionCorruptError } from '@channelcoder/session-core';
import { newTranscriptLines } from '@channelcoder/session-core/storage-kit';
import { ensureDirectory, finishWrites, publish, startWrites, writeAt, writeFresh } from './durable-fs.js';
import { isErrno } from './fs-errors.js';
import { readOptionalText } from './head-file.js';

const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

interface TranscriptHead {
  file: string;
  lines: number;
  bytes: number;
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
  return { file, lines: lines as number, bytes: bytes as number };
}

async function readTranscriptLines(dir: string, head: TranscriptHead, session: string): Promise<string[]> {
  if (head.bytes === 0) return [];
  const path = join(dir, head.file);
  const bytes = await readFile(path).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  });
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
  const dir = join(sessionDir, 'transcripts');
  const stem = transcriptStem(claudeSessionId);
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

/** Stores `entries` as lines `fromLine`… of a transcript; the caller holds the session's lock. */
export async function appendTranscriptEntries(
  sessionDir: string,
  session: string,
  claudeSessionId: string,
  entries: readonly unknown[],
  fromLine: number,
  sync: boolean,
): Promise<void> {
  const dir = join(sessionDir, 'transcripts');
  const stem = transcriptStem(claudeSessionId);
  const head = await readTranscriptHead(dir, stem, session);
  const stored = head?.lines ?? 0;
  const encoded = newTranscriptLines(session, stored, entries, fromLine).map((e) => {
    const line = JSON.stringify(e);
    if (line === undefined) throw new InvalidArgumentError('appendTranscript: every entry must be JSON');
    return line;
  });
  if (encoded.length === 0) return;
  await ensureDirectory(dir, sessionDir, sync);

  // Lines already stored stay as they are, so a write only ever appends (or starts the transcript).
  const data = Buffer.from(encoded.map((l) => `${l}\n`).join(''), 'utf8');
  let next: TranscriptHead;
  let write: () => ReturnType<typeof writeAt>;
  if (head !== undefined) {
    next = { file: head.file, lines: stored + encoded.length, bytes: head.bytes + data.length };
    write = () => writeAt(join(dir, head.file), head.bytes, data);
  } else {
    next = { file: `${stem}.1.jsonl`, lines: encoded.length, bytes: data.length };
    write = () => writeFresh(join(dir, next.file), data);
  }
  const temp = join(dir, `.${stem}.head.json.tmp`);
  const writes = await startWrites([
    write,
    () => writeFresh(temp, Buffer.from(JSON.stringify(next), 'utf8')),
  ]);
  await finishWrites(writes, sync);
  await publish(temp, join(dir, `${stem}.head.json`), dir, sync, async () => {});
}
