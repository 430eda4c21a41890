import {
  type DeleteTranscriptOptions,
  InvalidArgumentError,
  type LeaseInfo,
  LeaseLostError,
  type LeaseOptions,
  type ListFilter,
  type ListOptions,
  normalizeSessionName,
  SessionConflictError,
  SessionCorruptError,
  type SessionInfo,
  type SessionLease,
  SessionNotFoundError,
  type SessionState,
  type SessionStorage,
  StorageUnavailableError,
  type TranscriptAppendMode,
  type TranscriptAppendOptions,
  type TrashEntry,
  type TrashListOptions,
  type TrashOptions,
  type TrashPurgeOptions,
  type TrashRestoreOptions,
  type WriteOptions,
} from '@channelcoder/session-core';
import {
  assembleState,
  assertRevision,
  fencingToken,
  fromWireHead,
  planMessageWrite,
  resolveSaveName,
  sessionProjectKey,
  toWireHead,
  toWireMessage,
} from '@channelcoder/session-core/storage-kit';
import { isWrongType, withAvailability, withReadDeadline } from './availability.js';
import { indexKeys, indexMember, type SessionKeys, sessionKeys } from './keys.js';
import { takeRedisLease } from './leases.js';
import { FastLister, fastEligible } from './list-fast.js';
import { type IndexContext, LIST_DROP_BUDGET, listByPrefix, migrateNames, walkIndex } from './list-index.js';
import { packMessages, parseMessageElements } from './message-elements.js';
import { copyProjects, listByProject } from './project-index.js';
import { BasisCache, basisOf, NOTHING_STORED, type SaveBasis, sha1Hex } from './save-basis.js';
import { type RedisClient, SessionScripts } from './scripts.js';
import { readSession } from './session-read.js';
import {
  appendTranscriptLines,
  appendUniqueTranscriptLines,
  checkTranscriptArgs,
  deleteTranscriptLines,
  loadTranscriptLines,
} from './transcripts.js';
import * as trash from './trash.js';

export interface RedisSessionStorageOptions {
  /**
   * An already-configured ioredis client (`Redis` or `Cluster`). The storage never closes it. Recommended
   * options for bounded failures: `{ maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 5000 }`.
   */
  client: RedisClient;
  /** Prepended to every key; must be unique per application or tenant. Default `'channelcoder:'`. */
  prefix?: string;
  /** When set, every key of a session expires this many seconds after its last save (or load). */
  ttlSeconds?: number;
  /** With `ttlSeconds`: a `load` extends the expiry too, not only a `save`. Default true. */
  slidingTtl?: boolean;
  /**
   * Upper bound in milliseconds for any call, including waiting for the client to (re)connect. When it
   * passes, the call fails with StorageUnavailableError. Default 5000.
   */
  timeoutMs?: number;
}

const MAX_SAVE_ATTEMPTS = 3;
/** Index entries `pruneIndex()` reads per step (each step is one call with its own deadline). */
export const PRUNE_STEP = 5000;

/** What a listing or prune that timed out had changed (nothing but stale index entries, if anything). */
function droppedSoFar(dropped: number): string | undefined {
  if (dropped === 0) return undefined;
  return `it had dropped ${dropped} index entries of sessions that no longer exist; nothing else was changed`;
}

