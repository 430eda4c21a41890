/**
 * Portable session documents: one JSON document that carries a session (and, when the storage keeps them,
 * its Claude transcripts) from any storage to any other.
 *
 * ```json
 * { "type": "channelcoder.session", "version": 1, "exportedAt": "2026-…Z", "name": "todo-app",
 *   "state": { …the stored wire format: formatVersion, chain, messages, metadata, usage… },
 *   "transcripts": { "<claude session id>": [ …JSONL entries… ] } }
 * ```
 * The state is core's wire format (`toWireState`), validated and upgraded by `deserializeState` on import.
 */
import {
  InvalidArgumentError,
  normalizeSessionName,
  SessionCorruptError,
  type SessionState,
  type SessionStorage,
  storageCapabilities,
} from '@channelcoder/session-core';
import { deserializeState, toWireState, type WireState } from '@channelcoder/session-core/storage-kit';

export const PORTABLE_SESSION_TYPE = 'channelcoder.session';
export const PORTABLE_SESSION_VERSION = 1;

export interface PortableSessionDocument {
  type: typeof PORTABLE_SESSION_TYPE;
  version: typeof PORTABLE_SESSION_VERSION;
  exportedAt: string;
  name: string;
  state: WireState;
  /** Transcript lines per Claude session id; present when the source storage keeps transcripts. */
  transcripts?: Record<string, unknown[]>;
}

/**
 * The portable document of a stored session.
 *
 * @throws SessionNotFoundError, SessionCorruptError, StorageUnavailableError from the storage.
 */
export async function exportSession(storage: SessionStorage, name: string): Promise<PortableSessionDocument> {
  const key = normalizeSessionName(name);
  const state = await storage.load(key);
  const doc: PortableSessionDocument = {
    type: PORTABLE_SESSION_TYPE,
    version: PORTABLE_SESSION_VERSION,
    exportedAt: new Date().toISOString(),
    name: key,
    state: toWireState(state),
  };
  if (typeof storage.loadTranscript === 'function') {
    const transcripts: Record<string, unknown[]> = {};
    for (const id of new Set(state.sessionChain)) {
      const lines = await storage.loadTranscript(key, id);
      if (lines !== null && lines.length > 0) transcripts[id] = lines;
    }
    if (Object.keys(transcripts).length > 0) doc.transcripts = transcripts;
  }
  return doc;
}

/** A validated document: the session state (revived, upgraded) and its transcripts. */
export interface PortableSession {
  name: string;
  state: SessionState;
  transcripts: Record<string, unknown[]>;
}

/**
 * Reads a document made by {@link exportSession} (text or parsed JSON).
 *
 * @throws InvalidArgumentError when it is not such a document; SessionCorruptError / UnsupportedFormatError
 *   (naming the field) when its state does not validate.
 */
export function readPortableSession(input: string | unknown, source = 'the document'): PortableSession {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new InvalidArgumentError(`${source} is not JSON: ${(err as Error).message}`);
    }
  }
  const doc = value as Partial<PortableSessionDocument> | null;
  if (typeof doc !== 'object' || doc === null || doc.type !== PORTABLE_SESSION_TYPE) {
    throw new InvalidArgumentError(
      `${source} is not a ChannelCoder session export (expected "type": "${PORTABLE_SESSION_TYPE}").`,
    );
  }
  if (doc.version !== PORTABLE_SESSION_VERSION) {
    throw new InvalidArgumentError(
      `${source} is an export of version ${String(doc.version)}; this channelcoder reads version ${PORTABLE_SESSION_VERSION}.`,
    );
  }
  const name = normalizeSessionName(doc.name);
  const state = deserializeState(doc.state, { name, location: source });
  const transcripts: Record<string, unknown[]> = {};
  if (doc.transcripts !== undefined) {
    if (typeof doc.transcripts !== 'object' || doc.transcripts === null) {
      throw new SessionCorruptError(name, 'transcripts', 'must be an object of arrays', { location: source });
    }
    for (const [id, lines] of Object.entries(doc.transcripts)) {
      if (!Array.isArray(lines)) {
        throw new SessionCorruptError(name, `transcripts.${id}`, 'must be an array', { location: source });
      }
      transcripts[id] = lines;
    }
  }
  return { name, state, transcripts };
}

export interface ImportOptions {
  /** Store under this name instead of the document's. */
  name?: string;
  /**
   * Replace a session stored under that name (default: refuse). On a storage with the trash capability the
   * stored one moves to the trash (reason `'replaced'`); otherwise it is overwritten.
   */
  force?: boolean;
}

export interface ImportResult {
  name: string;
  /** Transcripts the document carried but the target storage cannot keep (no transcript capability). */
  transcriptsSkipped: number;
}

/**
 * Stores a portable session. The stored copy starts a new revision history in the target storage; its
 * metadata name is the name it is stored under.
 *
 * @throws InvalidArgumentError when the name is taken and `force` is not set.
 */
export async function importSession(
  storage: SessionStorage,
  portable: PortableSession,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const name = normalizeSessionName(options.name ?? portable.name);
  const state = structuredClone(portable.state);
  state.metadata.name = name;
  state.revision = await revisionToReplace(storage, name, options.force === true);
  const stored = await storage.save(state, name);
  let skipped = 0;
  for (const [id, lines] of Object.entries(portable.transcripts)) {
    if (typeof storage.appendTranscript === 'function') await storage.appendTranscript(stored, id, lines, 0);
    else skipped++;
  }
  return { name: stored, transcriptsSkipped: skipped };
}

async function revisionToReplace(storage: SessionStorage, name: string, force: boolean): Promise<number> {
  const exists =
    typeof storage.exists === 'function'
      ? await storage.exists(name)
      : (await storage.list({ prefix: name })).some((info) => info.name === name);
  if (!exists) return 0;
  if (!force) {
    throw new InvalidArgumentError(
      `Session "${name}" already exists; import it under another name or replace it (force).`,
    );
  }
  // Replaced, never destroyed: on a storage with a trash the stored session (and its transcripts) goes there.
  if (storageCapabilities(storage).trash && typeof storage.moveToTrash === 'function') {
    await storage.moveToTrash(name, { reason: 'replaced' });
    return 0;
  }
  try {
    return (await storage.load(name)).revision;
  } catch (err) {
    // A corrupt entry can still be replaced: remove it, then store the import as a new session.
    if (!SessionCorruptError.is(err) || typeof storage.remove !== 'function') throw err;
    await storage.remove(name);
    return 0;
  }
}
