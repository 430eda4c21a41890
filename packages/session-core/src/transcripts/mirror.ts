/**
 * Mirroring the CLI's local transcripts into a storage with the transcript capability, and restoring them
 * from it. Incremental: per (session name, Claude id) it remembers how many lines, and up to which byte of
 * the local file, are stored, so a turn reads and sends only the lines it added.
 */
import { stat } from 'node:fs/promises';
import { ChannelCoderError, TranscriptError } from '../errors.js';
import type { WriteOptions } from '../lease.js';
import type { SessionStorage, TranscriptStorage } from '../storage.js';
import {
  findLocalTranscript,
  readTranscriptLines,
  type TranscriptLocation,
  transcriptEnd,
  transcriptPathFor,
  writeTranscriptAtomically,
} from './local-transcript.js';

/** What one mirror call moved. */
export interface MirrorReport {
  /** False when there is no local transcript for the id (nothing to mirror, e.g. a remote runner). */
  found: boolean;
  /** Lines sent to the storage (0 when the transcript had nothing new). */
  lines: number;
  /** Line number (0-based) the sent lines start at. */
  fromLine: number;
  /** Bytes of JSON sent (the UTF-8 size of the sent entries' `JSON.stringify` text). */
  bytes: number;
}

/** Where a resume's transcript may be stored: the session's own name, then (for a fork) its parent's. */
export interface RestoreSource {
  name: string;
  claudeSessionId: string;
}

/** The storage's transcript methods, or `undefined` when it has no transcript capability. */
export function transcriptCapability(storage: SessionStorage): TranscriptStorage | undefined {
  if (typeof storage.appendTranscript !== 'function' || typeof storage.loadTranscript !== 'function') {
    return undefined;
  }
  return {
    appendTranscript: storage.appendTranscript.bind(storage),
    loadTranscript: storage.loadTranscript.bind(storage),
  };
}

export class TranscriptMirror {
  /** Known stored position per `name \0 id`; a missing byte offset means "find it by counting lines". */
  private readonly positions = new Map<string, { line: number; byte?: number }>();

  constructor(private readonly storage: TranscriptStorage) {}

  /** A mirror for the storage, or `undefined` when it cannot keep transcripts. */
  static for(storage: SessionStorage): TranscriptMirror | undefined {
    const capability = transcriptCapability(storage);
    return capability === undefined ? undefined : new TranscriptMirror(capability);
  }

  /**
   * Sends the lines of the local transcript of `claudeSessionId` that the storage does not have yet, as
   * lines of session `name`. The first call for a pair asks the storage how many lines it has.
   *
   * @throws TranscriptError (operation `mirror` or `read`) with the storage's or file system's error as cause.
   */
  async mirror(
    name: string,
    claudeSessionId: string,
    location: TranscriptLocation,
    write?: WriteOptions,
  ): Promise<MirrorReport> {
    const key = `${name}\u0000${claudeSessionId}`;
    let path: string | undefined;
    try {
      path = await findLocalTranscript(location, claudeSessionId);
    } catch (err) {
      throw new TranscriptError('read', claudeSessionId, 'Could not look for the local transcript', {
        cause: err,
      });
    }
    if (path === undefined) return { found: false, lines: 0, fromLine: 0, bytes: 0 };

    let known = this.positions.get(key);
    if (known === undefined) {
      const stored = await this.guard('mirror', claudeSessionId, name, () =>
        this.storage.loadTranscript(name, claudeSessionId),
      );
      known = { line: stored?.length ?? 0 };
    }
    if (known.byte !== undefined && (await fileSize(path, claudeSessionId)) < known.byte) {
      known = { line: known.line }; // the file was replaced (e.g. restored): count lines again
    }
    const slice = await readTranscriptLines(path, claudeSessionId, known);
    let bytes = 0;
    if (slice.entries.length > 0) {
      for (const entry of slice.entries) bytes += Buffer.byteLength(JSON.stringify(entry), 'utf8');
      const fromLine = known.line;
      await this.guard('mirror', claudeSessionId, name, () =>
        write?.lease === undefined
          ? this.storage.appendTranscript(name, claudeSessionId, slice.entries, fromLine)
          : this.storage.appendTranscript(name, claudeSessionId, slice.entries, fromLine, write),
      );
    }
    this.positions.set(key, slice.end);
    return { found: true, lines: slice.entries.length, fromLine: known.line, bytes };
  }

  /**
   * Forgets what this mirror knows about the stored transcripts of session `name` (another process may
   * have appended to them): the next mirror or restore asks the storage again.
   */
  forget(name: string): void {
    for (const key of [...this.positions.keys()])
      if (key.startsWith(`${name}\u0000`)) this.positions.delete(key);
  }

  /**
   * Makes sure the CLI resumes `claudeSessionId` from a transcript at least as complete as the stored one:
   * when no folder under `<configDir>/projects/` has it, the first source that stores it is written into
   * the cwd's folder; when the local one has fewer lines than the stored one (another machine continued
   * the conversation since), it is replaced by the stored one. A transcript this mirror already tracks for
   * `ownName` is taken as current without asking the storage. Resolves true when it wrote one.
   *
   * @throws TranscriptError (operation `restore`) when the storage or the local write fails.
   */
  async restore(
    sources: readonly RestoreSource[],
    location: TranscriptLocation,
    ownName?: string,
  ): Promise<boolean> {
    const wanted = sources[0]?.claudeSessionId;
    if (wanted === undefined) return false;
    const ownKey = ownName === undefined ? undefined : `${ownName}\u0000${wanted}`;
    let existing: string | undefined;
    try {
      existing = await findLocalTranscript(location, wanted);
      if (existing !== undefined && ownKey !== undefined && this.positions.has(ownKey)) return false;
      for (const source of sources) {
        const lines = await this.guard('restore', source.claudeSessionId, source.name, () =>
          this.storage.loadTranscript(source.name, source.claudeSessionId),
        );
        if (lines === null || lines.length === 0) continue;
        const own = source.name === ownName ? `${source.name}\u0000${source.claudeSessionId}` : undefined;
        const local = existing === undefined ? undefined : await transcriptEnd(existing, wanted);
        if (local !== undefined && local.line >= lines.length) {
          // Local is current (or ahead: its extra lines are mirrored after the turn). When it holds exactly
          // the stored lines, the next mirror reads on from its end instead of counting its lines again.
          if (own !== undefined)
            this.positions.set(own, local.line === lines.length ? local : { line: lines.length });
          return false;
        }
        const path = existing ?? transcriptPathFor(location, source.claudeSessionId);
        const end = await writeTranscriptAtomically(path, lines);
        if (own !== undefined) this.positions.set(own, end);
        return true;
      }
      return false;
    } catch (err) {
      if (TranscriptError.is(err)) throw err;
      throw new TranscriptError('restore', wanted, 'Could not restore the local transcript', { cause: err });
    }
  }

  private async guard<T>(
    operation: 'mirror' | 'restore',
    claudeSessionId: string,
    name: string,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (TranscriptError.is(err)) throw err;
      const what = operation === 'mirror' ? 'store' : 'load';
      const detail = ChannelCoderError.is(err) ? ` (${err.code})` : '';
      throw new TranscriptError(
        operation,
        claudeSessionId,
        `Could not ${what} the transcript of Claude session ${claudeSessionId} for session "${name}"${detail}`,
        { cause: err },
      );
    }
  }
}

async function fileSize(path: string, claudeSessionId: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    throw new TranscriptError('read', claudeSessionId, `Could not read ${path}`, { cause: err });
  }
}
