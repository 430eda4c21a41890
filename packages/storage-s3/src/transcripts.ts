/**
 * The transcript capability: the CLI's JSONL lines of one Claude session id, stored next to the session as
 * one uniquely named part per append, listed in order by a manifest:
 *
 *   <p>sessions/<name>/transcripts/<claude session id>/manifest.json
 *       { "v": 2, "lines": N, "parts": [["<part>", <lines>], …], "uuids": ["<uuid digest>", …] }
 *   <p>sessions/<name>/transcripts/<claude session id>/p-<16 hex>.jsonl   one append's lines
 *
 * An append costs the same whatever the transcript's length: GET the manifest, PUT the part, PUT the
 * manifest with `If-Match` (the conditional write orders racing appenders: the loser reads the new
 * manifest and tries again, reusing its part). `uuids` holds a 72-bit digest (12 base64url characters of
 * sha256) of every stored entry's `uuid`, so `dedupe: 'uuid'` appends skip stored entries without
 * reading them. A load is the manifest plus its parts (GETs in parallel): linear in entries. Parts no
 * manifest lists (an appender that gave up) are never read and go with the session.
 *
 * Transcripts stored before manifests (`<first line>-<end line>.jsonl` chunks, found by listing) still
 * load; the first append to one writes its manifest.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  InvalidArgumentError,
  SessionCorruptError,
  SessionNotFoundError,
  StorageUnavailableError,
  type TranscriptAppendOptions,
} from '@channelcoder/session-core';
import {
  newTranscriptLines,
  transcriptEntryUuid,
  uniqueTranscriptEntries,
} from '@channelcoder/session-core/storage-kit';
import { mapBounded } from './bounded-parallel.js';
import type { KeyLayout } from './keys.js';
import type { ObjectStore } from './object-store.js';

const CLAUDE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const LEGACY_CHUNK = /^(\d{10})-(\d{10})\.jsonl$/;
const PART = /^p-[0-9a-f]{16}\.jsonl$/;
const PARALLEL_READS = 8;
/** Manifest writes that lost to another appender are retried this often (with a short random pause). */
const APPEND_ATTEMPTS = 100;

interface Manifest {
  v: 2;
  lines: number;
  parts: Array<[string, number]>;
  uuids: string[];
}

interface LegacyChunk {
  key: string;
  from: number;
  end: number;
}

/** The digest a manifest keeps of an entry's uuid. */
function uuidDigest(uuid: string): string {
  return createHash('sha256').update(uuid, 'utf8').digest('base64url').slice(0, 12);
}

