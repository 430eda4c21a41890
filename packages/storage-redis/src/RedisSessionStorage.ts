import {
  InvalidArgumentError,
  type ListOptions,
  normalizeSessionName,
  SessionConflictError,
  SessionCorruptError,
  type SessionInfo,
  SessionNotFoundError,
  type SessionState,
  type SessionStorage,
  StorageUnavailableError,
} from '@channelcoder/session-core';
import {
  assembleState,
  assertRevision,
  planMessageWrite,
  resolveSaveName,
  toWireHead,
  toWireMessage,
} from '@channelcoder/session-core/storage-kit';
import { isWrongType, withAvailability } from './availability.js';
import { indexKeys, indexMember, type SessionKeys, sessionKeys } from './keys.js';
import { type IndexContext, walkIndex } from './list-index.js';
import { BasisCache, basisOf, NOTHING_STORED, type SaveBasis, sha1Hex } from './save-basis.js';
import { type RedisClient, SessionScripts } from './scripts.js';
import { appendTranscriptLines, checkTranscriptArgs, loadTranscriptLines } from './transcripts.js';

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

/**
 * Sessions in Redis, shared by any number of processes.
 *
 * Key layout (`P` = `prefix`, default `channelcoder:`; `<name>` = the validated session name):
 * - `P{<name>}:head` — STRING: the session head as JSON (`toWireHead`: chain, metadata, usage, revision,
 *   messageCount, lastMessageId). Never holds messages.
 * - `P{<name>}:messages` — LIST: one JSON message per element, oldest first (absent while there are none).
 * - `P{<name>}:transcripts` — SET: the Claude session ids with a stored transcript (optional capability).
 * - `P{<name>}:transcript:<claudeSessionId>` — LIST: that transcript's JSON lines, in order.
 * - `P{index}:order` — ZSET, all scores 0, members `<17-digit inverted lastActive ms>:<name>`, so the
 *   lexicographic order of members is the listing order (newest first, ties by name).
 * - `P{index}:members` — HASH: `<name>` → that session's current member in `P{index}:order`.
 *
 * The `{…}` hash tags put both keys of one session in one Cluster slot. With a plain client, one Lua script
 * per save checks the stored head (by sha1), appends the new messages (or replaces the list after
 * `clear()`), writes the head, sets or clears the expiry and updates the index, atomically. With a Cluster
 * client the index lives in another slot and is updated by a second script right after.
 *
 * Round trips: a save is one script call when this storage object last saved or loaded that revision of
 * the session, else a GET of the head plus the script. `load` is one script call (head, messages, and the
 * expiry extension, read at one instant). `list` reads the index and the heads of one page (pipelined), never a message list.
 *
 * Expiry (`ttlSeconds`): every key of the session gets one absolute expiry on every save (and load, with
 * `slidingTtl`); a transcript append gives its keys the head's expiry.
 * The index has none; `list()` drops entries whose session has expired as it meets them.
 */
export class RedisSessionStorage implements SessionStorage {
  readonly prefix: string;
  readonly ttlSeconds: number | undefined;
  readonly slidingTtl: boolean;
  readonly timeoutMs: number;
  private readonly client: RedisClient;
  private readonly scripts: SessionScripts;
  private readonly cluster: boolean;
  private readonly ttlMs: number;
  private readonly bases = new BasisCache();

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
  }

  async save(state: SessionState, name?: string): Promise<string> {
    const key = resolveSaveName(state, name);
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
          const messages = state.messages
            .slice(plan.mode === 'append' ? plan.from : 0)
            .map((m) => JSON.stringify(toWireMessage(m)));
          const member = indexMember(state.metadata.lastActive.getTime(), key);
          if (deadline.passed()) throw new Error('the deadline passed before the save was sent');
          const result = await this.scripts
            .save(
              this.scriptKeys(keys),
              { expectedSha: basis.sha, mode: plan.mode, head, ttlMs: this.ttlMs, name: key, member },
              messages,
            )
            .catch(corruptIfWrongType(key, keys));
          // The caller was told the outcome is unknown; a reply that comes later changes nothing it holds.
          if (deadline.passed()) throw new Error('the reply came after the deadline');
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
            if (this.cluster) await this.putIndexAfterSave(key, member, state.revision);
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
      const stored = await this.scripts
        .load([keys.head, keys.messages, keys.transcripts], ttl)
        .catch(corruptIfWrongType(key, keys));
      if (stored === undefined) throw new SessionNotFoundError(key, { where: `Redis (key ${keys.head})` });
      const ctx = { name: key, location: keys.head };
      const state = assembleState(stored.head, stored.messages, ctx);
      this.bases.set(key, basisOf(stored.head, ctx));
      return state;
    });
  }

  /** Newest `lastActive` first, ties by name; reads the index and heads only. See the class notes on expiry. */
  async list(options?: ListOptions): Promise<SessionInfo[]> {
    return withAvailability(this.client, this.timeoutMs, 'list()', async () => {
      return (await walkIndex(this.indexContext(), options)).infos;
    });
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
   * dropped. `list()` does the same for the entries it reads, so this is only needed by applications that
   * use `ttlSeconds` and rarely list.
   */
  async pruneIndex(): Promise<number> {
    return withAvailability(this.client, this.timeoutMs * 10, 'pruneIndex()', async () => {
      return (await walkIndex(this.indexContext(), undefined)).dropped;
    });
  }

  /** Nothing to release: the client belongs to the caller, who closes it (`client.quit()`). */
  async close(): Promise<void> {}

  /**
   * Stores `entries` (the CLI's transcript lines) as lines `fromLine`, `fromLine + 1`, … of the transcript of
   * `claudeSessionId`; lines already stored there stay as they are. They expire and are removed with the
   * session.
   *
   * @throws SessionNotFoundError when the session is not stored; InvalidArgumentError when `fromLine` is
   *   beyond the stored lines (a gap) or not a non-negative integer.
   */
  async appendTranscript(
    name: string,
    claudeSessionId: string,
    entries: readonly unknown[],
    fromLine: number,
  ): Promise<void> {
    const key = normalizeSessionName(name);
    const id = checkTranscriptArgs(key, claudeSessionId, fromLine);
    return withAvailability(this.client, this.timeoutMs, `appendTranscript("${key}")`, () =>
      appendTranscriptLines(this.scripts, this.prefix, key, id, entries, fromLine),
    );
  }

  /** Every stored line in order, or `null` when no transcript is stored for that id. */
  async loadTranscript(name: string, claudeSessionId: string): Promise<unknown[] | null> {
    const key = normalizeSessionName(name);
    const id = checkTranscriptArgs(key, claudeSessionId);
    return withAvailability(this.client, this.timeoutMs, `loadTranscript("${key}")`, () =>
      loadTranscriptLines(this.scripts, this.prefix, key, id),
    );
  }

  private scriptKeys(keys: SessionKeys): string[] {
    const session = [keys.head, keys.messages, keys.transcripts];
    if (this.cluster) return session;
    const { order, members } = indexKeys(this.prefix);
    return [...session, order, members];
  }

  private indexContext(): IndexContext {
    return { client: this.client, scripts: this.scripts, prefix: this.prefix, cluster: this.cluster };
  }

  private async putIndexAfterSave(key: string, member: string, revision: number): Promise<void> {
    const { order, members } = indexKeys(this.prefix);
    try {
      await this.scripts.putIndex([order, members], key, member);
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
