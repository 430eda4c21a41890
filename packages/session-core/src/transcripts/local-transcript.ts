/**
 * The CLI's local transcript files: where they are, reading their lines from a position (streamed, never
 * the whole file at once), and writing a restored one atomically.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TranscriptError } from '../errors.js';
import { claudeConfigDir } from '../runner/transcript.js';
import type { RunOptions } from '../runner/types.js';
import { projectFolderName } from './folder-name.js';

/** Where the CLI of a run keeps its data: its config dir and the run's working directory. */
export interface TranscriptLocation {
  /** `CLAUDE_CONFIG_DIR`, else `$HOME/.claude`. */
  configDir: string;
  cwd: string;
}

/** The location for a run's options (`env` overlay over this process's environment; cwd default: ours). */
export function transcriptLocation(options: Pick<RunOptions, 'env' | 'cwd'>): TranscriptLocation {
  return { configDir: claudeConfigDir(options.env), cwd: options.cwd ?? process.cwd() };
}

/** `<configDir>/projects/<folder of cwd>/<id>.jsonl`: where the CLI writes a new transcript for this cwd. */
export function transcriptPathFor(location: TranscriptLocation, claudeSessionId: string): string {
  return join(location.configDir, 'projects', projectFolderName(location.cwd), `${claudeSessionId}.jsonl`);
}

/**
 * The existing transcript of `claudeSessionId`: the cwd's folder first, else any folder under `projects/`
 * (the CLI resumes from any of them). `undefined` when there is none.
 */
export async function findLocalTranscript(
  location: TranscriptLocation,
  claudeSessionId: string,
): Promise<string | undefined> {
  const preferred = transcriptPathFor(location, claudeSessionId);
  if (await isFile(preferred)) return preferred;
  const projects = join(location.configDir, 'projects');
  let folders: string[];
  try {
    folders = (await readdir(projects, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  for (const folder of folders) {
    const candidate = join(projects, folder, `${claudeSessionId}.jsonl`);
    if (await isFile(candidate)) return candidate;
  }
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** A position in a transcript: lines (blank ones not counted) and the byte offset where the next starts. */
export interface TranscriptPosition {
  line: number;
  byte: number;
}

export interface TranscriptSlice {
  /** The parsed lines from the requested position on. */
  entries: unknown[];
  /** Where the next read continues. */
  end: TranscriptPosition;
}

const NEWLINE = 0x0a;

/**
 * The lines of a transcript from `from.line` on, parsed. With `from.byte` the read starts at that offset
 * (O(new data)); without it, the first `from.line` lines are skipped while streaming. A last line without
 * its newline is taken when it parses (the CLI finished writing it), else left for the next read.
 *
 * @throws TranscriptError when a complete line is not JSON, or `from` lies beyond the end of the file.
 */
export async function readTranscriptLines(
  path: string,
  claudeSessionId: string,
  from: { line: number; byte?: number } = { line: 0 },
): Promise<TranscriptSlice> {
  return scanTranscript(path, claudeSessionId, from, true);
}

/** Where a transcript ends (its line count and size), streamed; complete lines are not parsed. */
export async function transcriptEnd(path: string, claudeSessionId: string): Promise<TranscriptPosition> {
  return (await scanTranscript(path, claudeSessionId, { line: 0 }, false)).end;
}

async function scanTranscript(
  path: string,
  claudeSessionId: string,
  from: { line: number; byte?: number },
  collect: boolean,
): Promise<TranscriptSlice> {
  const entries: unknown[] = [];
  let line = from.byte === undefined ? 0 : from.line;
  let byte = from.byte ?? 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  const take = (raw: Buffer, length: number): void => {
    const text = raw.toString('utf8');
    byte += length;
    if (text.trim() === '') return;
    if (collect && line >= from.line) entries.push(parseLine(text, claudeSessionId, line, path));
    line++;
  };

  for await (const chunk of createReadStream(path, { start: byte }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, i);
      const raw = pendingBytes === 0 ? piece : Buffer.concat([...pending, piece]);
      take(raw, raw.length + 1);
      pending = [];
      pendingBytes = 0;
      start = i + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
    }
  }
  if (pendingBytes > 0) {
    const raw = Buffer.concat(pending);
    const text = raw.toString('utf8');
    if (text.trim() !== '' && parses(text)) take(raw, raw.length);
  }
  if (line < from.line) {
    throw new TranscriptError(
      'read',
      claudeSessionId,
      `The local transcript ${path} has ${line} lines, fewer than the ${from.line} already mirrored ` +
        '(it was replaced or truncated)',
    );
  }
  return { entries, end: { line, byte } };
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function parseLine(text: string, claudeSessionId: string, line: number, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new TranscriptError('read', claudeSessionId, `Line ${line + 1} of ${path} is not JSON`, {
      cause: err,
    });
  }
}

/**
 * Writes `entries` as a transcript (one JSON line each) at `path`, atomically: a temporary file in the
 * same folder, fsync'd, then renamed over the target, so the CLI never sees half a transcript.
 * Returns the position after the last line.
 */
export async function writeTranscriptAtomically(
  path: string,
  entries: readonly unknown[],
): Promise<TranscriptPosition> {
  const folder = join(path, '..');
  // Owner-only, like every folder the project creates: transcripts hold the whole conversation.
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${globalThis.crypto.randomUUID()}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  let bytes = 0;
  try {
    // Written in batches so a 10 MB transcript is neither one huge string nor thousands of tiny writes.
    let batch: string[] = [];
    let batchLength = 0;
    for (const entry of entries) {
      const text = `${JSON.stringify(entry)}\n`;
      batch.push(text);
      batchLength += text.length;
      if (batchLength >= 1 << 20) {
        bytes += await writeAll(handle, batch.join(''));
        batch = [];
        batchLength = 0;
      }
    }
    if (batch.length > 0) bytes += await writeAll(handle, batch.join(''));
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return { line: entries.length, byte: bytes };
}

async function writeAll(handle: import('node:fs/promises').FileHandle, text: string): Promise<number> {
  const buffer = Buffer.from(text, 'utf8');
  let written = 0;
  while (written < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, written, buffer.length - written);
    written += bytesWritten;
  }
  return buffer.length;
}
