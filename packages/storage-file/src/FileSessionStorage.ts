import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import {
  type DeleteTranscriptOptions,
  isValidSessionName,
  type LeaseInfo,
  type LeaseOptions,
  type ListOptions,
  normalizeSessionName,
  type SearchOptions,
  type SearchResult,
  SessionCorruptError,
  type SessionInfo,
  type SessionLease,
  SessionNotFoundError,
  type SessionState,
  type SessionStorage,
  type TranscriptAppendMode,
  type TranscriptAppendOptions,
  type TrashEntry,
  type TrashListOptions,
  type TrashOptions,
  type TrashPurgeOptions,
  type TrashRestoreOptions,
  type WriteOptions,
} from '@channelcoder/session-core/model';
import {
  deserializeState,
  fencingToken,
  resolveSaveName,
  trashEntryNotFound,
} from '@channelcoder/session-core/storage-kit';
import { commitSave } from './commit-save.js';
import { DIR_MODE, ensureDirectory, syncDirectory } from './durable-fs.js';
import { explicitSessionFile } from './explicit-path.js';
import { isErrno, toStorageError } from './fs-errors.js';
import { StorageLayout } from './layout.js';
import { keyBeforeRemoval, unmarkSession } from './list-groups.js';
import { announceChange } from './list-index.js';
import { listLayout } from './list-only.js';
import { realDirectory } from './no-follow.js';
import { type FileSessionStorageOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { SearchIndex } from './search-index.js';
import { assertFileLeaseHeld, type LeaseFiles, readLeaseRecord, takeFileLease } from './session-lease.js';
import { type LockTiming, withLock } from './session-lock.js';
import { readDirectoryState, readHead, readLegacyFile } from './session-reader.js';
import { appendTranscriptEntries, deleteTranscriptFiles, loadTranscriptEntries } from './transcript-files.js';
import { listTrash, moveToTrash, purgeTrash, restoreFromTrash, type TrashFiles } from './trash-files.js';

/**
 * Durable, crash-safe, incremental session storage in a directory of plain files.
 *
 * Layout under the root (default `~/.channelcoder/sessions`, or `$CHANNELCODER_HOME/sessions`):
 *
 * ```
 * <root>/<name>/head.json                 the wire head (revision, metadata, usage, messageCount,
 *                                         lastMessageId) + { file: { messages, bytes } }
 * <root>/<name>/messages-<gen>.jsonl      one JSON message per line; only the first `bytes` bytes count
 * <root>/<name>/transcripts/…             Claude CLI transcript lines, one compressed chunk per append
 *                                         (appendTranscript / loadTranscript; see transcript-files.ts)
 * <root>/<name>.json                      a ChannelCoder 3.x session file: loaded, upgraded on next save
 * <root>/.locks/<name>.lock               writer lock of a session (pid, host, nonce)
 * <root>/.locks/<name>.lease              the session's lease (holder, expiry, last fencing token)
 * <root>/.list-index.jsonl                cache of listing fields, checked against each head's stat
 * <root>/.search-index.jsonl              each session's words for search(), written ahead of each save
 * <root>/.list-groups/…                   which sessions each name group holds, for list({ prefix })
 *                                         (see list-groups.ts)
 * <root>/.trash/<id>/                     a trashed session: entry.json and the session's folder (see
 *                                         trash-files.ts)
 * <root>/.search-index.compact            present while a search compacts the search index
 * ```
 *
 * - A save writes only the new messages (appended after the committed bytes) and a new head (temp file,
 *   fsync, rename, fsync of the directory). Its cost does not grow with the session. After `clear()` the
 *   messages go to a new generation file, published by the same head rename.
 * - A process killed at any instant leaves the previous or the new revision loadable, never a torn one.
 * - The revision check and the write run under a per-session lock file, so concurrent writers in any
 *   number of processes get `SessionConflictError`, never a lost update.
 * - Leases (`lease()`) live next to the writer lock and change only under it; a save or transcript append
 *   given `{ lease }` checks the lease under the same lock as its write.
 * - Files are created 0600 and directories 0700.
 * - `list()` reads heads only, never messages.
 * - The trash (`moveToTrash`, `listTrash`, `restoreFromTrash`, `purgeTrash`) moves a session's folder whole
 *   into `.trash/` and back, each time in one rename: a killed process leaves it in one place or the other.
 */
export class FileSessionStorage implements SessionStorage {
  /** The absolute storage root. */
  readonly root: string;
  private readonly layout: StorageLayout;
  private readonly options: ResolvedOptions;
  /** Transcript appends honour `dedupe: 'uuid'` (see `appendTranscript`). */
  readonly transcriptAppendModes: readonly TranscriptAppendMode[] = ['uuid'];
  /**
   * `list({ projectKey })` reads only that project's sessions, through the per-project markers kept with
   * the sessions (see list-groups.ts).
   */
  readonly listFilters: NonNullable<SessionStorage['listFilters']> = ['projectKey'];
  /** Set once the root and its locks folder exist; reset if they vanish (someone deleted the root). */
  private rootReady = false;
  /** The parsed search index, read again only where it grew. */
  private readonly searchIndex: SearchIndex;

  /** @param dirOrOptions the root directory (seed style: `new FileSessionStorage('./my-sessions')`) or options. */
  constructor(dirOrOptions?: string | FileSessionStorageOptions) {
    this.options = resolveOptions(dirOrOptions);
    this.root = this.options.root;
    this.layout = new StorageLayout(this.root);
    this.searchIndex = new SearchIndex(this.layout, this.options.fsync);
  }

  /**
   * Stores the state as its next revision and returns the name it stored under (see SessionStorage.save).
   * When it resolves, the data is fsync'd (unless `fsync: false`).
   *
   * @throws SessionConflictError when the stored revision is not `state.revision`; InvalidSessionNameError
   *   (nothing touched); SessionCorruptError when what is stored under the name does not validate;
   *   StorageUnavailableError for file-system failures (permissions, disk full, lock timeout);
   *   LeaseLostError when `options.lease` is no longer the session's lease (nothing written).
   */
  async save(state: SessionState, name?: string, options?: WriteOptions): Promise<string> {
    const key = resolveSaveName(state, name);
    fencingToken(key, options);
    const commit = () =>
      withLock(this.layout.lockPath(key), this.lockTiming(`save("${key}")`), async () => {
        if (options?.lease) await assertFileLeaseHeld(this.layout, key, options.lease);
        // Ahead of the commit, so the search index never lacks a committed word (see search-index.ts): the
        // words of the messages this save writes (a turn's new ones when it appends).
        await commitSave(this.layout, key, state, this.options.fsync, (written) =>
          this.searchIndex.beforeSave(key, state, written),
        );
      });
    try {
      await this.ensureRoot();
      await commit().catch(async (err: unknown) => {
        if (!isErrno(err, 'ENOENT') || !(await this.rootVanished())) throw err;
        await this.ensureRoot();
        await commit();
      });
    } catch (err) {
      throw toStorageError(err, `save("${key}")`, key);
    }
    state.revision += 1;
    return key;
  }

  /**
   * Loads a session by name, or by the path of a session file (an absolute or `./`-relative path ending in
   * `.json` that exists: a ChannelCoder 3.x file, or the `head.json` that `list()` reports as `path`).
   *
   * @throws SessionNotFoundError; InvalidSessionNameError; SessionCorruptError naming the bad file;
   *   UnsupportedFormatError for a session written by a newer format.
   */
  async load(name: string): Promise<SessionState> {
    try {
      const explicit = await explicitSessionFile(name);
      // A 3.x file of this very root is loaded by its name, so a session folder that replaced it wins.
      if (
        explicit?.kind === 'document' &&
        dirname(explicit.path) === this.root &&
        isValidSessionName(explicit.name)
      ) {
        return await this.load(explicit.name);
      }
      if (explicit?.kind === 'document') {
        return deserializeState(await readFile(explicit.path, 'utf8'), {
          name: explicit.name,
          location: explicit.path,
        });
      }
      if (explicit?.kind === 'head') {
        const state = await this.loadDirectory(explicit.dir, explicit.name);
        if (state === undefined) throw new SessionNotFoundError(explicit.name, { where: explicit.dir });
        return state;
      }
      const key = normalizeSessionName(name);
      const state = await this.loadDirectory(this.layout.sessionDir(key), key);
      if (state !== undefined) return state;
      const legacy = await readLegacyFile(this.layout.legacyPath(key), key);
      if (legacy !== undefined) return legacy;
      throw new SessionNotFoundError(key, { where: this.root });
    } catch (err) {
      throw toStorageError(err, `load(${JSON.stringify(name)})`, nameForErrors(name));
    }
  }

  /** Metadata only (heads), newest `lastActive` first, ties by name; corrupt entries carry `error`. */
  async list(options?: ListOptions): Promise<SessionInfo[]> {
    return listLayout(this.layout, options);
  }

  /** Removes the session (its directory and any 3.x file); resolves false when there was none. */
  async remove(name: string): Promise<boolean> {
    const key = normalizeSessionName(name);
    try {
      if (!(await this.ensureLocksDir())) return false;
      return await withLock(this.layout.lockPath(key), this.lockTiming(`remove("${key}")`), () =>
        this.removeLocked(key),
      );
    } catch (err) {
      throw toStorageError(err, `remove("${key}")`);
    }
  }

  async exists(name: string): Promise<boolean> {
    const key = normalizeSessionName(name);
    try {
      // A linked entry exists (loading it is a SessionCorruptError); nothing is followed to find out.
      if ((await isLink(this.layout.sessionDir(key))) || (await isLink(this.layout.headPath(key))))
        return true;
      return (await isFile(this.layout.headPath(key))) || (await isFile(this.layout.legacyPath(key)));
    } catch (err) {
      throw toStorageError(err, `exists("${key}")`, key);
    }
  }

  /**
   * Stores transcript lines `fromLine`, `fromLine + 1`, … of the Claude session `claudeSessionId` with the
   * session (which must exist). Appending at the end writes only the new lines; lines already stored
   * stay as they are (a retried append is a no-op for them). With `options.dedupe: 'uuid'` the entries
   * go after what is stored and those whose `uuid` is stored already are skipped (checked under the
   * session's lock against a uuid index kept beside the transcript). Durable when it resolves, like `save`.
   *
   * @throws SessionNotFoundError; InvalidArgumentError when `fromLine` leaves a gap; LeaseLostError when
   *   `options.lease` is no longer the session's lease (nothing written).
   */
  async appendTranscript(
    name: string,
    claudeSessionId: string,
    entries: readonly unknown[],
    fromLine: number,
    options?: TranscriptAppendOptions,
  ): Promise<void> {
    const key = normalizeSessionName(name);
    fencingToken(key, options);
    try {
      if (!(await this.ensureLocksDir())) throw new SessionNotFoundError(key, { where: this.root });
      await withLock(this.layout.lockPath(key), this.lockTiming(`appendTranscript("${key}")`), async () => {
        if (options?.lease) await assertFileLeaseHeld(this.layout, key, options.lease);
        if (!(await this.exists(key))) throw new SessionNotFoundError(key, { where: this.root });
        await ensureDirectory(this.layout.sessionDir(key), this.root, this.options.fsync);
        await this.searchIndex.beforeTranscriptAppend(key, claudeSessionId, entries);
        await appendTranscriptEntries(
          this.layout.sessionDir(key),
          key,
          claudeSessionId,
          entries,
          fromLine,
          this.options.fsync,
          options,
        );
      });
    } catch (err) {
      throw toStorageError(err, `appendTranscript("${key}")`, key);
    }
  }

  /**
   * Full-text search (DESIGN 13) through the search index kept beside the sessions (see search-index.ts):
   * only sessions holding every word of the query are read, newest first, and with `limit` only until the
   * page is full. Same results as the scan in core. A search may compact the index (one line per session).
   *
   * @throws StorageUnavailableError for file-system failures; the errors of `load` for a session that
   *   cannot be read.
   */
  async search(query: string, options?: SearchOptions): Promise<SearchResult[]> {
    try {
      return await this.searchIndex.search(this, query, options);
    } catch (err) {
      throw toStorageError(err, 'search()');
    }
  }

  /** Every stored line of the transcript, in order, or `null` when none are stored for that id. */
  async loadTranscript(name: string, claudeSessionId: string): Promise<unknown[] | null> {
    const key = normalizeSessionName(name);
    try {
      return await loadTranscriptEntries(this.layout.sessionDir(key), key, claudeSessionId);
    } catch (err) {
      throw toStorageError(err, `loadTranscript("${key}")`, key);
    }
  }

  /**
   * Deletes every stored line of one transcript under the session's lock: its head is renamed away (one
   * step, so a killed process leaves all lines or none), then its files are removed. Other transcripts,
   * the session's state and its revision stay as they are. Resolves true when lines were stored.
   *
   * @throws InvalidSessionNameError; InvalidArgumentError for an empty Claude session id; LeaseLostError
   *   when `options.lease` is no longer the session's lease (nothing deleted); StorageUnavailableError.
   */
  async deleteTranscript(
    name: string,
    claudeSessionId: string,
    options?: DeleteTranscriptOptions,
  ): Promise<boolean> {
    const key = normalizeSessionName(name);
    fencingToken(key, options);
    try {
      if (!(await this.ensureLocksDir())) return false;
      return await withLock(
        this.layout.lockPath(key),
        this.lockTiming(`deleteTranscript("${key}")`),
        async () => {
          if (options?.lease) await assertFileLeaseHeld(this.layout, key, options.lease);
          return deleteTranscriptFiles(this.layout.sessionDir(key), claudeSessionId, this.options.fsync);
        },
      );
    } catch (err) {
      throw toStorageError(err, `deleteTranscript("${key}")`, key);
    }
  }

  /**
   * The stored revision, read from the head alone (a few hundred bytes, never the messages); a 3.x file
   * is read whole. `null` when nothing is stored under the name.
   *
   * @throws InvalidSessionNameError; SessionCorruptError when the head does not validate.
   */
  async readRevision(name: string): Promise<number | null> {
    const key = normalizeSessionName(name);
    try {
      const dir = this.layout.sessionDir(key);
      if ((await realDirectory(dir)) !== 'missing') {
        const stored = await readHead(dir, key);
        if (stored !== undefined) return stored.head.info.revision;
      }
      return (await readLegacyFile(this.layout.legacyPath(key), key))?.revision ?? null;
    } catch (err) {
      throw toStorageError(err, `readRevision("${key}")`, key);
    }
  }

  /**
   * The session's current unexpired lease as its record shows it, or `null`; reads the record without
   * taking the lock, so it never waits for or changes the lease. A record still torn on the third read
   * (power loss) is `null`, as the next `lease()` treats it.
   */
  async peekLease(name: string): Promise<LeaseInfo | null> {
    const key = normalizeSessionName(name);
    try {
      // Read without the lock: a record being rewritten that very moment can read torn, so read again.
      let record: Awaited<ReturnType<typeof readLeaseRecord>>;
      for (let attempt = 0; ; attempt++) {
        try {
          record = await readLeaseRecord(this.layout, key);
          break;
        } catch (err) {
          if (!SessionCorruptError.is(err)) throw err;
          if (attempt === 2) return null;
        }
      }
      if (!record?.live || record.expiresAt <= Date.now()) return null;
      return { holder: record.holder, token: record.token, expiresAt: new Date(record.expiresAt) };
    } catch (err) {
      throw toStorageError(err, `peekLease("${key}")`, key);
    }
  }

  /**
   * Takes the session's exclusive lease (DESIGN 10); the session need not exist yet, and taking it makes
   * none appear. The lease record `.locks/<name>.lease` changes only under the session's writer lock, so
   * processes sharing the root take turns; expiry is judged by each process's clock.
   *
   * @throws SessionBusyError when another holder keeps it past `options.waitMs`; InvalidSessionNameError;
   *   StorageUnavailableError for file-system failures.
   */
  async lease(name: string, options?: LeaseOptions): Promise<SessionLease> {
    const key = normalizeSessionName(name);
    try {
      return await takeFileLease(this.leaseFiles(), key, options);
    } catch (err) {
      throw toStorageError(err, `lease("${key}")`);
    }
  }

  /**
   * Moves the session (its folder with every transcript, and a 3.x file of the name) into
   * `<root>/.trash/<id>/` in one rename under the session's lock; afterwards load, list, exists, search
   * and loadTranscript no longer see it and the name is free. Resolves undefined when nothing is stored.
   *
   * @throws InvalidSessionNameError; LeaseLostError when `options.lease` is no longer the session's lease
   *   (nothing moved); StorageUnavailableError for file-system failures.
   */
  async moveToTrash(name: string, options?: TrashOptions): Promise<TrashEntry | undefined> {
    const key = normalizeSessionName(name);
    fencingToken(key, options);
    try {
      if (!(await this.ensureLocksDir())) return undefined;
      return await moveToTrash(this.trashFiles(), key, options);
    } catch (err) {
      throw toStorageError(err, `moveToTrash("${key}")`, key);
    }
  }

  /** Trash entries, newest first; expired ones are not listed. */
  async listTrash(options?: TrashListOptions): Promise<TrashEntry[]> {
    try {
      return await listTrash(this.trashFiles(), options);
    } catch (err) {
      throw toStorageError(err, 'listTrash()');
    }
  }

  /**
   * Renames the entry's session folder back into the root under its name (or `options.name`).
   *
   * @throws SessionNotFoundError when no such unexpired entry; SessionConflictError (`'name-taken'`) when a
   *   session is stored under the target name (nothing changed).
   */
  async restoreFromTrash(id: string, options?: TrashRestoreOptions): Promise<string> {
    try {
      // No root, no trash: nothing to restore (and nothing is created to find that out).
      if (!(await this.ensureLocksDir())) throw trashEntryNotFound(id, this.root);
      return await restoreFromTrash(this.trashFiles(), id, options);
    } catch (err) {
      throw toStorageError(err, 'restoreFromTrash()');
    }
  }

  /** Deletes trash entries for good: `options.id`, else every expired one (`all`: every one). */
  async purgeTrash(options?: TrashPurgeOptions): Promise<number> {
    try {
      return await purgeTrash(this.trashFiles(), options);
    } catch (err) {
      throw toStorageError(err, 'purgeTrash()');
    }
  }

  /** Nothing to release: every call opens and closes its own files. */
  async close(): Promise<void> {}

  private leaseFiles(): LeaseFiles {
    return {
      layout: this.layout,
      fsync: this.options.fsync,
      lockTiming: (operation) => this.lockTiming(operation),
      ensureRoot: () => this.ensureRoot(),
    };
  }

  private trashFiles(): TrashFiles {
    return {
      layout: this.layout,
      fsync: this.options.fsync,
      searchIndex: this.searchIndex,
      withSessionLock: (name, operation, body) =>
        withLock(this.layout.lockPath(name), this.lockTiming(operation), body),
      exists: (name) => this.exists(name),
      storedRevision: async (name) => {
        try {
          const read = await readHead(this.layout.sessionDir(name), name);
          if (read !== undefined) return read.head.info.revision;
          return (await readLegacyFile(this.layout.legacyPath(name), name))?.revision ?? 0;
        } catch {
          return 0;
        }
      },
      checkLease: async (name, options) => {
        if (options?.lease) await assertFileLeaseHeld(this.layout, name, options.lease);
      },
    };
  }

  private lockTiming(operation: string): LockTiming {
    return { operation, timeoutMs: this.options.lockTimeoutMs, staleMs: this.options.staleLockMs };
  }

  /**
   * A session directory's state, or undefined when it has no committed head. A rewrite by another process
   * removes the old messages file once its new head is published, so a messages file that vanished under
   * a head read a moment earlier means "read the new head", not corruption.
   */
  private async loadDirectory(dir: string, name: string): Promise<SessionState | undefined> {
    if ((await realDirectory(dir)) === 'missing') return undefined;
    for (let attempt = 0; ; attempt++) {
      const stored = await readHead(dir, name);
      if (stored === undefined) return undefined;
      try {
        return await readDirectoryState(dir, stored, name);
      } catch (err) {
        const again = attempt < 3 && SessionCorruptError.is(err) ? await readHead(dir, name) : undefined;
        if (again === undefined || again.head.info.revision === stored.head.info.revision) throw err;
      }
    }
  }

  private async removeLocked(name: string): Promise<boolean> {
    const dir = this.layout.sessionDir(name);
    // A linked entry: the link itself is removed (it is in the root); its target is never touched.
    const linked = await isLink(dir);
    const hadSession = linked || (await isFile(this.layout.headPath(name)));
    const trash = this.layout.trashPath(name, randomUUID().slice(0, 8));
    const key = linked ? undefined : keyBeforeRemoval(this.layout, name);
    await announceChange(this.layout, name);
    let moved = false;
    try {
      await rename(dir, trash);
      moved = true;
    } catch (err) {
      if (!isErrno(err, 'ENOENT', 'ENOTDIR')) throw err;
    }
    let removedLegacy = false;
    try {
      await rm(this.layout.legacyPath(name));
      removedLegacy = true;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    if (moved || removedLegacy) await syncDirectory(this.root, this.options.fsync);
    if (moved || removedLegacy) unmarkSession(this.layout, name, key);
    if (moved) await rm(trash, { recursive: true, force: true });
    return hadSession || removedLegacy;
  }

  /** Creates the root (0700, durable) and the locks folder when missing. */
  private async ensureRoot(): Promise<void> {
    if (this.rootReady) return;
    const created = await mkdir(this.root, { recursive: true, mode: DIR_MODE });
    if (created !== undefined && this.options.fsync) {
      for (let dir = this.root; dir !== dirname(created); dir = dirname(dir)) {
        await syncDirectory(dirname(dir), true);
      }
    }
    await this.ensureLocksDir();
    this.rootReady = true;
  }

  /** True (and the root is recreated on the next save) when the root or its locks folder is gone. */
  private async rootVanished(): Promise<boolean> {
    const vanished = !(await isDirectory(this.layout.locksDir()));
    if (vanished) this.rootReady = false;
    return vanished;
  }

  /** False when the root itself does not exist (nothing stored, nothing to lock). */
  private async ensureLocksDir(): Promise<boolean> {
    try {
      await mkdir(this.layout.locksDir(), { mode: DIR_MODE });
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      if (!isErrno(err, 'EEXIST')) throw err;
      // Lock files are never created through a linked locks folder.
      await realDirectory(this.layout.locksDir());
    }
    return true;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return false;
    throw err;
  }
}

/** A regular file reached without following links (a linked head or 3.x file does not count). */
async function isFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return false;
    throw err;
  }
}

async function isLink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return false;
    throw err;
  }
}

/** The session name a load error is about (a path's base name when a path was given). */
function nameForErrors(input: string): string {
  return basename(input).replace(/\.json$/, '') || input;
}