export class TranscriptChunks {
  constructor(
    private readonly objects: ObjectStore,
    private readonly keys: KeyLayout,
  ) {}

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
    const manifestKey = this.keys.transcriptManifestKey(name, claudeSessionId);
    let part: { key: string; text: string; count: number } | undefined;
    for (let attempt = 1; attempt <= APPEND_ATTEMPTS; attempt++) {
      const current = await this.readManifest(name, claudeSessionId, manifestKey);
      let manifest: Manifest;
      let etag: string | undefined;
      if (current === undefined) {
        if (!(await this.objects.exists(this.keys.headKey(name), 'appendTranscript'))) {
          throw new SessionNotFoundError(name, { where: `s3://${this.objects.bucket}/${this.keys.prefix}` });
        }
        manifest = await this.legacyManifest(name, claudeSessionId, folder);
      } else {
        manifest = current.manifest;
        etag = current.etag;
      }
      const known = new Set(manifest.uuids);
      const fresh =
        options.dedupe === 'uuid'
          ? uniqueTranscriptEntries(name, entries, fromLine, {
              has: (uuid) => known.has(uuidDigest(uuid)),
              add: (uuid) => known.add(uuidDigest(uuid)),
            })
          : newTranscriptLines(name, manifest.lines, entries, fromLine);
      if (fresh.length === 0) return; // every entry is stored already
      const text = fresh.map((e) => `${stringify(e, name)}\n`).join('');
      if (part === undefined || part.text !== text) {
        part = {
          key: this.keys.transcriptPartKey(name, claudeSessionId, randomBytes(8).toString('hex')),
          text,
          count: fresh.length,
        };
        await this.objects.put(part.key, text, 'application/x-ndjson', 'appendTranscript');
      }
      const next: Manifest = {
        v: 2,
        lines: manifest.lines + fresh.length,
        parts: [...manifest.parts, [part.key.slice(folder.length), part.count]],
        uuids: [...manifest.uuids, ...fresh.flatMap((e) => digestOf(e) ?? [])],
      };
      const put = await this.objects.put(
        manifestKey,
        JSON.stringify(next),
        'application/json',
        'appendTranscript',
        etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag },
      );
      if (put !== 'precondition-failed') return;
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
    const location = `s3://${this.objects.bucket}/${folder}`;
    const current = await this.readManifest(
      name,
      claudeSessionId,
      this.keys.transcriptManifestKey(name, claudeSessionId),
    );
    if (current === undefined) return this.loadLegacy(name, claudeSessionId, folder);
    const { manifest } = current;
    if (manifest.lines === 0) return null;
    const texts = await mapBounded(manifest.parts, PARALLEL_READS, ([part]) =>
      this.objects.getText(`${folder}${part}`, 'loadTranscript'),
    );
    const lines: unknown[] = [];
    texts.forEach((t, i) => {
      const [part, count] = manifest.parts[i] as [string, number];
      const partLines = (t?.text ?? '').split('\n').filter((l) => l !== '');
      if (t === undefined || partLines.length !== count) {
        throw new SessionCorruptError(name, `transcript ${claudeSessionId}`, `part ${part} is incomplete`, {
          location,
        });
      }
      for (const line of partLines) lines.push(parseLine(line, name, claudeSessionId, location));
    });
    return lines;
  }

  private async readManifest(
    name: string,
    claudeSessionId: string,
    key: string,
  ): Promise<{ manifest: Manifest; etag: string } | undefined> {
    const stored = await this.objects.getText(key, 'loadTranscript');
    if (stored === undefined) return undefined;
    const corrupt = (problem: string) =>
      new SessionCorruptError(name, `transcript ${claudeSessionId} manifest`, problem, {
        location: `s3://${this.objects.bucket}/${key}`,
      });
    let value: Partial<Manifest>;
    try {
      value = JSON.parse(stored.text) as Partial<Manifest>;
    } catch {
      throw corrupt('is not valid JSON');
    }
    const { lines, parts, uuids } = value ?? {};
    if (value?.v !== 2 || !Number.isSafeInteger(lines) || !Array.isArray(parts) || !Array.isArray(uuids))
      throw corrupt('is not a version 2 manifest');
    for (const p of parts) {
      if (!Array.isArray(p) || typeof p[0] !== 'string' || !Number.isSafeInteger(p[1]))
        throw corrupt('lists a part that is not [name, lines]');
      if (!PART.test(p[0]) && !LEGACY_CHUNK.test(p[0])) throw corrupt(`lists a foreign part ${p[0]}`);
    }
    if (parts.reduce((sum, p) => sum + p[1], 0) !== lines)
      throw corrupt('counts lines its parts do not hold');
    return { manifest: value as Manifest, etag: stored.etag };
  }

  /** The manifest of a transcript stored as chunks before manifests (empty when there is none). */
  private async legacyManifest(name: string, claudeSessionId: string, folder: string): Promise<Manifest> {
    const chunks = await this.legacyChunks(folder);
    const manifest: Manifest = { v: 2, lines: 0, parts: [], uuids: [] };
    if (chunks.length === 0) return manifest;
    const lines = (await this.loadLegacy(name, claudeSessionId, folder)) ?? [];
    // Chunks of racing appenders may overlap: keep a covering sequence of them.
    for (const chunk of chunks) {
      if (chunk.end <= manifest.lines) continue;
      if (chunk.from !== manifest.lines) continue;
      manifest.parts.push([chunk.key.slice(folder.length), chunk.end - chunk.from]);
      manifest.lines = chunk.end;
    }
    if (manifest.lines !== lines.length) {
      throw new SessionCorruptError(name, `transcript ${claudeSessionId}`, 'has chunks that do not line up', {
        location: `s3://${this.objects.bucket}/${folder}`,
      });
    }
    manifest.uuids = lines.flatMap((e) => digestOf(e) ?? []);
    return manifest;
  }

  private async loadLegacy(name: string, claudeSessionId: string, folder: string): Promise<unknown[] | null> {
    const chunks = await this.legacyChunks(folder);
    if (chunks.length === 0) return null;
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
      this.objects.getText(c.key, 'loadTranscript'),
    );
    const lines = new Array<unknown>(covered);
    texts.forEach((t, i) => {
      const chunk = chunks[i] as LegacyChunk;
      const chunkLines = (t?.text ?? '').split('\n').filter((l) => l !== '');
      if (chunkLines.length !== chunk.end - chunk.from) {
        throw new SessionCorruptError(
          name,
          `transcript ${claudeSessionId}`,
          `chunk ${chunk.key} is incomplete`,
          {
            location,
          },
        );
      }
      chunkLines.forEach((line, j) => {
        lines[chunk.from + j] = parseLine(line, name, claudeSessionId, location);
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

  private async legacyChunks(folder: string): Promise<LegacyChunk[]> {
    const keys = await this.objects.listAllKeys(folder, 'loadTranscript');
    return keys
      .flatMap((key) => {
        const match = LEGACY_CHUNK.exec(key.slice(folder.length));
        return match === null ? [] : [{ key, from: Number(match[1]), end: Number(match[2]) }];
      })
      .sort((a, b) => a.from - b.from || b.end - a.end);
  }
}

function digestOf(entry: unknown): string | undefined {
  const uuid = transcriptEntryUuid(entry);
  return uuid === undefined ? undefined : uuidDigest(uuid);
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
