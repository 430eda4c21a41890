/**
 * The storage contract every adapter implements. `save`, `load` and `list` are required; the rest are
 * optional capabilities detected at run time, so a storage written against the seed documentation (only
 * save/load/list, no revision handling) still works with `session()`.
 */
import { CapabilityError } from './errors.js';
import type { LeaseOptions, SessionLease, WriteOptions } from './lease.js';
import type { SessionState } from './state.js';

export interface ListOptions {
  /** At most this many entries; no limit returns everything. */
  limit?: number;
  /** The `cursor` of the last entry of the previous page. */
  cursor?: string;
  /** Only names starting with this text (taken literally: no glob or LIKE meaning). */
  prefix?: string;
  /**
   * Only sessions whose `metadata.cwd` maps to this Claude Code project folder name
   * (`projectFolderName(cwd)`, the `<folder>` of `~/.claude/projects/<folder>`, which the Agent SDK calls
   * `projectKey`), or that have no cwd and this `metadata.projectKey` (see `sessionProjectKey`); sessions
   * with neither match none. ANDed with the other options, in the same order and
   * with the same cursors. Honoured by storages whose `listFilters` includes `'projectKey'` (they keep a
   * per-project index, so other projects' sessions are not read); others ignore it.
   */
  projectKey?: string;
}

/** A `ListOptions` filter a storage can declare in `SessionStorage.listFilters`. */
export type ListFilter = 'projectKey';

export interface SessionInfo {
  name: string;
  /** Where the session lives in the backend: a file path, key, object key or row id. */
  path: string;
  created: Date;
  lastActive: Date;
  messageCount: number;
  currentSessionId?: string;
  totalCostUsd?: number;
  tags?: string[];
  /** Set when the session's last transcript mirror failed (`metadata.transcriptError`). */
  transcriptError?: string;
  /**
   * Opaque; pass the last entry's cursor as `ListOptions.cursor` for the next page. A storage that does not
   * page (one written like the session guide: `list()` returns everything) leaves it out; `session.list()`
   * then orders, filters and pages that full listing itself and fills the cursor in.
   */
  cursor?: string;
  /** Set for an entry whose stored data does not validate; the other fields are best effort. */
  error?: string;
}

/** How `appendTranscript` places entries (see {@link TranscriptAppendOptions.dedupe}). */
export type TranscriptAppendMode = 'uuid';

/** Options of `appendTranscript`: a lease fence, and how entries are placed. */
export interface TranscriptAppendOptions extends WriteOptions {
  /**
   * `'uuid'`: the entries go after whatever is stored (`fromLine` only has to be a whole number ≥ 0), and
   * an entry whose string `uuid` field is already stored in this transcript, or earlier in the same batch,
   * is skipped; entries without a string `uuid` are always appended. So concurrent appenders each get
   * every entry stored exactly once, each in its own order, and a retried or re-imported batch changes
   * nothing. Only storages whose `transcriptAppendModes` lists `'uuid'` honour it.
   */
  dedupe?: TranscriptAppendMode;
}

/** The optional transcript capability (portable sessions): the CLI's JSONL lines, stored with the session. */
export interface TranscriptStorage {
  /**
   * Stores `entries` as lines `fromLine`, `fromLine + 1`, … of the transcript of `claudeSessionId`.
   * Re-appending a range already stored is a no-op for the overlapping lines. With
   * `options.dedupe: 'uuid'` the entries are placed by their identity instead (see
   * {@link TranscriptAppendOptions}).
   */
  appendTranscript(
    name: string,
    claudeSessionId: string,
    entries: readonly unknown[],
    fromLine: number,
    options?: TranscriptAppendOptions,
  ): Promise<void>;
  /** All stored lines in order, or `null` when none are stored for that id. */
  loadTranscript(name: string, claudeSessionId: string): Promise<unknown[] | null>;
}

/** Options of the optional `search` capability (DESIGN 13). */
export interface SearchOptions {
  /** At most this many sessions (default: all that match). */
  limit?: number;
  /** Only sessions whose name starts with this text. */
  prefix?: string;
  /** Only sessions carrying every one of these tags. */
  tags?: string[];
}

/** One matching piece of a session: where it is, and an excerpt with the match located. */
export interface SearchSnippet {
  /** What matched: a stored prompt or answer, or a transcript entry (thinking, tool call, tool result). */
  source: 'prompt' | 'answer' | 'thinking' | 'tool_call' | 'tool_result';
  /** An excerpt of the matching text (whitespace runs collapsed), at most about 160 characters. */
  text: string;
  /** Where the match is inside `text`: `text.slice(matchStart, matchEnd)` is the matched query. */
  matchStart: number;
  matchEnd: number;
}