/**
 * Sessions in Redis, shared by any number of processes.
 *
 * Key layout (`P` = `prefix`, default `channelcoder:`; `<name>` = the validated session name):
 * - `P{<name>}:head` — STRING: the session head as JSON (`toWireHead`: chain, metadata, usage, revision,
 *   messageCount, lastMessageId). Never holds messages.
 * - `P{<name>}:messages` — LIST: the messages as JSON, oldest first, packed: each element is one or more
 *   messages joined by commas (at most 16 KiB, or one longer message), so the elements joined by commas
 *   form the JSON array of the messages; earlier versions stored one per element, which reads the same
 *   (absent while there are none).
 * - `P{<name>}:transcripts` — SET: the Claude session ids with a stored transcript (optional capability).
 * - `P{<name>}:transcript:<claudeSessionId>` — LIST: one compressed chunk of JSON lines per append (older
 *   transcripts: one plain JSON line per element); `…\0uuids` beside it, a HASH: its index (`#count`, uuids).
 * - `P{<name>}:lease` — HASH `token`, `holder`, `expiresAt`: the session's current lease (optional
 *   capability); expires with the lease (server time), deleted on release.
 * - `P{<name>}:lease-token` — STRING: the last fencing token issued for the session; never expires and
 *   outlives the session, so tokens keep growing.
 * - `P{index}:order` — ZSET, all scores 0, members `<17-digit inverted lastActive ms>:<name>`, so the
 *   lexicographic order of members is the listing order (newest first, ties by name).
 * - `P{index}:members` — HASH: `<name>` → that session's current member in `P{index}:order`.
 * - `P{index}:names` — ZSET, all scores 0, members `<name>`: what `list({ prefix })` reads (ZRANGEBYLEX);
 *   `P{index}:names-state` — STRING: how far it was filled for sessions indexed before it existed.
 *
 * The `{…}` hash tags put every key of one session in one Cluster slot. With a plain client, one Lua script
 * per save checks the stored head (by sha1), appends the new messages (or replaces the list after
 * `clear()`), writes the head, sets or clears the expiry and updates the index, atomically. With a Cluster
 * client the index lives in another slot and is updated by a second script right after.
 *
 * Leases: `lease()`, `renew()` and `release()` are one script call each. A save or transcript append
 * given `{ lease }` checks the lease's token inside its own script, so the check and the write are atomic.
 *
 * Round trips: a save is one script call when this storage object last saved or loaded that revision of
 * the session, else a GET of the head plus the script. `load` runs no script over the data: one pipeline
 * (head, length, first chunk, head again) for up to 32 list elements, one more for the remaining chunks, so no
 * command holds the server long whatever the session's size; with `slidingTtl` a small script sent
 * alongside sets the new expiry. `list` reads the index and the heads of one page (pipelined), never a message list.
 *
 * Expiry (`ttlSeconds`): every key of the session gets one absolute expiry on every save (and load, with
 * `slidingTtl`); a transcript append gives its keys the head's expiry.
 * The index has none; `list()` drops entries whose session has expired as it meets them (at most 1,000 per
 * call), and `pruneIndex()` drops all of them in bounded steps.
 */
export class RedisSessionStorage implements SessionStorage {
  readonly prefix: string;
  readonly ttlSeconds: number | undefined;
  readonly slidingTtl: boolean;
  readonly timeoutMs: number;
  /** Transcript appends honour `dedupe: 'uuid'` (see `appendTranscript`). */
  readonly transcriptAppendModes: readonly TranscriptAppendMode[] = ['uuid'];
  /** `list({ projectKey })` reads a per-project index (see the README's Listing section). */
  readonly listFilters: readonly ListFilter[] = ['projectKey'];
  private readonly client: RedisClient;
  private readonly scripts: SessionScripts;
  private readonly cluster: boolean;
  private readonly ttlMs: number;
  private readonly bases = new BasisCache();
  /** Prefix and project listings asked in one tick, answered by one script call (see list-fast.ts). */
  private readonly fastLister: FastLister;

