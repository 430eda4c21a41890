/**
 * `toAgentSessionStore(storage)`: any storage with the transcript capability as the Claude Agent SDK's
 * `sessionStore` (its `SessionStore` contract: `append`, `load`, `listSessions`, `delete`, `listSubkeys`).
 *
 * Layout: one stored session per (projectKey, sessionId), named
 * `<namePrefix><sha256(projectKey) 20 hex>-<sha256(sessionId) 20 hex>` (valid for every adapter, whatever
 * the keys contain). Its `currentSessionId` is the SDK's sessionId, `lastActive` the time of the last
 * append (the `mtime` of `listSessions`), and its `sessionChain` lists the transcripts it holds: the main
 * one as `main`, each subpath as `sub.<base64url of the subpath>` (ids every adapter accepts; listed in the
 * chain so `session export` carries them). Subpaths are limited to 140 UTF-8 bytes.
 */
import { createHash } from 'node:crypto';
import {
  CapabilityError,
  InvalidArgumentError,
  SessionConflictError,
  SessionNotFoundError,
} from '../errors.js';
import { SerialQueue } from '../session/serial-queue.js';
import { createSessionState, type SessionState } from '../state.js';
import { type SessionStorage, storageLabel, type TranscriptStorage } from '../storage.js';
import { transcriptCapability } from './mirror.js';

/** The SDK's key: a project (derived from the cwd), a session, and optionally a sub-transcript. */
export interface AgentSessionKey {
  projectKey: string;
  sessionId: string;
  /** E.g. `subagents/agent-1`: a transcript stored beside the session's main one. */
  subpath?: string;
}

/** One transcript entry (a JSONL line of the CLI's transcript, as an object). */
export type AgentSessionEntry = Record<string, unknown>;

/** The Claude Agent SDK's `SessionStore` contract, as this bridge implements it. */
export interface AgentSessionStore {
  /** Appends entries to the key's transcript, after those already stored (order preserved). */
  append(key: AgentSessionKey, entries: AgentSessionEntry[]): Promise<void>;
  /** Every entry stored for the key, in append order; `null` when nothing is stored for it. */
  load(key: AgentSessionKey): Promise<AgentSessionEntry[] | null>;
  /** The project's sessions with their last append time (`mtime`, epoch milliseconds). */
  listSessions(projectKey: string): Promise<Array<{ sessionId: string; mtime: number }>>;
  /** The subpaths stored beside a session's main transcript, sorted. */
  listSubkeys(key: { projectKey: string; sessionId: string }): Promise<string[]>;
  /**
   * Without `subpath`: removes the session with all its subpaths. With one: removes only that transcript.
   * Present only when the storage can remove sessions.
   */
  delete?(key: AgentSessionKey): Promise<void>;
}

export interface AgentSessionStoreOptions {
  /** Prefix of the stored session names (default `sdk-`); keeps SDK sessions apart from others. */
  namePrefix?: string;
}

interface Cached {
  state: SessionState;
  /** Stored line count per transcript id, once known. */
  counts: Map<string, number>;
}

/**
 * Wraps a storage as the Agent SDK's `sessionStore`. Appends to one session are serialized within this
 * bridge; concurrent writers in other processes are detected by the storage's revision check (the bridge
 * then reloads and retries once). One process should append to a given session at a time, as the SDK does.
 *
 * @throws CapabilityError when the storage has no transcript capability.
 */
export function toAgentSessionStore(
  storage: SessionStorage,
  options: AgentSessionStoreOptions = {},
): AgentSessionStore {
  const transcripts = transcriptCapability(storage);
  if (transcripts === undefined) throw new CapabilityError('appendTranscript', storageLabel(storage));
  return new AgentSessionStoreBridge(storage, transcripts, options.namePrefix ?? 'sdk-');
}

function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 20);
}

/** Transcript id of the main transcript: a stored session holds one SDK session, so it needs no id. */
const MAIN_TRANSCRIPT = 'main';
const SUBPATH_PREFIX = 'sub.';
/** Longest subpath (UTF-8 bytes) whose encoded id fits every adapter's id limits. */
const MAX_SUBPATH_BYTES = 140;

/**
 * The transcript id for a key, in the characters every adapter accepts (`[A-Za-z0-9._-]`): `main`, or
 * `sub.` + the subpath in base64url.
 */
function transcriptId(key: AgentSessionKey): string {
  if (key.subpath === undefined || key.subpath === '') return MAIN_TRANSCRIPT;
  const bytes = Buffer.from(key.subpath, 'utf8');
  if (bytes.length > MAX_SUBPATH_BYTES) {
    throw new InvalidArgumentError(
      `Agent session subpath is ${bytes.length} bytes long; at most ${MAX_SUBPATH_BYTES} are supported.`,
    );
  }
  return `${SUBPATH_PREFIX}${bytes.toString('base64url')}`;
}

function subpathOf(id: string): string | undefined {
  if (!id.startsWith(SUBPATH_PREFIX)) return undefined;
  return Buffer.from(id.slice(SUBPATH_PREFIX.length), 'base64url').toString('utf8');
}

class AgentSessionStoreBridge implements AgentSessionStore {
  private readonly cache = new Map<string, Cached>();
  private readonly queues = new Map<string, SerialQueue>();
  readonly delete?: (key: AgentSessionKey) => Promise<void>;