/** A session that matched: its listing entry and the matching snippets (in conversation order). */
export interface SearchResult extends SessionInfo {
  snippets: SearchSnippet[];
}

/** Why a session went to the trash: `remove` asked for it, or another session was saved under its name. */
export type TrashReason = 'removed' | 'replaced';

/** One trashed session (see {@link SessionStorage.moveToTrash}). */
export interface TrashEntry {
  /** Unique per trashing, opaque ([A-Za-z0-9._-]); restores or purges one entry. */
  id: string;
  /** The name the session had. */
  name: string;
  trashedAt: Date;
  /** When purgeTrash may delete it. */
  expiresAt: Date;
  reason: TrashReason;
  /** The session's listing entry as it was when trashed (same shape as list()). */
  session: SessionInfo;
}

/** Options of `moveToTrash`: the lease fence of a write, why, and how long the entry is kept. */
export interface TrashOptions extends WriteOptions {
  /** Default `'removed'`. */
  reason?: TrashReason;
  /** How long the entry is kept (listed and restorable) before `purgeTrash` may delete it; default 30 days. */
  retentionMs?: number;
}

/** Options of `listTrash`. */
export interface TrashListOptions {
  /** Only entries of sessions that had this name. */
  name?: string;
  /** At most this many entries. */
  limit?: number;
}

/** Options of `restoreFromTrash`. */
export interface TrashRestoreOptions {
  /** Restore under this name instead of the one the session had. */
  name?: string;
}

/** Options of `purgeTrash`. */
export interface TrashPurgeOptions {
  /** Delete this entry (expired or not). */
  id?: string;
  /** Delete every entry, expired or not. */
  all?: boolean;
}

/** A lease as seen by {@link SessionStorage.peekLease}: who holds it, its fencing token, until when. */
export interface LeaseInfo {
  holder: string;
  token: number;
  expiresAt: Date;
}

/** Options of {@link SessionStorage.deleteTranscript}: the lease fence of a write. */
export type DeleteTranscriptOptions = WriteOptions;

export interface SessionStorage {
  /**
   * Stores the state and returns the name it stored under (the given name, else `metadata.name`, else a
   * generated one written back into `metadata.name`). Succeeds only if the stored revision equals
   * `state.revision` (or nothing is stored and it is 0); then both become `state.revision + 1`.
   *
   * With `options.lease`, the write happens only while that lease is the session's current one (checked
   * atomically with the write).
   *
   * @throws SessionConflictError when another writer saved first; InvalidSessionNameError;
   *   LeaseLostError when the given lease expired or was taken (nothing written).
   */
  save(state: SessionState, name?: string, options?: WriteOptions): Promise<string>;
  /** @throws SessionNotFoundError when absent; SessionCorruptError; UnsupportedFormatError. */
  load(name: string): Promise<SessionState>;
  /** Metadata only, newest `lastActive` first (ties by name); corrupt entries carry `error`. */
  list(options?: ListOptions): Promise<SessionInfo[]>;
  /** Idempotent; resolves true when something was removed. */
  remove?(name: string): Promise<boolean>;
  exists?(name: string): Promise<boolean>;
  /** Releases what the storage opened itself (never a client the caller passed in). */
  close?(): Promise<void>;
  appendTranscript?: TranscriptStorage['appendTranscript'];
  loadTranscript?: TranscriptStorage['loadTranscript'];
  /** The `TranscriptAppendOptions.dedupe` modes `appendTranscript` honours (absent: positional appends only). */
  readonly transcriptAppendModes?: readonly TranscriptAppendMode[];
  /** The `ListOptions` filters `list` honours from an index (absent: `prefix`, `limit` and `cursor` only). */
  readonly listFilters?: readonly ListFilter[];
  /**
   * Takes the session's exclusive lease (DESIGN 10); optional capability. Never blocks load, list or exists.
   * @throws SessionBusyError when another holder keeps it past `options.waitMs`.
   */
  lease?(name: string, options?: LeaseOptions): Promise<SessionLease>;
  /**
   * Full-text search over stored messages and stored transcripts (DESIGN 13); optional capability. The
   * query matches case-insensitively as one literal phrase. Results are newest `lastActive` first, with the
   * same sessions and snippets as the scan in core (`searchByScan`) would find.
   */
  search?(query: string, options?: SearchOptions): Promise<SearchResult[]>;
  /**
   * Trash (optional capability, all four methods or none): moves the session (state and every transcript)
   * into the trash in one step: afterwards load/list/exists/loadTranscript no longer see it, and the name
   * is free for a new session (revision 0). Resolves undefined when nothing is stored under the name.
   * Honours `options.lease` like save.
   * @throws InvalidSessionNameError; LeaseLostError when the given lease expired or was taken (nothing moved).
   */
  moveToTrash?(name: string, options?: TrashOptions): Promise<TrashEntry | undefined>;
  /** Trash entries, newest trashedAt first (ties by id); expired entries are not listed. */
  listTrash?(options?: TrashListOptions): Promise<TrashEntry[]>;
  /**
   * Puts the entry's state and transcripts back under its name (or `options.name`) with its revision, and
   * removes the entry; returns the name. The stored `metadata.name` may still be the old name (session-core
   * takes the name it loads under).
   * @throws SessionNotFoundError when no such (unexpired) entry; SessionConflictError with reason
   *   'name-taken' when a session is stored under the target name (nothing changed).
   */
  restoreFromTrash?(id: string, options?: TrashRestoreOptions): Promise<string>;
  /**
   * Deletes entries for good: the one with `options.id`, else every expired one (`options.all`: every one).
   * Returns how many.
   */
  purgeTrash?(options?: TrashPurgeOptions): Promise<number>;
  /**
   * The stored revision of the session, or `null` when nothing is stored under the name; optional
   * capability. Reads one small value (never the messages), so `session()` can tell cheaply whether another
   * writer saved since it last loaded. Equals `load(name).revision` whenever both read the same write.
   */
  readRevision?(name: string): Promise<number | null>;
  /**
   * The session's current unexpired lease, or `null` when none is held (never takes or extends it);
   * optional capability, present on storages that have `lease`. Lets a viewer show "busy" for a turn
   * running in another process.
   */
  peekLease?(name: string): Promise<LeaseInfo | null>;
  /**
   * Deletes every stored line of one transcript (`claudeSessionId`) of the session, atomically: afterwards
   * `loadTranscript` returns `null` for it and every other transcript is unchanged; a crash midway leaves
   * either all or none of its lines. Resolves true when something was deleted. Honours `options.lease`
   * like save (LeaseLostError, nothing deleted). Does not change the session's state or revision.
   */
  deleteTranscript?(
    name: string,
    claudeSessionId: string,
    options?: DeleteTranscriptOptions,
  ): Promise<boolean>;
}

