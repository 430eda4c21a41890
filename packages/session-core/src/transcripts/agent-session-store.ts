/**
 * `toAgentSessionStore(storage)`: any storage with the transcript capability as the Claude Agent SDK's
 * `sessionStore` (its `SessionStore` contract: `append`, `load`, `listSessions`, `delete`, `listSubkeys`).
 *
 * Layout: one stored session per (projectKey, sessionId), named
 * `<namePrefix><sha256(projectKey) 20 hex>-<sha256(sessionId) 20 hex>` (valid for every adapter, whatever
 * the keys contain). Its `sessionChain` lists the transcripts it holds: the main one as `main`, each
 * subpath as `sub.<base64url of the subpath>` (listed so `session export` carries them). Its
 * `currentSessionId` (the SDK's sessionId) is set by the first main-transcript append, and its
 * `lastActive` (the `mtime` of `listSessions`, to the second: see `MTIME_RESOLUTION_MS`) moves on
 * main-transcript appends only, so a session that only has subagent transcripts is not listed.
 *
 * Entries are appended with the storage's `dedupe: 'uuid'` mode when it has one: concurrent appenders
 * (other bridges, other processes) each get every entry stored exactly once, in their own order, and a
 * retried or re-imported batch is a no-op.
 */
import { createHash } from 'node:crypto';
import { CapabilityError, SessionConflictError, SessionNotFoundError } from '../errors.js';
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
  /**
   * Appends entries to the key's transcript, after those already stored (order preserved). An entry whose
   * `uuid` is already stored for the key is skipped (retries and re-imports are no-ops). An empty batch
   * stores nothing.
   */
  append(key: AgentSessionKey, entries: AgentSessionEntry[]): Promise<void>;
  /** Every entry stored for the key, in append order; `null` when nothing is stored for it. */
  load(key: AgentSessionKey): Promise<AgentSessionEntry[] | null>;
  /**
   * The project's sessions that have a main transcript, with the time of its last append (`mtime`, epoch
   * milliseconds). Subagent-only sessions are not listed.
   */
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

/**
 * Wraps a storage as the Agent SDK's `sessionStore`. Appends to one session are serialized within this
 * bridge; writers elsewhere (other bridges, other processes) are safe when the storage honours
 * `dedupe: 'uuid'` appends (every `@channelcoder/storage-*` adapter does). With a storage that only has
 * positional appends, one process should append to a given session at a time.
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
/** Longest chain entry used directly as a transcript id; longer subpaths are stored under a digest id. */
const MAX_DIRECT_ID = 96;
/**
 * `mtime` is kept to this resolution: a main-transcript append saves the head only when the stored
 * `lastActive` is at least this old, so a burst of appends costs one head write per second, not one each.
 */
export const MTIME_RESOLUTION_MS = 1000;
/** Head saves that lost to another writer are retried this many times (with a short random pause). */
const SAVE_ATTEMPTS = 40;

/** The chain entry of a key: `main`, or `sub.` + the subpath in base64url (any length). */
function chainEntry(key: AgentSessionKey): string {
  if (key.subpath === undefined || key.subpath === '') return MAIN_TRANSCRIPT;
  return `${SUBPATH_PREFIX}${Buffer.from(key.subpath, 'utf8').toString('base64url')}`;
}

/**
 * The transcript id of a chain entry, in the characters every adapter accepts (`[A-Za-z0-9._-]`) and
 * short enough for each: the entry itself, or `subh.<sha256 hex>` for a long subpath.
 */
function transcriptIdOf(entry: string): string {
  if (entry.length <= MAX_DIRECT_ID) return entry;
  return `subh.${createHash('sha256').update(entry, 'utf8').digest('hex')}`;
}

function subpathOf(entry: string): string | undefined {
  if (!entry.startsWith(SUBPATH_PREFIX)) return undefined;
  return Buffer.from(entry.slice(SUBPATH_PREFIX.length), 'base64url').toString('utf8');
}

class AgentSessionStoreBridge implements AgentSessionStore {
  /** The last state this bridge saved or loaded per name (saves start from it; a conflict reloads). */
  private readonly cache = new Map<string, SessionState>();
  /** Line counts for positional appends (storages without `dedupe: 'uuid'`). */
  private readonly counts = new Map<string, number>();
  private readonly queues = new Map<string, SerialQueue>();
  private readonly byUuid: boolean;
  readonly delete?: (key: AgentSessionKey) => Promise<void>;