  constructor(
    private readonly storage: SessionStorage,
    private readonly transcripts: TranscriptStorage,
    private readonly prefix: string,
  ) {
    if (typeof storage.remove === 'function') this.delete = (key) => this.remove(key);
  }

  private projectPrefix(projectKey: string): string {
    return `${this.prefix}${digest(projectKey)}-`;
  }

  private nameOf(key: { projectKey: string; sessionId: string }): string {
    return `${this.projectPrefix(key.projectKey)}${digest(key.sessionId)}`;
  }

  private serial<T>(name: string, task: () => Promise<T>): Promise<T> {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new SerialQueue();
      this.queues.set(name, queue);
    }
    return queue.run(task);
  }

  append(key: AgentSessionKey, entries: AgentSessionEntry[]): Promise<void> {
    const name = this.nameOf(key);
    return this.serial(name, async () => {
      if (entries.length === 0) return;
      await this.appendOnce(name, key, entries, true);
    });
  }

  private async appendOnce(
    name: string,
    key: AgentSessionKey,
    entries: AgentSessionEntry[],
    retry: boolean,
  ): Promise<void> {
    const cached = await this.cached(name, key.sessionId);
    const id = transcriptId(key);
    let count = cached.counts.get(id);
    if (count === undefined) {
      count =
        cached.state.revision === 0 ? 0 : ((await this.transcripts.loadTranscript(name, id))?.length ?? 0);
    }
    const state = cached.state;
    const previous = state.metadata.lastActive.getTime();
    state.metadata.lastActive = new Date(Math.max(Date.now(), previous));
    if (!state.sessionChain.includes(id)) state.sessionChain.push(id);
    try {
      // Saved first: the session must exist before its transcript, and the revision check catches
      // another writer before any line is placed.
      await this.storage.save(state, name);
    } catch (err) {
      this.cache.delete(name);
      if (retry && SessionConflictError.is(err)) return this.appendOnce(name, key, entries, false);
      throw err;
    }
    await this.transcripts.appendTranscript(name, id, entries, count);
    cached.counts.set(id, count + entries.length);
  }

  private async cached(name: string, sessionId: string): Promise<Cached> {
    const hit = this.cache.get(name);
    if (hit !== undefined) return hit;
    let state: SessionState;
    try {
      state = await this.storage.load(name);
    } catch (err) {
      if (!SessionNotFoundError.is(err)) throw err;
      state = createSessionState({ name, tags: ['agent-sdk'] });
      state.currentSessionId = sessionId;
    }
    const entry: Cached = { state, counts: new Map() };
    this.cache.set(name, entry);
    return entry;
  }

  async load(key: AgentSessionKey): Promise<AgentSessionEntry[] | null> {
    const name = this.nameOf(key);
    return this.serial(name, async () => {
      const lines = await this.transcripts.loadTranscript(name, transcriptId(key));
      return lines === null ? null : (lines as AgentSessionEntry[]);
    });
  }

  async listSessions(projectKey: string): Promise<Array<{ sessionId: string; mtime: number }>> {
    const infos = await this.storage.list({ prefix: this.projectPrefix(projectKey) });
    const out: Array<{ sessionId: string; mtime: number }> = [];
    for (const info of infos) {
      if (info.error !== undefined) continue;
      const sessionId = info.currentSessionId ?? (await this.storage.load(info.name)).currentSessionId;
      if (sessionId !== undefined) out.push({ sessionId, mtime: info.lastActive.getTime() });
    }
    return out;
  }

  async listSubkeys(key: { projectKey: string; sessionId: string }): Promise<string[]> {
    const name = this.nameOf(key);
    return this.serial(name, async () => {
      // Read from the storage, not the cache: another process may have added a subpath.
      const state = await this.loadState(name);
      if (state === undefined) return [];
      return state.sessionChain
        .map(subpathOf)
        .filter((subpath): subpath is string => subpath !== undefined)
        .sort();
    });
  }

  private async loadState(name: string): Promise<SessionState | undefined> {
    try {
      return await this.storage.load(name);
    } catch (err) {
      if (SessionNotFoundError.is(err)) return undefined;
      throw err;
    }
  }

  private remove(key: AgentSessionKey): Promise<void> {
    const name = this.nameOf(key);
    return this.serial(name, async () => {
      this.cache.delete(name);
      const remove = this.storage.remove?.bind(this.storage);
      if (remove === undefined) return;
      const dropped = transcriptId(key);
      if (dropped === MAIN_TRANSCRIPT) {
        await remove(name);
        return;
      }
      // The storage removes transcripts only with their session: keep the others, store the session anew.
      const state = await this.loadState(name);
      if (state === undefined || !state.sessionChain.includes(dropped)) return;
      const kept = new Map<string, unknown[]>();
      for (const id of state.sessionChain) {
        if (id === dropped) continue;
        const lines = await this.transcripts.loadTranscript(name, id);
        if (lines !== null) kept.set(id, lines);
      }
      await remove(name);
      state.revision = 0;
      state.sessionChain = state.sessionChain.filter((id) => id !== dropped);
      await this.storage.save(state, name);
      for (const [id, lines] of kept) await this.transcripts.appendTranscript(name, id, lines, 0);
    });
  }
}