export interface StorageCapabilities {
  remove: boolean;
  exists: boolean;
  close: boolean;
  transcripts: boolean;
  lease: boolean;
  search: boolean;
  /** moveToTrash, listTrash, restoreFromTrash and purgeTrash are all present. */
  trash: boolean;
  readRevision: boolean;
  peekLease: boolean;
  deleteTranscript: boolean;
  /** `list({ projectKey })` is honoured (`listFilters` includes `'projectKey'`). */
  listByProject: boolean;
}

/** The methods of the trash capability. */
export const TRASH_METHODS = ['moveToTrash', 'listTrash', 'restoreFromTrash', 'purgeTrash'] as const;

/** Which optional methods the storage has. */
export function storageCapabilities(storage: SessionStorage): StorageCapabilities {
  return {
    remove: typeof storage.remove === 'function',
    exists: typeof storage.exists === 'function',
    close: typeof storage.close === 'function',
    transcripts:
      typeof storage.appendTranscript === 'function' && typeof storage.loadTranscript === 'function',
    lease: typeof storage.lease === 'function',
    search: typeof storage.search === 'function',
    trash: TRASH_METHODS.every((m) => typeof storage[m] === 'function'),
    readRevision: typeof storage.readRevision === 'function',
    peekLease: typeof storage.peekLease === 'function',
    deleteTranscript: typeof storage.deleteTranscript === 'function',
    listByProject: Array.isArray(storage.listFilters) && storage.listFilters.includes('projectKey'),
  };
}

/** Returns the optional method bound to the storage, or throws CapabilityError naming it. */
export function requireCapability<
  K extends
    | 'remove'
    | 'exists'
    | 'close'
    | 'appendTranscript'
    | 'loadTranscript'
    | 'lease'
    | 'search'
    | 'readRevision'
    | 'peekLease'
    | 'deleteTranscript'
    | (typeof TRASH_METHODS)[number],
>(storage: SessionStorage, capability: K): NonNullable<SessionStorage[K]> {
  const method = storage[capability];
  if (typeof method !== 'function') throw new CapabilityError(capability, storageLabel(storage));
  return method.bind(storage) as NonNullable<SessionStorage[K]>;
}

export function storageLabel(storage: SessionStorage): string {
  return (storage as { constructor?: { name?: string } }).constructor?.name ?? 'storage';
}