  constructor(options: RedisSessionStorageOptions) {
    const { client, prefix = 'channelcoder:', ttlSeconds, slidingTtl = true, timeoutMs = 5000 } = options;
    if (client === undefined || client === null || typeof client.defineCommand !== 'function') {
      throw new InvalidArgumentError(
        'RedisSessionStorage: options.client must be an ioredis Redis or Cluster',
      );
    }
    if (typeof prefix !== 'string')
      throw new InvalidArgumentError('RedisSessionStorage: prefix must be a string');
    if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
      throw new InvalidArgumentError(
        `RedisSessionStorage: ttlSeconds must be a positive number, got ${ttlSeconds}`,
      );
    }
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      throw new InvalidArgumentError(
        `RedisSessionStorage: timeoutMs must be a positive number, got ${timeoutMs}`,
      );
    }
    this.client = client;
    this.prefix = prefix;
    this.ttlSeconds = ttlSeconds;
    this.slidingTtl = slidingTtl;
    this.timeoutMs = timeoutMs;
    this.ttlMs = ttlSeconds === undefined ? 0 : Math.max(1, Math.round(ttlSeconds * 1000));
    this.cluster = (client as { isCluster?: boolean }).isCluster === true;
    this.scripts = new SessionScripts(client);
    this.fastLister = new FastLister(this.indexContext(), (work) =>
      withReadDeadline(this.client, this.timeoutMs, 'list()', work),
    );
  }

  /**
   * Stores the state as its next revision (see SessionStorage.save); with `options.lease`, only while that
   * lease is the session's current one, checked in the save script itself.
   *
   * @throws SessionConflictError; LeaseLostError (nothing written); SessionCorruptError;
   *   StorageUnavailableError (the server is unreachable, or no reply came in time: the save may have landed).
   */
  async save(state: SessionState, name?: string, options?: WriteOptions): Promise<string> {
    const key = resolveSaveName(state, name);
    const token = fencingToken(key, options);
    const keys = sessionKeys(this.prefix, key);
    const ctx = { name: key, location: keys.head };
    const operation = `save("${key}")`;
    const ambiguous = 'the save may or may not have been applied: load the session before saving again';
    return withAvailability(
      this.client,
      this.timeoutMs,
      operation,
      async (deadline) => {
        let basis: SaveBasis | undefined =
          this.bases.get(key, state.revision) ?? (state.revision === 0 ? NOTHING_STORED : undefined);
        for (let attempt = 1; ; attempt++) {
          basis ??= basisOf(await this.client.getBuffer(keys.head).catch(corruptIfWrongType(key, keys)), ctx);
          assertRevision(key, basis.head?.revision, state);
          if (attempt > MAX_SAVE_ATTEMPTS) {
            throw new SessionConflictError(key, state.revision, basis.head?.revision ?? 0);
          }
          const plan = planMessageWrite(basis.head, state);
          const head = JSON.stringify(toWireHead({ ...state, revision: state.revision + 1 }));
          const messages = packMessages(
            state.messages
              .slice(plan.mode === 'append' ? plan.from : 0)
              .map((m) => JSON.stringify(toWireMessage(m))),
          );
          const member = indexMember(state.metadata.lastActive.getTime(), key);
          const project = sessionProjectKey(state) ?? '';
          if (deadline.passed()) throw new Error('the deadline passed before the save was sent');
          const result = await this.scripts
            .save(
              this.saveKeys(keys),
              {
                expectedSha: basis.sha,
                mode: plan.mode,
                head,
                ttlMs: this.ttlMs,
                name: key,
                member,
                token,
                project,
              },
              messages,
            )
            .catch(corruptIfWrongType(key, keys));
          // The caller was told the outcome is unknown; a reply that comes later changes nothing it holds.
          if (deadline.passed()) throw new Error('the reply came after the deadline');
          if ('leaseLost' in result) throw new LeaseLostError(key, token ?? 0);
          if (result.written) {
            state.revision += 1;
            this.bases.set(key, {
              sha: sha1Hex(head),
              head: {
                revision: state.revision,
                messageCount: state.messages.length,
                lastMessageId: state.messages.at(-1)?.id,
              },
            });
            if (this.cluster) await this.putIndexAfterSave(key, member, project, state.revision);
            return key;
          }
          // Someone else wrote (or the remembered head was stale): plan again against what is stored.
          this.bases.delete(key);
          basis = basisOf(result.storedHead, ctx);
        }
      },
      ambiguous,
    );
  }

  async load(name: string): Promise<SessionState> {
    const key = normalizeSessionName(name);
    const keys = sessionKeys(this.prefix, key);
    return withAvailability(this.client, this.timeoutMs, `load("${key}")`, async () => {
      const ttl = this.slidingTtl ? this.ttlMs : 0;
      const touched =
        ttl > 0 ? this.scripts.touch([keys.head, keys.messages, keys.transcripts], ttl) : undefined;
      const [stored] = await Promise.all([
        readSession(this.client, keys).catch(corruptIfWrongType(key, keys)),
        touched,
      ]);
      if (stored === undefined) throw new SessionNotFoundError(key, { where: `Redis (key ${keys.head})` });
      const ctx = { name: key, location: keys.head };
      const messages = parseMessageElements(stored.elements, { name: key, location: keys.messages });
      const state = assembleState(stored.head, messages, ctx, { ownedMessages: true });
      this.bases.set(key, basisOf(stored.head, ctx));
      return state;
    });
  }

  /**
   * Newest `lastActive` first, ties by name; reads the index and heads only. Drops at most
   * {@link LIST_DROP_BUDGET} stale index entries per call (see the class notes on expiry).
   */
  async list(options?: ListOptions): Promise<SessionInfo[]> {
    if (!this.cluster && fastEligible(options)) {
      const infos = await this.fastLister.list(options);
      if (infos !== undefined) return infos;
    }
    const progress = { dropped: 0 };
    return withAvailability(
      this.client,
      this.timeoutMs,
      'list()',
      async (deadline) => {
        const walk = { maxDrops: LIST_DROP_BUDGET, progress, answered: deadline.answered };
        if (options?.projectKey !== undefined)
          return (await listByProject(this.indexContext(), options, walk)).infos;
        return (await listByPrefix(this.indexContext(), options, walk)).infos;
      },
      () => droppedSoFar(progress.dropped),
    );
  }

  /** Deletes the session's keys and its index entry. Resolves true if a session was stored. */
  async remove(name: string): Promise<boolean> {
    const key = normalizeSessionName(name);
    const keys = sessionKeys(this.prefix, key);
    return withAvailability(this.client, this.timeoutMs, `remove("${key}")`, async () => {
      this.bases.delete(key);
      const removed = await this.scripts.remove(this.scriptKeys(keys), key);
      if (this.cluster) {
        const { order, members } = indexKeys(this.prefix);
        await this.scripts.dropIndex([order, members], key);
      }
      return removed;
    });
  }

  async exists(name: string): Promise<boolean> {
    const key = normalizeSessionName(name);
    const { head } = sessionKeys(this.prefix, key);
    return withAvailability(this.client, this.timeoutMs, `exists("${key}")`, async () => {
      return (await this.client.exists(head)) === 1;
    });
  }

  /**
   * Walks the whole index and drops entries whose session expired or was removed; resolves how many it
   * dropped. `list()` drops the stale entries it meets too (a bounded number per call), so this is for
   * applications that use `ttlSeconds` and rarely list, or after a mass expiry. It works in steps of
   * {@link PRUNE_STEP} index entries, each with its own `timeoutMs`, so an index of any size is pruned
   * without one long call; `maxDrops` stops it early. Before that it completes the name index that
   * `list({ prefix })` reads, and the project index `list({ projectKey })` reads, for sessions indexed by
   * versions that did not keep them (also in steps; a prefixed or project `list()` does the same a bounded
   * part at a time).
   */
  async pruneIndex(options: { maxDrops?: number } = {}): Promise<number> {
    const maxDrops = options.maxDrops ?? Number.POSITIVE_INFINITY;
    // First completes the name index for sessions indexed before it existed (bounded steps, each a call).
    while (
      !(await withAvailability(this.client, this.timeoutMs, 'pruneIndex()', () =>
        migrateNames(this.indexContext(), 5),
      ))
    );
    // Then files sessions indexed before the project index existed under their project (same steps).
    while (
      !(await withAvailability(this.client, this.timeoutMs, 'pruneIndex()', () =>
        copyProjects(this.indexContext(), 2),
      ))
    );
    let dropped = 0;
    let next: string | undefined;
    do {
      const progress = { dropped: 0 };
      const step = await withAvailability(
        this.client,
        this.timeoutMs,
        'pruneIndex()',
        (deadline) =>
          walkIndex(this.indexContext(), undefined, {
            answered: deadline.answered,
            maxMembers: PRUNE_STEP,
            maxDrops: maxDrops - dropped,
            progress,
            ...(next === undefined ? {} : { afterMember: next }),
          }),
        () => droppedSoFar(dropped + progress.dropped),
      );
      dropped += step.dropped;
      next = step.next;
    } while (next !== undefined && dropped < maxDrops);
    return dropped;
  }

  /** Nothing to release: the client belongs to the caller, who closes it (`client.quit()`). */
  async close(): Promise<void> {}

  /**
   * Stores `entries` (the CLI's transcript lines) as lines `fromLine`, `fromLine + 1`, … of the transcript of
   * `claudeSessionId`; lines already stored there stay as they are. With `options.dedupe: 'uuid'` they go
   * after what is stored and entries whose `uuid` is stored already are skipped (one script, checked
   * against a uuid index). They expire and are removed with the session.
   *
   * @throws SessionNotFoundError when the session is not stored; InvalidArgumentError when `fromLine` is
   *   beyond the stored lines (a gap) or not a non-negative integer; LeaseLostError when `options.lease` is
   *   no longer the session's lease (nothing written).
   */
  async appendTranscript(
    name: string,
    claudeSessionId: string,
    entries: readonly unknown[],
    fromLine: number,
    options?: TranscriptAppendOptions,
  ): Promise<void> {
    const key = normalizeSessionName(name);
    const id = checkTranscriptArgs(key, claudeSessionId, fromLine);
    const token = fencingToken(key, options);
    return withAvailability(this.client, this.timeoutMs, `appendTranscript("${key}")`, () =>
      options?.dedupe === 'uuid'
        ? appendUniqueTranscriptLines(
            this.client,
            this.scripts,
            this.prefix,
            key,
            id,
            entries,
            fromLine,
            token,
          )
        : appendTranscriptLines(this.scripts, this.prefix, key, id, entries, fromLine, token),
    );
  }

  /**
   * Takes the session's exclusive lease (DESIGN 10): one script call per attempt, expiry kept by the server
   * (its clock, not this process's). The session need not exist, and taking the lease creates none.
   *
   * @throws SessionBusyError when another holder keeps it past `options.waitMs`; InvalidSessionNameError;
   *   StorageUnavailableError.
   */
  async lease(name: string, options?: LeaseOptions): Promise<SessionLease> {
    const key = normalizeSessionName(name);
    return takeRedisLease(
      { client: this.client, scripts: this.scripts, prefix: this.prefix, timeoutMs: this.timeoutMs },
      key,
      options,
    );
  }

  /** Every stored line in order, or `null` when no transcript is stored for that id. */
  async loadTranscript(name: string, claudeSessionId: string): Promise<unknown[] | null> {
    const key = normalizeSessionName(name);
    const id = checkTranscriptArgs(key, claudeSessionId);
    return withAvailability(this.client, this.timeoutMs, `loadTranscript("${key}")`, () =>
      loadTranscriptLines(this.client, this.prefix, key, id),
    );
  }

  /**
   * Deletes every line of one transcript (its list and its index) in one script that UNLINKs the keys
   * (nothing is copied), only while `options.lease` is the session's lease when given. The session's
   * state, revision and other transcripts are unchanged. Resolves true when something was deleted.
   *
   * @throws LeaseLostError (nothing deleted); InvalidArgumentError for a bad claudeSessionId.
   */
  async deleteTranscript(
    name: string,
    claudeSessionId: string,
    options?: DeleteTranscriptOptions,
  ): Promise<boolean> {
    const key = normalizeSessionName(name);
    const id = checkTranscriptArgs(key, claudeSessionId);
    const token = fencingToken(key, options);
    return withAvailability(
      this.client,
      this.timeoutMs,
      `deleteTranscript("${key}")`,
      () => deleteTranscriptLines(this.scripts, this.prefix, key, id, token),
      'the transcript may or may not have been deleted: load it to see',
    );
  }

  /** The stored revision (one GET of the head, never the messages), or null when nothing is stored. */
  async readRevision(name: string): Promise<number | null> {
    const key = normalizeSessionName(name);
    const keys = sessionKeys(this.prefix, key);
    return withAvailability(this.client, this.timeoutMs, `readRevision("${key}")`, async () => {
      const head = await this.client.get(keys.head).catch(corruptIfWrongType(key, keys));
      if (head === null) return null;
      return fromWireHead(head, { name: key, location: keys.head }).revision;
    });
  }

  /**
   * The session's current lease (one HMGET of `P{<name>}:lease`, which expires with the lease at the
   * server's clock), or null when none is held. Never takes or extends it.
   */
  async peekLease(name: string): Promise<LeaseInfo | null> {
    const key = normalizeSessionName(name);
    const { lease } = sessionKeys(this.prefix, key);
    return withAvailability(this.client, this.timeoutMs, `peekLease("${key}")`, async () => {
      const [holder, token, expiresAt] = await this.client.hmget(lease, 'holder', 'token', 'expiresAt');
      if (holder == null || token == null || expiresAt == null) return null;
      return { holder, token: Number(token), expiresAt: new Date(Number(expiresAt)) };
    });
  }

  /**
   * Moves the session into the trash (see the README's Trash section): one script renames its keys and
   * every transcript list to `P{<name>}:trash:<id>:…` (no value is copied), drops its listing entry and
   * adds the trash entry. Resolves undefined when nothing is stored under the name. With `options.lease`,
   * only while that lease is the session's current one (checked in the script).
   *
   * @throws LeaseLostError (nothing moved); InvalidArgumentError for a bad `reason` or `retentionMs`;
   *   StorageUnavailableError (the move may or may not have happened: list the trash).
   */
  async moveToTrash(name: string, options?: TrashOptions): Promise<TrashEntry | undefined> {
    const key = normalizeSessionName(name);
    return withAvailability(
      this.client,
      this.timeoutMs,
      `moveToTrash("${key}")`,
      async () => {
        this.bases.delete(key);
        return trash.moveToTrash(this.trashContext(), key, options);
      },
      'the move may or may not have happened: check listTrash() before trying again',
    );
  }

  /** Unexpired trash entries, newest `trashedAt` first (ties by id); `name` and `limit` filter. */
  async listTrash(options?: TrashListOptions): Promise<TrashEntry[]> {
    return withAvailability(this.client, this.timeoutMs, 'listTrash()', () =>
      trash.listTrash(this.trashContext(), options),
    );
  }

  /**
   * Renames the entry's keys back under its name (or `options.name`) in one script, with the session's
   * revision, and removes the entry. On a Cluster only under its own name (the keys must stay in their slot).
   *
   * @throws SessionNotFoundError when no unexpired entry has that id; SessionConflictError (reason
   *   'name-taken') when a session is stored under the target name (nothing changed).
   */
  async restoreFromTrash(id: string, options?: TrashRestoreOptions): Promise<string> {
    return withAvailability(this.client, this.timeoutMs, `restoreFromTrash("${id}")`, async () => {
      const name = await trash.restoreFromTrash(this.trashContext(), id, options);
      this.bases.delete(name);
      return name;
    });
  }

  /**
   * Deletes trashed sessions for good: the entry `options.id`, else every expired one (`options.all`:
   * every one). Resolves how many. Trashed keys also expire by themselves a day after `expiresAt`.
   */
  async purgeTrash(options?: TrashPurgeOptions): Promise<number> {
    return withAvailability(this.client, this.timeoutMs, 'purgeTrash()', () =>
      trash.purgeTrash(this.trashContext(), options),
    );
  }

  private trashContext(): trash.TrashContext {
    return {
      client: this.client,
      scripts: this.scripts,
      prefix: this.prefix,
      cluster: this.cluster,
      ttlMs: this.ttlMs,
    };
  }

  private scriptKeys(keys: SessionKeys): string[] {
    const session = [keys.head, keys.messages, keys.transcripts];
    if (this.cluster) return session;
    const { order, members } = indexKeys(this.prefix);
    return [...session, order, members];
  }

  /** The save script's keys: the session's, its lease, and the index unless it lives in another slot. */
  private saveKeys(keys: SessionKeys): string[] {
    const session = [keys.head, keys.messages, keys.transcripts, keys.lease];
    if (this.cluster) return session;
    const { order, members } = indexKeys(this.prefix);
    return [...session, order, members];
  }

  private indexContext(): IndexContext {
    return { client: this.client, scripts: this.scripts, prefix: this.prefix, cluster: this.cluster };
  }

  private async putIndexAfterSave(
    key: string,
    member: string,
    project: string,
    revision: number,
  ): Promise<void> {
    const { order, members } = indexKeys(this.prefix);
    try {
      await this.scripts.putIndex([order, members], key, member, project);
    } catch (err) {
      throw new StorageUnavailableError(
        'Redis',
        `save("${key}") (stored at revision ${revision}, but its list() index entry was not updated; ` +
          'the next save updates it)',
        err,
      );
    }
  }
}

/** A key holding another Redis type than the layout expects is damage, reported as SessionCorruptError. */
function corruptIfWrongType(name: string, keys: SessionKeys): (err: unknown) => never {
  return (err) => {
    if (!isWrongType(err)) throw err;
    throw new SessionCorruptError(
      name,
      '(keys)',
      `hold another Redis type than expected (${(err as Error).message})`,
      {
        location: `${keys.head}, ${keys.messages}`,
        cause: err,
      },
    );
  };
}
