/**
 * The transcript capability: the CLI's JSONL lines of one Claude session id, stored next to the session as
 * one numbered part per append:
 *
 *   <p>sessions/<name>/transcripts/<claude session id>/<seq>.part   append number <seq> (10 digits, from 1)
 *
 * A part is one append's lines encoded with the transcript codec of session-core (`CCZ1`, compressed), or a
 * deletion marker (`deleteTranscript`). The order of the lines is the order of the sequence numbers, and
 * every number is taken by a conditional write: an append PUTs part `<last seen> + 1` with
 * `If-None-Match: *`. When S3 refuses it (412: another writer took that number), the appender lists the
 * parts after the last one it knew, reads just those, and tries the next number. So an append is one PUT
 * whatever the transcript's length, plus, only when another writer appended meanwhile, one LIST and a GET
 * per part it missed.
 *
 * What an appender knows (last number, line count, the uuids stored) is kept per storage object, from its
 * own appends and loads. Every part carries, as object metadata (`x-amz-meta-channelcoder-lines`), the
 * number of lines stored up to and including it since the last deletion marker. So the first append of a
 * transcript in a process that has not loaded it does not read the lines: a HEAD of the session head and a
 * LIST of the folder (in parallel; one LIST per 1,000 parts), a HEAD of the last part, then the PUT. Only
 * `dedupe: 'uuid'` needs the stored uuids, and so reads the transcript once, as a load does; so do
 * transcripts whose last part was written by a version without that metadata, or stored in the previous
 * layouts only. A load is one LIST of the folder and the parts' GETs in parallel: linear in appends.
 *
 * `deleteTranscript` takes the next number with a deletion marker: readers ignore every line before the
 * last marker, so the deletion is one conditional write, atomic for readers; it then deletes the objects
 * before the marker (a crash there leaves objects no load returns; the next deletion or `remove()` deletes
 * them). The marker stays, so the numbers keep growing and a writer that has not seen it cannot take its
 * number.
 *
 * Transcripts stored in the previous layouts still load and accept appends: a `manifest.json` listing
 * `p-<16 hex>.jsonl` parts, or older `<first line>-<end line>.jsonl` chunks found by listing. Their lines
 * come first; numbered parts follow them.
 */
import {
  InvalidArgumentError,
  SessionCorruptError,
  SessionNotFoundError,
  StorageUnavailableError,
  type TranscriptAppendOptions,
} from '@channelcoder/session-core';
import {
  decodeTranscriptChunk,
  encodeTranscriptChunk,
  isCompressedTranscriptChunk,
  newTranscriptLines,
  transcriptEntryUuid,
  uniqueTranscriptEntries,
} from '@channelcoder/session-core/storage-kit';
import { mapBounded } from './bounded-parallel.js';
import { KIND_METADATA, LEASE_ONLY_KIND } from './head-lease.js';
import type { KeyLayout } from './keys.js';
import type { ObjectStore } from './object-store.js';

const CLAUDE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SEQ_PART = /^(\d{10})\.part$/;
const LEGACY_CHUNK = /^(\d{10})-(\d{10})\.jsonl$/;
const MANIFEST = 'manifest.json';
const MANIFEST_PART = /^p-[0-9a-f]{16}\.jsonl$/;
const PARALLEL_READS = 16;
/** Sequence numbers lost to other appenders are retried this often before giving up. */
const APPEND_ATTEMPTS = 100;
/** The body of a deletion marker: not JSON and not a codec chunk, so it never reads as lines. */
const DELETION_MARKER = Buffer.from('CCDEL1\n', 'latin1');
const CONTENT_TYPE = 'application/octet-stream';
/** Object metadata of a part: lines stored up to and including it since the last deletion marker. */
const LINES_METADATA = 'channelcoder-lines';
const COUNT = /^(0|[1-9]\d{0,14})$/;

/** What a writer knows of one transcript. */
interface View {
  /** The highest sequence number seen (0: none). */
  seq: number;
  /** Stored lines since the last deletion marker. */
  lines: number;
  /** The uuids of those lines; undefined when they were not read (see `openView`). */
  uuids: Set<string> | undefined;
}

/** One numbered part as read. */
type ReadPart = { seq: number; deleted: true } | { seq: number; deleted: false; lines: string[] };

interface LegacyChunk {
  key: string;
  from: number;
  end: number;
}

export class TranscriptChunks {
  /** Per transcript folder: what this process last knew of it (see the module comment). */
  private readonly views = new Map<string, View>();

