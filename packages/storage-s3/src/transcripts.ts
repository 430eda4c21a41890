/**
 * The transcript capability: the CLI's JSONL lines of one Claude session id, stored next to the session as
 * chunks that each hold a contiguous range of lines:
 *
 *   <p>sessions/<name>/transcripts/<claude session id>/<first line, 10 digits>-<end line, 10 digits>.jsonl
 *
 * An append uploads only the lines past what is stored (one chunk), so a turn costs O(new lines). Chunk keys
 * list in line order; a load reads them all (one LIST page per 1,000 chunks, GETs in parallel).
 */
import { InvalidArgumentError, SessionCorruptError, SessionNotFoundError } from '@channelcoder/session-core';
import { newTranscriptLines } from '@channelcoder/session-core/storage-kit';
import { mapBounded } from './bounded-parallel.js';
import type { KeyLayout } from './keys.js';
import type { ObjectStore } from './object-store.js';

const CLAUDE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const CHUNK = /^(\d{10})-(\d{10})\.jsonl$/;
const PARALLEL_READS = 8;

interface Chunk {
  key: string;
  from: number;
  end: number;
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
  ): Promise<void> {
    const folder = this.folder(name, claudeSessionId);
    if (!Array.isArray(entries))
      throw new InvalidArgumentError('appendTranscript(): entries must be an array');
    if (!(await this.objects.exists(this.keys.headKey(name), 'appendTranscript'))) {
      throw new SessionNotFoundError(name, { where: `s3://${this.objects.bucket}/${this.keys.prefix}` });
    }
    // A create-only PUT that loses to a concurrent append of the same range is retried against the new end.
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = storedLength(await this.chunks(folder));
      const fresh = newTranscriptLines(name, stored, entries, fromLine);
      if (fresh.length === 0) return; // every line is stored already
      const text = fresh.map((e) => `${JSON.stringify(e)}\n`).join('');
      const key = `${folder}${pad(stored)}-${pad(stored + fresh.length)}.jsonl`;
      const put = await this.objects.put(key, text, 'application/x-ndjson', 'appendTranscript', {
        ifNoneMatch: '*',
      });
      if (put !== 'precondition-failed') return;
    }
    throw new InvalidArgumentError(
      `appendTranscript("${name}"): other writers kept appending to the same lines`,
    );
  }

  /** All stored lines in order, or `null` when none are stored for that id. */
  async load(name: string, claudeSessionId: string): Promise<unknown[] | null> {
    const chunks = await this.chunks(this.folder(name, claudeSessionId));
    if (chunks.length === 0) return null;
    const location = `s3://${this.objects.bucket}/${this.folder(name, claudeSessionId)}`;
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
    // Chunks of racing appenders may overlap; overlapping lines are the same lines (the capability's contract).
    const lines = new Array<unknown>(covered);
    texts.forEach((t, i) => {
      const chunk = chunks[i] as Chunk;
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
    return `${this.keys.sessionFolder(name)}transcripts/${claudeSessionId}/`;
  }

  private async chunks(folder: string): Promise<Chunk[]> {
    const keys = await this.objects.listAllKeys(folder, 'loadTranscript');
    return keys
      .flatMap((key) => {
        const match = CHUNK.exec(key.slice(folder.length));
        return match === null ? [] : [{ key, from: Number(match[1]), end: Number(match[2]) }];
      })
      .sort((a, b) => a.from - b.from);
  }
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

function storedLength(chunks: Chunk[]): number {
  return chunks.reduce((end, c) => Math.max(end, c.end), 0);
}

function pad(n: number): string {
  return String(n).padStart(10, '0');
}
