/**
 * What `session()` does with transcripts around a turn, kept out of the session object: restore before a
 * resume, mirror after a save, and the `transcriptError` flag on the stored session.
 */
import { TranscriptError } from '../errors.js';
import type { WriteOptions } from '../lease.js';
import type { RunOptions } from '../runner/types.js';
import type { SessionState } from '../state.js';
import type { SessionStorage } from '../storage.js';
import { transcriptLocation } from './local-transcript.js';
import { type MirrorReport, type RestoreSource, TranscriptMirror } from './mirror.js';

/** Listener of a session's `error` event. */
export type SessionErrorListener = (error: TranscriptError) => void;

export class SessionTranscripts {
  private readonly mirror: TranscriptMirror | undefined;
  private readonly listeners = new Set<SessionErrorListener>();

  constructor(storage: SessionStorage) {
    this.mirror = TranscriptMirror.for(storage);
  }

  on(listener: SessionErrorListener): void {
    this.listeners.add(listener);
  }

  off(listener: SessionErrorListener): void {
    this.listeners.delete(listener);
  }

  /**
   * Before a turn that resumes (`options.resume`, a fork's first turn included): restores a missing local
   * transcript from the storage (the session's own name, then the fork parent's).
   *
   * @throws TranscriptError when the storage or the local write fails; the turn must not run then.
   */
  async beforeTurn(state: SessionState, options: RunOptions, storedName: string | undefined): Promise<void> {
    const id = options.resume;
    if (this.mirror === undefined || id === undefined) return;
    const sources: RestoreSource[] = [];
    const own = storedName ?? state.metadata.name;
    if (own !== undefined) sources.push({ name: own, claudeSessionId: id });
    const parent = state.metadata.parent;
    if (parent !== undefined && parent.sessionId === id && parent.name !== own) {
      sources.push({ name: parent.name, claudeSessionId: id });
    }
    if (sources.length === 0) return;
    await this.mirror.restore(sources, transcriptLocation(options), own);
  }

  /**
   * After the session was saved under `storedName`: mirrors the new lines of the current conversation's
   * transcript, and keeps `metadata.transcriptError` in step (set on failure, cleared on the next success),
   * saving again through `save` only when the flag changes. A failure goes to the `error` listeners, or,
   * when there are none, is thrown (after the flag was saved).
   *
   * @throws TranscriptError as above; the storage's own error when saving the flag fails.
   */
  async afterSave(
    state: SessionState,
    storedName: string,
    options: Pick<RunOptions, 'env' | 'cwd'>,
    save: () => Promise<void>,
    write?: WriteOptions,
  ): Promise<MirrorReport | undefined> {
    const id = state.currentSessionId;
    if (this.mirror === undefined || id === undefined || id === '') return undefined;
    let report: MirrorReport;
    try {
      report = await this.mirror.mirror(storedName, id, transcriptLocation(options), write);
    } catch (err) {
      if (!TranscriptError.is(err)) throw err;
      state.metadata.transcriptError = err.message;
      await save();
      this.report(err);
      return undefined;
    }
    if (state.metadata.transcriptError !== undefined) {
      delete state.metadata.transcriptError;
      await save();
    }
    return report;
  }

  /** Another process wrote session `name` since this object last did: ask the storage again. */
  forget(name: string): void {
    this.mirror?.forget(name);
  }

  private report(error: TranscriptError): void {
    if (this.listeners.size === 0) throw error;
    for (const listener of [...this.listeners]) listener(error);
  }
}