  constructor(
    private readonly objects: ObjectStore,
    private readonly keys: KeyLayout,
  ) {}

  /** Forgets what is known of the session's transcripts (after remove, trash or restore). */
  forget(name: string): void {
    const folder = this.keys.sessionFolder(name);
    for (const key of this.views.keys()) if (key.startsWith(folder)) this.views.delete(key);
  }

  /** @throws SessionNotFoundError; InvalidArgumentError for a gap, a bad id or bad entries. */
  async append(
    name: string,
    claudeSessionId: string,
    entries: readonly unknown[],
    fromLine: number,
    options: TranscriptAppendOptions = {},
  ): Promise<void> {
    const folder = this.folder(name, claudeSessionId);
    if (!Array.isArray(entries))
      throw new InvalidArgumentError('appendTranscript(): entries must be an array');
    const dedupe = options.dedupe === 'uuid';
    let view = this.views.get(folder);
    let verified = false; // true once `view` was read from the bucket during this call
    if (view === undefined || (dedupe && view.uuids === undefined)) {
      view = await this.openView(name, claudeSessionId, folder, dedupe);
      verified = true;
      this.views.set(folder, view);
    }
    for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
      let fresh: unknown[];
      try {
        fresh = this.freshEntries(name, view, entries, fromLine, options);
      } catch (err) {
        // A gap may only mean that others appended since this process last looked: look, then judge.
        if (verified || !InvalidArgumentError.is(err)) throw err;
        await this.catchUp(name, claudeSessionId, folder, view);
        verified = true;
        continue;
      }
      if (fresh.length === 0) {
        if (verified) return; // every entry is stored already
        // What this process knew says so; another writer may have deleted the transcript since: look.
        await this.catchUp(name, claudeSessionId, folder, view);
        verified = true;
        continue;
      }
      const lines = fresh.map((e) => stringify(e, name));
      const seq = view.seq + 1;
      const put = await this.objects.put(
        this.keys.transcriptSeqKey(name, claudeSessionId, seq),
        encodeTranscriptChunk(lines),
        CONTENT_TYPE,
        'appendTranscript',
        { ifNoneMatch: '*' },
        { [LINES_METADATA]: String(view.lines + lines.length) },
      );
      if (put !== 'precondition-failed') {
        view.seq = seq;
        view.lines += lines.length;
        for (const e of fresh) addUuid(view, e);
        return;
      }
      // Another writer took the number (or our own earlier attempt did): read what it stored, then retry.
      const before = view.seq;
      await this.catchUp(name, claudeSessionId, folder, view);
      verified = true;
      if (view.seq === before)
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 3 * attempt)));
    }
    throw new StorageUnavailableError(
      'S3',
      `appendTranscript("${name}")`,
      new Error(`other writers kept appending to transcript ${claudeSessionId}; try again`),
    );
  }

  /** All stored lines in order, or `null` when none are stored for that id. */
  async load(name: string, claudeSessionId: string): Promise<unknown[] | null> {
    const folder = this.folder(name, claudeSessionId);
    const { lines, seq } = await this.readAll(name, claudeSessionId, folder);
    const location = `s3://${this.objects.bucket}/${folder}`;
    const entries = lines.map((line) => parseLine(line, name, claudeSessionId, location));
    // What was read is what an append needs to know: the next append after a load is one PUT.
    if (seq > 0 || entries.length > 0) {
      const view: View = { seq, lines: entries.length, uuids: new Set() };
      for (const entry of entries) addUuid(view, entry);
      this.views.set(folder, view);
    }
    return entries.length === 0 ? null : entries;
  }

  /**
   * Writes a deletion marker as the next part, then deletes the objects before it. Resolves false when no
   * line was stored.
   */
  async delete(name: string, claudeSessionId: string): Promise<boolean> {
    const folder = this.folder(name, claudeSessionId);
    const view = await this.readView(name, claudeSessionId, folder);
    for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
      if (view.lines === 0) {
        this.views.set(folder, view);
        return false;
      }
      const seq = view.seq + 1;
      const put = await this.objects.put(
        this.keys.transcriptSeqKey(name, claudeSessionId, seq),
        DELETION_MARKER,
        CONTENT_TYPE,
        'deleteTranscript',
        { ifNoneMatch: '*' },
        { [LINES_METADATA]: '0' },
      );
      if (put !== 'precondition-failed') {
        this.views.set(folder, { seq, lines: 0, uuids: new Set() });
        await this.collect(folder, seq);
        return true;
      }
      await this.catchUp(name, claudeSessionId, folder, view);
    }
    throw new StorageUnavailableError(
      'S3',
      `deleteTranscript("${name}")`,
      new Error(`other writers kept appending to transcript ${claudeSessionId}; try again`),
    );
  }

  /** Deletes every object of the folder before the marker `markerSeq` (best effort: loads ignore them). */
  private async collect(folder: string, markerSeq: number): Promise<void> {
    try {
      const keys = await this.objects.listAllKeys(folder, 'deleteTranscript');
      const garbage = keys.filter((key) => {
        const rest = key.slice(folder.length);
        const seq = SEQ_PART.exec(rest);
        if (seq !== null) return Number(seq[1]) < markerSeq;
        return rest === MANIFEST || MANIFEST_PART.test(rest) || LEGACY_CHUNK.test(rest);
      });
      await mapBounded(garbage, PARALLEL_READS, (k) => this.objects.delete(k, 'deleteTranscript'));
    } catch {
      // Left for the next deletion or remove(); no load returns them.
    }
  }

  private freshEntries(
    name: string,
    view: View,
    entries: readonly unknown[],
    fromLine: number,
    options: TranscriptAppendOptions,
  ): unknown[] {
    if (options.dedupe !== 'uuid') return newTranscriptLines(name, view.lines, entries, fromLine);
    const seen = new Set<string>();
    const stored = view.uuids ?? new Set<string>(); // `append` read them before a dedupe
    return uniqueTranscriptEntries(name, entries, fromLine, {
      has: (uuid) => stored.has(uuid) || seen.has(uuid),
      add: (uuid) => seen.add(uuid),
    });
  }

  /** @throws SessionNotFoundError unless the session has a head (a lease-only head is no session). */
  private async assertSession(name: string): Promise<void> {
    const metadata = await this.objects.metadata(this.keys.headKey(name), 'appendTranscript');
    if (metadata === undefined || metadata[KIND_METADATA] === LEASE_ONLY_KIND)
      throw new SessionNotFoundError(name, { where: `s3://${this.objects.bucket}/${this.keys.prefix}` });
  }

  /**
   * What an append needs to know of a transcript this process has no view of: the session exists (a HEAD,
   * in parallel with the LIST of the folder), then the last part's number and its line count (a HEAD of
   * that part). Reads every part instead when `withUuids` (a dedupe needs the stored uuids), when the last
   * part has no line count (written by an earlier version) or when lines are stored in the previous
   * layouts only.
   *
   * @throws SessionNotFoundError
   */
  private async openView(
    name: string,
    claudeSessionId: string,
    folder: string,
    withUuids: boolean,
  ): Promise<View> {
    const [, keys] = await Promise.all([
      this.assertSession(name),
      this.objects.listAllKeys(folder, 'appendTranscript'),
    ]);
    if (!withUuids) {
      let last: { key: string; seq: number } | undefined;
      let previous = false;
      for (const key of keys) {
        const rest = key.slice(folder.length);
        const match = SEQ_PART.exec(rest);
        if (match !== null) {
          const seq = Number(match[1]);
          if (last === undefined || seq > last.seq) last = { key, seq };
        } else if (rest === MANIFEST || LEGACY_CHUNK.test(rest)) previous = true;
      }
      if (last === undefined && !previous) return { seq: 0, lines: 0, uuids: new Set() };
      if (last !== undefined) {
        const count = (await this.objects.metadata(last.key, 'appendTranscript'))?.[LINES_METADATA];
        if (count !== undefined && COUNT.test(count))
          return { seq: last.seq, lines: Number(count), uuids: undefined };
      }
    }
    return this.readView(name, claudeSessionId, folder, keys);
  }

  /** What is stored now, read in full (from the folder's `keys` when they were just listed). */
  private async readView(
    name: string,
    claudeSessionId: string,
    folder: string,
    keys?: readonly string[],
  ): Promise<View> {
    const { lines, seq } = await this.readAll(name, claudeSessionId, folder, keys);
    const location = `s3://${this.objects.bucket}/${folder}`;
    const view: View = { seq, lines: lines.length, uuids: new Set() };
    for (const line of lines) addUuid(view, parseLine(line, name, claudeSessionId, location));
    return view;
  }

  /** Reads the parts after `view.seq` into `view` (a deletion marker empties it). */
  private async catchUp(name: string, claudeSessionId: string, folder: string, view: View): Promise<void> {
    const after = this.keys.transcriptSeqKey(name, claudeSessionId, view.seq);
    const keys = await this.objects.listAllKeys(folder, 'appendTranscript', after);
    const parts = await this.readParts(name, claudeSessionId, folder, keys);
    const location = `s3://${this.objects.bucket}/${folder}`;
    for (const part of parts) {
      if (part.seq <= view.seq) continue;
      view.seq = part.seq;
      if (part.deleted) {
        view.lines = 0;
        view.uuids = new Set(); // every line after the marker is read below
        continue;
      }
      view.lines += part.lines.length;
      if (view.uuids === undefined) continue;
      for (const line of part.lines) addUuid(view, parseLine(line, name, claudeSessionId, location));
    }
  }

  /** Every stored line (as JSON text) after the last deletion marker, and the highest sequence number. */
  private async readAll(
    name: string,
    claudeSessionId: string,
    folder: string,
    listed?: readonly string[],
  ): Promise<{ lines: string[]; seq: number }> {
    const keys = listed ?? (await this.objects.listAllKeys(folder, 'loadTranscript'));
    const parts = await this.readParts(name, claudeSessionId, folder, keys);
    const seq = parts.at(-1)?.seq ?? 0;
    let marker = parts.length - 1;
    while (marker >= 0 && !parts[marker]?.deleted) marker--;
    const lines: string[] = [];
    if (marker === -1) lines.push(...(await this.readPrevious(name, claudeSessionId, folder, keys)));
    for (const part of parts.slice(marker + 1)) if (!part.deleted) lines.push(...part.lines);
    return { lines, seq };
  }

  /** The numbered parts among `keys`, read in parallel, in sequence order. */
  private async readParts(
    name: string,
    claudeSessionId: string,
    folder: string,
    keys: readonly string[],
  ): Promise<ReadPart[]> {
    const numbered = keys
      .flatMap((key) => {
        const match = SEQ_PART.exec(key.slice(folder.length));
        return match === null ? [] : [{ key, seq: Number(match[1]) }];
      })
      .sort((a, b) => a.seq - b.seq);
    return mapBounded(numbered, PARALLEL_READS, async ({ key, seq }): Promise<ReadPart> => {
      const bytes = await this.objects.getBytes(key, 'loadTranscript');
      const location = `s3://${this.objects.bucket}/${key}`;
      if (bytes === undefined) {
        // Only a deletion removes parts, and only those before its marker, which a later read will see.
        throw new StorageUnavailableError(
          'S3',
          `loadTranscript("${name}")`,
          new Error(`part ${key} of transcript ${claudeSessionId} was deleted while it was read; try again`),
        );
      }
      if (Buffer.from(bytes).equals(DELETION_MARKER)) return { seq, deleted: true };
      if (!isCompressedTranscriptChunk(bytes)) {
        throw new SessionCorruptError(name, `transcript ${claudeSessionId}`, `part ${key} is not a chunk`, {
          location,
        });
      }
      return { seq, deleted: false, lines: decodeTranscriptChunk(bytes, { sessionName: name, location }) };
    });
  }

  /** The lines stored in the previous layouts (a manifest and its parts, or line-range chunks). */
  private async readPrevious(
    name: string,
    claudeSessionId: string,
    folder: string,
    keys: readonly string[],
  ): Promise<string[]> {
    if (keys.includes(`${folder}${MANIFEST}`))
      return this.readManifestLines(name, claudeSessionId, `${folder}${MANIFEST}`, folder);
    return this.readLegacyChunks(name, claudeSessionId, folder, keys);
  }

  private async readManifestLines(
    name: string,
    claudeSessionId: string,
    key: string,
    folder: string,
  ): Promise<string[]> {
    const stored = await this.objects.getText(key, 'loadTranscript');
    const corrupt = (problem: string) =>
      new SessionCorruptError(name, `transcript ${claudeSessionId} manifest`, problem, {
        location: `s3://${this.objects.bucket}/${key}`,
      });
    if (stored === undefined) return []; // deleted by a deletion after our listing: its marker follows
    let value: { v?: unknown; lines?: unknown; parts?: unknown };
    try {
      value = JSON.parse(stored.text) as typeof value;
    } catch {
      throw corrupt('is not valid JSON');
    }
    const { lines, parts } = value ?? {};
    if (value?.v !== 2 || !Number.isSafeInteger(lines) || !Array.isArray(parts))
      throw corrupt('is not a version 2 manifest');
    for (const p of parts as unknown[]) {
      if (!Array.isArray(p) || typeof p[0] !== 'string' || !Number.isSafeInteger(p[1]))
        throw corrupt('lists a part that is not [name, lines]');
      if (!MANIFEST_PART.test(p[0]) && !LEGACY_CHUNK.test(p[0]))
        throw corrupt(`lists a foreign part ${p[0]}`);
    }
    const listed = parts as Array<[string, number]>;
    if (listed.reduce((sum, p) => sum + p[1], 0) !== lines)
      throw corrupt('counts lines its parts do not hold');
    const texts = await mapBounded(listed, PARALLEL_READS, ([part]) =>
      this.objects.getBytes(`${folder}${part}`, 'loadTranscript'),
    );
    return texts.flatMap((bytes, i) => {
      const [part, count] = listed[i] as [string, number];
      const partLines = bytes === undefined ? [] : chunkLines(bytes, name, `${folder}${part}`);
      if (bytes === undefined || partLines.length !== count) {
        throw new SessionCorruptError(name, `transcript ${claudeSessionId}`, `part ${part} is incomplete`, {
          location: `s3://${this.objects.bucket}/${folder}`,
        });
      }
      return partLines;
    });
  }

  private async readLegacyChunks(
    name: string,
    claudeSessionId: string,
    folder: string,
    keys: readonly string[],
  ): Promise<string[]> {
    const chunks: LegacyChunk[] = keys
      .flatMap((key) => {
        const match = LEGACY_CHUNK.exec(key.slice(folder.length));
        return match === null ? [] : [{ key, from: Number(match[1]), end: Number(match[2]) }];
      })
      .sort((a, b) => a.from - b.from || b.end - a.end);
    if (chunks.length === 0) return [];
    const location = `s3://${this.objects.bucket}/${folder}`;
    let covered = 0;
    for (const c of chunks) {
      if (c.from > covered) {
        throw new SessionCorruptError(
          name,
          `transcript ${claudeSessionId}`,
          `has no lines ${covered}-${c.from}`,
          {
            location,
          },
        );
      }
      covered = Math.max(covered, c.end);
    }
    const texts = await mapBounded(chunks, PARALLEL_READS, (c) =>
      this.objects.getBytes(c.key, 'loadTranscript'),
    );
    const lines = new Array<string>(covered);
    texts.forEach((bytes, i) => {
      const chunk = chunks[i] as LegacyChunk;
      const got = bytes === undefined ? [] : chunkLines(bytes, name, chunk.key);
      if (bytes === undefined || got.length !== chunk.end - chunk.from) {
        throw new SessionCorruptError(
          name,
          `transcript ${claudeSessionId}`,
          `chunk ${chunk.key} is incomplete`,
          {
            location,
          },
        );
      }
      got.forEach((line, j) => {
        lines[chunk.from + j] = line;
      });
    });
    return lines;
  }

  private folder(name: string, claudeSessionId: string): string {
    if (
      typeof claudeSessionId !== 'string' ||
      !CLAUDE_ID.test(claudeSessionId) ||
      claudeSessionId.includes('..')
    ) {
      throw new InvalidArgumentError(
        `Invalid Claude session id ${JSON.stringify(claudeSessionId)}: expected letters, digits, ".", "_" and "-".`,
      );
    }
    return this.keys.transcriptFolder(name, claudeSessionId);
  }
}

/** The lines of a stored object of the previous layouts: plain JSON lines, or a codec chunk. */
function chunkLines(bytes: Uint8Array, name: string, key: string): string[] {
  if (isCompressedTranscriptChunk(bytes))
    return decodeTranscriptChunk(bytes, { sessionName: name, location: key });
  return Buffer.from(bytes)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
}

function addUuid(view: View, entry: unknown): void {
  if (view.uuids === undefined) return;
  const uuid = transcriptEntryUuid(entry);
  if (uuid !== undefined) view.uuids.add(uuid);
}

function stringify(entry: unknown, name: string): string {
  const line = JSON.stringify(entry);
  if (typeof line !== 'string')
    throw new InvalidArgumentError(`appendTranscript("${name}"): every entry must be JSON`);
  return line;
}

function parseLine(line: string, name: string, claudeSessionId: string, location: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (err) {
    throw new SessionCorruptError(name, `transcript ${claudeSessionId}`, 'has a line that is not JSON', {
      location,
      cause: err,
    });
  }
}