  constructor(
    private readonly storage: SessionStorage,
    private readonly transcripts: TranscriptStorage,
    private readonly prefix: string,
  ) {
    this.byUuid = storage.transcriptAppendModes?.includes('uuid') === true;
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
      const entry = chainEntry(key);
      const id = transcriptIdOf(entry);
      // The head first: the session must exist before its transcript, and it records the transcript.
      await this.updateHead(name, key.sessionId, entry);
      if (this.byUuid) {
        await this.transcripts.appendTranscript(name, id, entries, 0, { dedupe: 'uuid' });
        return;
      }
      const countKey = `${name}\u0000${id}`;
      const count =
        this.counts.get(countKey) ?? (await this.transcripts.loadTranscript(name, id))?.length ?? 0;
      this.counts.delete(countKey);
      await this.transcripts.appendTranscript(name, id, entries, count);
      this.counts.set(countKey, count + entries.length);
    });
  }

  /**
   * Records the transcript in the session's chain and, for the main transcript, sets `currentSessionId`
   * and moves `lastActive` (never backwards). Saves only when something changes; a save that loses to
   * another writer reloads and tries again.
   */
  private async updateHead(name: string, sessionId: string, entry: string): Promise<void> {
    const main = entry === MAIN_TRANSCRIPT;
    for (let attempt = 1; ; attempt++) {
      const state = this.cache.get(name) ?? (await this.loadState(name)) ?? newState(name);
      let changed = state.revision === 0;
      if (!state.sessionChain.includes(entry)) {
        state.sessionChain.push(entry);
        changed = true;
      }
      const now = Date.now();
      if (
        main &&
        (state.currentSessionId !== sessionId ||
          now - state.metadata.lastActive.getTime() >= MTIME_RESOLUTION_MS)
      ) {
        state.currentSessionId = sessionId;
        state.metadata.lastActive = new Date(Math.max(now, state.metadata.lastActive.getTime()));
        changed = true;
      }
      if (!changed) {
        this.cache.set(name, state);
        return;
      }
      try {
        await this.storage.save(state, name);
        this.cache.set(name, state);
        return;
      } catch (err) {
        this.cache.delete(name);
        if (!SessionConflictError.is(err) || attempt >= SAVE_ATTEMPTS) throw err;
        await pause(attempt);
      }
    }
  }

  async load(key: AgentSessionKey): Promise<AgentSessionEntry[] | null> {
    const name = this.nameOf(key);
    return this.serial(name, async () => {
      const lines = await this.transcripts.loadTranscript(name, transcriptIdOf(chainEntry(key)));
      return lines === null ? null : (lines as AgentSessionEntry[]);
    });
  }

  async listSessions(projectKey: string): Promise<Array<{ sessionId: string; mtime: number }>> {
    const infos = await this.storage.list({ prefix: this.projectPrefix(projectKey) });
    const out: Array<{ sessionId: string; mtime: number }> = [];
    for (const info of infos) {
      // No currentSessionId: nothing was appended to the main transcript (a subagent-only session).
      if (info.error !== undefined || info.currentSessionId === undefined) continue;
      out.push({ sessionId: info.currentSessionId, mtime: info.lastActive.getTime() });
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
      for (const k of this.counts.keys()) if (k.startsWith(`${name}\u0000`)) this.counts.delete(k);
      const remove = this.storage.remove?.bind(this.storage);
      if (remove === undefined) return;
      const dropped = chainEntry(key);
      if (dropped === MAIN_TRANSCRIPT) {
        await remove(name);
        return;
      }
      // The storage removes transcripts only with their session: keep the others, store the session anew.
      const state = await this.loadState(name);
      if (state === undefined || !state.sessionChain.includes(dropped)) return;
      const kept = new Map<string, unknown[]>();
      for (const entry of state.sessionChain) {
        if (entry === dropped) continue;
        const lines = await this.transcripts.loadTranscript(name, transcriptIdOf(entry));
        if (lines !== null) kept.set(transcriptIdOf(entry), lines);
      }
      await remove(name);
      state.revision = 0;
      state.sessionChain = state.sessionChain.filter((entry) => entry !== dropped);
      await this.storage.save(state, name);
      for (const [id, lines] of kept)
        await this.transcripts.appendTranscript(name, id, lines, 0, this.byUuid ? { dedupe: 'uuid' } : {});
    });
  }
}

function newState(name: string): SessionState {
  return createSessionState({ name, tags: ['agent-sdk'] });
}

function pause(attempt: number): Promise<void> {
  const ms = Math.min(50, 2 * attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}
