import type { S3Client } from '@aws-sdk/client-s3';
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
  UnsupportedFormatError,
  type WriteOptions,
} from '@channelcoder/session-core';
import {
  acquireLease,
  assembleState,
  assertRevision,
  createLeaseHandle,
  deserializeState,
  fencingToken,
  type LeaseAttempt,
  readLeaseOptions,
  resolveSaveName,
  sessionProjectKey,
  toWireMessage,
} from '@channelcoder/session-core/storage-kit';
import { mapBounded } from './bounded-parallel.js';
import {
  type HeadLease,
  isLeaseOnly,
  isLive,
  KIND_METADATA,
  LEASE_ONLY_KIND,
  leaseOf,
  parseHeadJson,
  withLease,
} from './head-lease.js';
import { headText, readStoredHead, type StoredHead } from './head-record.js';
import {
  indexedHeadOf,
  indexKeyFor,
  namePath,
  parseIndexKey,
  parseNamedKey,
  unverifiedIndexKey,
} from './index-entry.js';
import { KeyLayout, type PartRef, partIdOfKey, partSequence } from './keys.js';
import { ObjectStore } from './object-store.js';
import { planParts } from './part-plan.js';
import { type ListingContext, listSessions, namedKeysFor } from './session-listing.js';
import { TranscriptChunks } from './transcripts.js';
import { S3Trash, trashedAsOf } from './trash.js';

export interface S3SessionStorageOptions {
  /** An already-configured client (region, credentials, endpoint, timeouts, retries). Never destroyed here. */
  client: S3Client;
  /** The bucket; it must exist. */
  bucket: string;
  /** Key prefix of everything this storage writes; default `'channelcoder/'`. A missing trailing `/` is added. */
  prefix?: string;
  /** Merge a session's part objects into one once a save would leave more than this many; default 16. */
  compactAfterParts?: number;
  /**
   * Upper bound in milliseconds for one S3 call including the SDK's retries; default 30,000. Past it the
   * operation fails with `StorageUnavailableError`, whatever the client's own timeouts are. Calls that start
   * within a tenth of it (at most 1 s) share one abort timer, so a call may run up to that much longer.
   */
  callTimeoutMs?: number;
}

const PARALLEL_READS = 8;
const MAX_LOAD_ATTEMPTS = 10;
/** Head writes refused only because a lease write (a renew, say) changed the head meanwhile are retried. */
const MAX_HEAD_WRITE_ATTEMPTS = 10;
const LEASE_ONLY_METADATA = { [KIND_METADATA]: LEASE_ONLY_KIND };
/**
 * A lease this storage object holds with at least this long to run (by this process's clock) is trusted by
 * fenced transcript appends without reading the head: another holder can take it only after it expires,
 * and this margin absorbs clock skew between writers (see the README's lease section).
 */
const LEASE_TRUST_MS = 10_000;

/** The head object as stored: a session's head (`stored`) or a lease-only head (`stored` undefined). */
interface HeadRecord {
  etag: string;
  doc: Record<string, unknown>;
  stored: StoredHead | undefined;
  lease: HeadLease | undefined;
}

/**
 * Sessions in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO).
 *
 * Key layout (`<p>` is the prefix, `<name>` a validated session name):
 * - `<p>sessions/<name>/head.json`: the head: the session without its messages, plus the ordered list of
 *   the part objects that hold them (`parts: [{ id, count }]`). It is the truth for everything else.
 * - `<p>sessions/<name>/parts/<seq>-<nonce>.jsonl`: messages, one JSON per line. `<seq>` (10 digits) is the
 *   revision whose save wrote the part. The order of messages is the order of `parts` in the head, never
 *   a clock, so writers with skewed clocks cannot reorder a session.
 * - `<p>index/<inverted lastActive>!<name>!/<metadata>`: one empty object per session whose key carries the
 *   listing metadata, so `list()` is one ListObjectsV2 call per page, newest first (see index-entry.ts).
 * - `<p>sessions/<name>/transcripts/<claude session id>/<seq>.part`: transcript lines, one compressed
 *   part per append, numbered by conditional writes (see transcripts.ts).
 *
 * A save reads the head, uploads the new messages as one part, then writes the head with a conditional PUT
 * (`IfNoneMatch: '*'` to create, `IfMatch: <etag>` to replace): of two writers on one revision exactly one
 * wins and the other gets `SessionConflictError`. Then it moves the index entry. Once a session has more
 * than `compactAfterParts` parts, the save writes all messages as one new part instead, switches the head
 * to it and only then deletes the old parts: a load reads exactly the parts its head names and, if one
 * vanished under it, reads the new head again, so it never sees a partial session.
 *
 * Leases (DESIGN 10) live in the head object (see head-lease.ts): acquire, renew and release are conditional
 * PUTs of the head, and a save with `{ lease }` checks the lease in the head it read and writes the new head
 * conditionally on that head's ETag, so a lease taken by another holder meanwhile (which changed the ETag)
 * refuses the save with LeaseLostError. Expiry is judged by the writers' clocks.
 *
 * Unreferenced parts (from a failed save or a cleanup that could not finish) never affect a load; the next
 * compaction and `remove()` delete them.
 */
export class S3SessionStorage implements SessionStorage {
  readonly bucket: string;
  readonly prefix: string;
  private readonly keys: KeyLayout;
  private readonly objects: ObjectStore;
  private readonly compactAfterParts: number;
  /** `list({ projectKey })` reads only that project's entries (`by-project/`, see index-entry.ts). */
  readonly listFilters: readonly ListFilter[] = ['projectKey'];
  /** Transcript appends honour `dedupe: 'uuid'` (see `appendTranscript`). */
  readonly transcriptAppendModes: readonly TranscriptAppendMode[] = ['uuid'];
  private readonly transcripts: TranscriptChunks;
  private readonly trash: S3Trash;
  /** What `list()` needs; `indexState` remembers that the name-ordered entries are complete. */
  private readonly listing: ListingContext;

  constructor(options: S3SessionStorageOptions) {
    const {
      client,
      bucket,
      prefix = 'channelcoder/',
      compactAfterParts = 16,
      callTimeoutMs = 30_000,
    } = options;
    if (typeof client?.send !== 'function')
      throw new InvalidArgumentError('S3SessionStorage: client must be an S3Client');
    if (typeof bucket !== 'string' || bucket === '')
      throw new InvalidArgumentError('S3SessionStorage: bucket is required');
    if (typeof prefix !== 'string')
      throw new InvalidArgumentError('S3SessionStorage: prefix must be a string');
    if (!Number.isInteger(compactAfterParts) || compactAfterParts < 1) {
      throw new InvalidArgumentError('S3SessionStorage: compactAfterParts must be a positive integer');
    }
    if (!Number.isFinite(callTimeoutMs) || callTimeoutMs <= 0) {
      throw new InvalidArgumentError('S3SessionStorage: callTimeoutMs must be a positive number');
    }
    this.bucket = bucket;
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.keys = new KeyLayout(this.prefix);
    this.objects = new ObjectStore(client, bucket, callTimeoutMs);
    this.compactAfterParts = compactAfterParts;
    this.transcripts = new TranscriptChunks(this.objects, this.keys);
    this.listing = {
      objects: this.objects,
      keys: this.keys,
      indexState: { complete: false },
      projectKeyOf: (stored) => sessionProjectKey(stored.info),
      pathOf: (n) => this.pathOf(n),
      readHead: (n, op) => this.readHead(n, op),
    };
    this.trash = new S3Trash({
      objects: this.objects,
      keys: this.keys,
      pathOf: (n) => this.pathOf(n),
      indexKeysOf: (n, stored) => this.indexKeysOf(n, stored),
      indexKeysByName: (n, op) => this.indexKeysByName(n, op),
      assertLease: (n, lease, current) => this.assertLease(n, lease, current),
    });
  }

  /**
   * Moves the session (head, parts, transcripts) into the trash: server-side copies to `<p>trash/<id>/`,
   * the entry `<p>trash-entries/<id>.json`, then a conditional write of the head that commits the move,
   * then cleanup (see the README's Trash section: a crash at any point loses nothing, and whoever meets a
   * half-done move completes it). Resolves undefined when nothing is stored; honours `options.lease`.
   *
   * @throws LeaseLostError (nothing moved); SessionCorruptError for a head that does not validate;
   *   StorageUnavailableError.
   */
  async moveToTrash(name: string, options?: TrashOptions): Promise<TrashEntry | undefined> {
    const key = normalizeSessionName(name);
    this.transcripts.forget(key);
    return this.trash.moveToTrash(key, options);
  }

  /** Unexpired trash entries, newest `trashedAt` first (ties by id); one GET per entry. */
  async listTrash(options?: TrashListOptions): Promise<TrashEntry[]> {
    return this.trash.listTrash(options);
  }

  /**
   * Copies the entry's objects back under its name (or `options.name`), writes the head conditionally and
   * deletes the entry.
   *
   * @throws SessionNotFoundError when no unexpired entry has that id; SessionConflictError (reason
   *   'name-taken') when a session is stored under the target name (its head is left as it is).
   */
  async restoreFromTrash(id: string, options?: TrashRestoreOptions): Promise<string> {
    const name = await this.trash.restoreFromTrash(id, options);
    this.transcripts.forget(name);
    return name;
  }

  /** Deletes the entry `options.id`, else every expired one (`options.all`: every one); resolves how many. */
  async purgeTrash(options?: TrashPurgeOptions): Promise<number> {
    return this.trash.purgeTrash(options);
  }

  /**
   * Stores the state (see the class comment for the requests) and returns its name. On success the stored
   * revision and `state.revision` become `state.revision + 1`.
   *
   * @throws SessionConflictError when the stored revision is not `state.revision` or another writer won the
   *   conditional write; SessionCorruptError / UnsupportedFormatError when the stored head cannot be read
   *   (remove the session to overwrite it); StorageUnavailableError.
   */
  async save(state: SessionState, name?: string, options?: WriteOptions): Promise<string> {
    const key = resolveSaveName(state, name);
    fencingToken(key, options); // a lease of another session is refused as lost
    const lease = options?.lease;
    let record = await this.readHeadRecord(key, 'save');
    let stored = record?.stored;
    if (lease !== undefined) this.assertLease(key, lease, record?.lease);
    assertRevision(key, stored?.info.revision, state);
    const revision = state.revision + 1;
    const write = planParts(stored, state, revision, this.compactAfterParts);

    const partKey = write.newPart === undefined ? undefined : this.keys.partKey(key, write.newPart.id);
    if (partKey !== undefined && write.newPart !== undefined) {
      const lines = write.newPart.messages.map((m) => `${JSON.stringify(toWireMessage(m))}\n`).join('');
      await this.objects.put(partKey, lines, 'application/x-ndjson', 'save');
    }
    const writeId = globalThis.crypto.randomUUID();
    const dropPart = () =>
      partKey === undefined ? Promise.resolve() : this.objects.delete(partKey, 'save').catch(() => undefined);
    for (let attempt = 1; ; attempt++) {
      // The head carries the lease on: a save never changes who holds it.
      const text = headText(state, revision, write.parts, writeId, record?.lease);
      const committed = await this.objects.put(
        this.keys.headKey(key),
        text,
        'application/json',
        'save',
        record === undefined ? { ifNoneMatch: '*' } : { ifMatch: record.etag },
      );
      if (committed !== 'precondition-failed') {
        if (lease !== undefined) this.leaseHeads.set(lease, { etag: committed.etag, text });
        break;
      }
      const now = await this.readHeadRecord(key, 'save').catch(() => undefined);
      // A retried PUT whose first attempt did commit is refused by its own condition: that is a success.
      if (now?.stored?.writeId === writeId) break;
      if (lease !== undefined && !isCurrent(lease, now?.lease)) {
        this.doubtedLeases.add(lease);
        await dropPart();
        throw new LeaseLostError(key, lease.token);
      }
      // Only the lease changed (a renew, or a lease taken by an unfenced writer's side): same revision, retry.
      const sameBase = now !== undefined && (now.stored?.info.revision ?? 0) === state.revision;
      if (!sameBase || attempt === MAX_HEAD_WRITE_ATTEMPTS) {
        await dropPart();
        throw new SessionConflictError(key, state.revision, now?.stored?.info.revision ?? 0);
      }
      record = now;
      stored = now.stored;
    }
    state.revision = revision;

    await this.moveIndexEntry(key, stored, state, revision);
    if (write.replacesParts) await this.collectParts(key, revision, write.parts);
    return key;
  }

  /**
   * Reads the head and exactly the parts it names (in parallel), and assembles them.
   *
   * @throws SessionNotFoundError when there is no head; SessionCorruptError for a damaged head or part, or a
   *   part the head names that is gone; UnsupportedFormatError; StorageUnavailableError.
   */
  async load(name: string): Promise<SessionState> {
    const key = normalizeSessionName(name);
    const ctx = { name: key, location: this.pathOf(key) };
    let previousEtag: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const stored = await this.readHead(key, 'load');
      if (stored === undefined)
        throw new SessionNotFoundError(key, { where: `s3://${this.bucket}/${this.prefix}` });
      if (stored.layout.kind === 'inline') return deserializeState(stored.doc, ctx);
      const texts = await mapBounded(stored.layout.parts, PARALLEL_READS, (p) =>
        this.objects.getText(this.keys.partKey(key, p.id), 'load'),
      );
      const missing = texts.indexOf(undefined);
      if (missing === -1) {
        const lines = texts.flatMap((t) => (t?.text ?? '').split('\n').filter((l) => l !== ''));
        return assembleState(stored.doc, lines, ctx);
      }
      // A compaction replaced the head after we read it: read the new one. Same head twice: the part is gone.
      if (stored.etag === previousEtag) {
        const id = stored.layout.parts[missing]?.id ?? '';
        throw new SessionCorruptError(key, 'parts', `name the object ${id} that does not exist`, ctx);
      }
      if (attempt === MAX_LOAD_ATTEMPTS) {
        const busy = new Error(`the session was compacted during each of ${attempt} reads`);
        throw new StorageUnavailableError('S3', 'load', busy);
      }
      previousEtag = stored.etag;
    }
  }

  /**
   * Newest `lastActive` first (ties by name), from the index: one ListObjectsV2 call per page of up to 1,000
   * entries, a head read only for entries that need checking. `prefix` filters names while paging. Damaged
   * sessions are listed with `error`.
   */
  async list(options?: ListOptions): Promise<SessionInfo[]> {
    return listSessions(this.listing, options);
  }

  /**
   * Deletes the index entry, the head, then every other object of the session (parts, transcripts, leftovers).
   * Resolves false when there was no head. Works on damaged sessions too.
   */
  async remove(name: string): Promise<boolean> {
    const key = normalizeSessionName(name);
    this.transcripts.forget(key);
    let stored: StoredHead | 'unreadable' | undefined;
    let lease: HeadLease | undefined;
    try {
      const record = await this.readHeadRecord(key, 'remove');
      stored = record?.stored;
      lease = record?.lease;
    } catch (err) {
      if (!SessionCorruptError.is(err) && !UnsupportedFormatError.is(err)) throw err;
      stored = 'unreadable';
    }
    if (stored === undefined) return false;
    const entries =
      stored === 'unreadable' ? await this.indexKeysByName(key, 'remove') : this.indexKeysOf(key, stored);
    await mapBounded(entries, PARALLEL_READS, (k) => this.objects.delete(k, 'remove'));
    const headKey = this.keys.headKey(key);
    // A leased name keeps a lease-only head, so its lease (and the growth of its tokens) outlives the session.
    if (lease === undefined) await this.objects.delete(headKey, 'remove');
    else
      await this.objects.put(headKey, withLease(undefined, lease), 'application/json', 'remove', undefined, {
        ...LEASE_ONLY_METADATA,
      });
    const rest = (await this.objects.listAllKeys(this.keys.sessionFolder(key), 'remove')).filter(
      (k) => k !== headKey,
    );
    await mapBounded(rest, PARALLEL_READS, (k) => this.objects.delete(k, 'remove'));
    return true;
  }

  /** True when the session has a head (even a damaged one). One HEAD request. */
  async exists(name: string): Promise<boolean> {
    const metadata = await this.objects.metadata(this.keys.headKey(normalizeSessionName(name)), 'exists');
    return metadata !== undefined && metadata[KIND_METADATA] !== LEASE_ONLY_KIND;
  }

  /**
   * Stores transcript lines `fromLine`… of `claudeSessionId` (the CLI's JSONL entries) with the session,
   * uploading only lines not stored yet, compressed, as one numbered part created with `If-None-Match: *`:
   * one PUT per append whatever the transcript's length (see transcripts.ts; the first append of a
   * transcript in a process reads it first, and another writer's appends cost a LIST and their GETs). With
   * `options.dedupe: 'uuid'` the entries go after what is stored and those whose `uuid` is stored already
   * are skipped. Removed with the session.
   *
   * @throws SessionNotFoundError; InvalidArgumentError for a gap (`fromLine` past the stored count).
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
    const lease = options?.lease;
    if (lease !== undefined && !this.holdsForSure(key, lease)) {
      // Transcript parts are objects of their own: the lease is checked in the head just before the append
      // (not atomically with it, unlike saves; see the README's lease section).
      const record = await this.readHeadRecord(key, 'appendTranscript');
      if (record?.stored === undefined)
        throw new SessionNotFoundError(key, { where: `s3://${this.bucket}/${this.prefix}` });
      this.assertLease(key, lease, record.lease);
    }
    await this.transcripts.append(key, claudeSessionId, entries, fromLine, options);
  }

  /** All stored lines in order, or `null` when none are stored for that id (or there is no such session). */
  async loadTranscript(name: string, claudeSessionId: string): Promise<unknown[] | null> {
    return this.transcripts.load(normalizeSessionName(name), claudeSessionId);
  }

  /**
   * Deletes every line of one transcript: one conditional PUT of a deletion marker as its next part (from
   * then on loads return `null` for it), then the deletion of the objects before the marker. Other
   * transcripts and the session are unchanged. Resolves false when no line was stored (or no session).
   * With `options.lease`, the lease is checked in the head just before the marker is written.
   *
   * @throws LeaseLostError (nothing deleted); InvalidArgumentError for a bad id; StorageUnavailableError.
   */
  async deleteTranscript(
    name: string,
    claudeSessionId: string,
    options?: DeleteTranscriptOptions,
  ): Promise<boolean> {
    const key = normalizeSessionName(name);
    fencingToken(key, options);
    const record = await this.readHeadRecord(key, 'deleteTranscript');
    if (options?.lease !== undefined) this.assertLease(key, options.lease, record?.lease);
    if (record?.stored === undefined) return false;
    return this.transcripts.delete(key, claudeSessionId);
  }

  /**
   * The stored revision, from one GET of the head (a few hundred bytes; never the messages), or `null` when
   * no session is stored under the name (none, a lease-only head, or one being moved to the trash).
   *
   * @throws SessionCorruptError / UnsupportedFormatError for a head that does not validate;
   *   StorageUnavailableError.
   */
  async readRevision(name: string): Promise<number | null> {
    const key = normalizeSessionName(name);
    const found = await this.objects.getText(this.keys.headKey(key), 'readRevision');
    if (found === undefined) return null;
    const location = this.pathOf(key);
    const doc = parseHeadJson(key, found.text, location);
    if (isLeaseOnly(doc)) return null; // includes a committed move to the trash
    return readStoredHead(key, found.text, found.etag, location).info.revision;
  }

  /**
   * The current unexpired lease from one GET of the head, or `null` (none, released or expired; judged by
   * this process's clock). Never takes or extends it.
   *
   * @throws SessionCorruptError for a head that is not JSON; StorageUnavailableError.
   */
  async peekLease(name: string): Promise<LeaseInfo | null> {
    const key = normalizeSessionName(name);
    const found = await this.objects.getText(this.keys.headKey(key), 'peekLease');
    if (found === undefined) return null;
    const current = leaseOf(parseHeadJson(key, found.text, this.pathOf(key)));
    if (current === undefined || !isLive(current)) return null;
    return { holder: current.holder, token: current.token, expiresAt: new Date(current.expiresAt) };
  }

  /** Nothing to release: the client belongs to the caller. */
  async close(): Promise<void> {}

  private pathOf(name: string): string {
    return `s3://${this.bucket}/${this.keys.headKey(name)}`;
  }

  private async readHead(name: string, operation: string): Promise<StoredHead | undefined> {
    return (await this.readHeadRecord(name, operation))?.stored;
  }

  /** The head object, session or lease-only, or undefined when there is none. @throws SessionCorruptError */
  private async readHeadRecord(name: string, operation: string): Promise<HeadRecord | undefined> {
    let found = await this.objects.getText(this.keys.headKey(name), operation);
    if (found === undefined) return undefined;
    const location = this.pathOf(name);
    let doc = parseHeadJson(name, found.text, location);
    // A move to the trash committed here and is not finished: finish it before anyone writes this head.
    for (let settled = 0, id = trashedAsOf(doc); id !== undefined && settled < 3; settled++) {
      await this.trash.finishMove(name, id, operation);
      found = await this.objects.getText(this.keys.headKey(name), operation);
      if (found === undefined) return undefined;
      doc = parseHeadJson(name, found.text, location);
      id = trashedAsOf(doc);
    }
    const stored = isLeaseOnly(doc) ? undefined : readStoredHead(name, found.text, found.etag, location);
    return { etag: found.etag, doc, stored, lease: leaseOf(doc) };
  }

  /** @throws LeaseLostError unless `lease` is the one the head carries and it has not expired. */
  private assertLease(name: string, lease: SessionLease, current: HeadLease | undefined): void {
    const lost = (why: string) => {
      this.doubtedLeases.add(lease);
      return new LeaseLostError(name, lease.token, why);
    };
    if (current === undefined || current.token !== lease.token)
      throw lost('another holder took it or it was released');
    if (!isLive(current)) throw lost('it expired');
  }

  /**
   * True when `lease` is one this storage object took for `name`, has not been released or found lost, and
   * by this process's clock stays valid for at least {@link LEASE_TRUST_MS}: no other holder can take it
   * before then, so a fenced transcript append skips the head read (the check is not atomic anyway).
   */
  private holdsForSure(name: string, lease: SessionLease): boolean {
    return (
      lease.name === name &&
      this.leaseHeads.has(lease) &&
      !this.doubtedLeases.has(lease) &&
      lease.expiresAt.getTime() - Date.now() >= LEASE_TRUST_MS
    );
  }

  /** Leases released, or seen lost, through this storage object: fenced appends read the head again. */
  private readonly doubtedLeases = new WeakSet<SessionLease>();

  /** The head each held lease last wrote or saw (renew and release try it first: one PUT). */
  private readonly leaseHeads = new WeakMap<SessionLease, { etag: string; text: string }>();

  /**
   * Takes the session's lease (DESIGN 10), waiting up to `waitMs`: a read of the head and a conditional PUT
   * of it with the new lease (a lease-only head when there is no session yet). Expiry is judged by this
   * process's clock.
   *
   * @throws SessionBusyError when another holder keeps it past `waitMs`; SessionCorruptError for a damaged
   *   head; StorageUnavailableError.
   */
  async lease(name: string, options?: LeaseOptions): Promise<SessionLease> {
    const key = normalizeSessionName(name);
    const { ttlMs, holder, waitMs, signal } = readLeaseOptions(options);
    const headKey = this.keys.headKey(key);
    const attempt = async (): Promise<LeaseAttempt<SessionLease>> => {
      for (;;) {
        const record = await this.readHeadRecord(key, 'lease');
        const now = Date.now();
        const current = record?.lease;
        if (current !== undefined && isLive(current, now)) {
          return { busy: { holder: current.holder, expiresAt: new Date(current.expiresAt) } };
        }
        const lease: HeadLease = {
          token: (current?.token ?? 0) + 1,
          holder,
          expiresAt: now + ttlMs,
          id: globalThis.crypto.randomUUID(),
        };
        const text = withLease(record?.stored === undefined ? undefined : record.doc, lease);
        const put = await this.objects.put(
          headKey,
          text,
          'application/json',
          'lease',
          record === undefined ? { ifNoneMatch: '*' } : { ifMatch: record.etag },
          record?.stored === undefined ? LEASE_ONLY_METADATA : undefined,
        );
        if (put === 'precondition-failed') {
          // The head changed under us; a retried PUT of ours that landed shows our own lease id.
          const now = await this.readHeadRecord(key, 'lease');
          if (now?.lease?.id !== lease.id) continue;
          return { acquired: this.leaseHandle(key, lease, ttlMs, { etag: now.etag, text }) };
        }
        return { acquired: this.leaseHandle(key, lease, ttlMs, { etag: put.etag, text }) };
      }
    };
    return acquireLease(key, { waitMs, ...(signal ? { signal } : {}) }, attempt);
  }

  private leaseHandle(
    name: string,
    taken: HeadLease,
    ttlMs: number,
    head: { etag: string; text: string },
  ): SessionLease {
    const handle: SessionLease = createLeaseHandle({
      name,
      token: taken.token,
      holder: taken.holder,
      expiresAt: new Date(taken.expiresAt),
      ttlMs,
      renew: async (ms) => {
        let expiresAt = 0;
        const done = await this.rewriteLease(handle, (current) => {
          this.assertLease(name, handle, current);
          expiresAt = Date.now() + ms;
          return { ...current, expiresAt } as HeadLease;
        });
        if (!done) throw new LeaseLostError(name, taken.token, 'the session head is gone');
        return new Date(expiresAt);
      },
      release: async () => {
        this.doubtedLeases.add(handle);
        await this.rewriteLease(handle, (current) =>
          current?.token === taken.token && current.id === taken.id
            ? { ...current, expiresAt: 0 }
            : undefined,
        );
      },
    });
    this.leaseHeads.set(handle, head);
    return handle;
  }

  /**
   * Rewrites the head with `change(current lease)` conditionally on its ETag, trying the head this lease
   * last wrote first and reading it again when that one is stale. `change` returning undefined writes
   * nothing. Resolves false when there is no head.
   */
  private async rewriteLease(
    lease: SessionLease,
    change: (current: HeadLease | undefined) => HeadLease | undefined,
  ): Promise<boolean> {
    const headKey = this.keys.headKey(lease.name);
    let known = this.leaseHeads.get(lease);
    for (let attempt = 1; ; attempt++) {
      let etag: string;
      let doc: Record<string, unknown>;
      if (known !== undefined) {
        etag = known.etag;
        doc = JSON.parse(known.text) as Record<string, unknown>;
      } else {
        const record = await this.readHeadRecord(lease.name, 'lease');
        if (record === undefined) return false;
        etag = record.etag;
        doc = record.doc;
      }
      const next = change(leaseOf(doc));
      if (next === undefined) return true;
      const leaseOnly = isLeaseOnly(doc);
      const text = withLease(leaseOnly ? undefined : doc, next);
      const put = await this.objects.put(
        headKey,
        text,
        'application/json',
        'lease',
        { ifMatch: etag },
        leaseOnly ? LEASE_ONLY_METADATA : undefined,
      );
      if (put !== 'precondition-failed') {
        this.leaseHeads.set(lease, { etag: put.etag, text });
        return true;
      }
      if (attempt === MAX_HEAD_WRITE_ATTEMPTS)
        throw new StorageUnavailableError(
          'S3',
          'lease',
          new Error(`the head of "${lease.name}" changed during each of ${attempt} lease writes`),
        );
      known = undefined;
    }
  }

  /**
   * The listing entries a stored head may have: time-ordered (an inline document may have been indexed
   * unverified), then name-ordered (`by-name/`, and `by-project/` with a cwd; see index-entry.ts).
   */
  private indexKeysOf(name: string, stored: StoredHead): string[] {
    const folder = this.keys.indexFolder();
    const indexed = indexedHeadOf(stored.info, stored.info.messageCount);
    const key = indexKeyFor(folder, name, indexed);
    const unverified = unverifiedIndexKey(folder, name, stored.info.metadata.lastActive);
    const named = namedKeysFor(this.keys, name, indexed, sessionProjectKey(stored.info));
    return stored.layout.kind === 'parts' || key === unverified
      ? [key, ...named]
      : [key, unverified, ...named];
  }

  /**
   * Every listing entry stored under `name`, found by listing (for a head that does not validate, so
   * does not say which it has): the time-ordered index and the project folders are listed whole.
   */
  private async indexKeysByName(name: string, operation: string): Promise<string[]> {
    const index = this.keys.indexFolder();
    const names = this.keys.namesFolder();
    const projects = this.keys.projectsFolder();
    const [timed, named, projected] = await Promise.all([
      this.objects.listAllKeys(index, operation),
      this.objects.listAllKeys(`${names}${namePath(name)}!`, operation),
      this.objects.listAllKeys(projects, operation),
    ]);
    return [
      ...timed.filter((k) => parseIndexKey(index, k)?.name === name),
      ...named.filter((k) => parseNamedKey(names, k)?.name === name),
      ...projected.filter((k) => {
        const folder = k.slice(0, k.indexOf('/', projects.length) + 1);
        return parseNamedKey(folder, k)?.name === name;
      }),
    ];
  }

  private async moveIndexEntry(
    name: string,
    stored: StoredHead | undefined,
    state: SessionState,
    revision: number,
  ): Promise<void> {
    const operation = `save (revision ${revision} of "${name}" is stored; moving its listing entry failed)`;
    const indexed = indexedHeadOf({ ...state, revision }, state.messages.length);
    const next = [
      indexKeyFor(this.keys.indexFolder(), name, indexed),
      ...namedKeysFor(this.keys, name, indexed, sessionProjectKey(state)),
    ];
    const old = stored === undefined ? [] : this.indexKeysOf(name, stored).filter((k) => !next.includes(k));
    await Promise.all(next.map((k) => this.objects.put(k, '', 'application/octet-stream', operation)));
    const [now] = await Promise.all([
      this.readHead(name, operation).then(
        (head) => ({ head }),
        () => 'unknown' as const, // keep the entry; a listing that meets it checks it against the head
      ),
      ...old.map((k) => this.objects.delete(k, operation)),
    ]);
    // A writer that saved the next revision (or a remove) before our entry landed has already moved "its" old
    // entry, ours, which did not exist yet: without this check ours would stay behind as a stale entry.
    if (now === 'unknown' || now.head?.info.revision === revision) return;
    const current = now.head === undefined ? [] : this.indexKeysOf(name, now.head);
    await Promise.all(next.filter((k) => !current.includes(k)).map((k) => this.objects.delete(k, operation)));
  }

  /**
   * After a compaction or a rewrite: deletes the parts the head no longer names. Only parts with a sequence
   * up to this revision: a higher one belongs to a save based on the new head that is still in flight.
   * A failure here leaves unreferenced objects that loads never read and the next compaction deletes.
   */
  private async collectParts(name: string, revision: number, keep: PartRef[]): Promise<void> {
    const folder = this.keys.partsFolder(name);
    const kept = new Set(keep.map((p) => p.id));
    try {
      const keys = await this.objects.listAllKeys(folder, 'save');
      const garbage = keys.filter((k) => {
        const id = partIdOfKey(folder, k);
        const seq = id === undefined ? undefined : partSequence(id);
        return id !== undefined && seq !== undefined && !kept.has(id) && seq <= revision;
      });
      await mapBounded(garbage, PARALLEL_READS, (k) => this.objects.delete(k, 'save'));
    } catch {
      // See above: the garbage stays until the next compaction or remove().
    }
  }
}

/** True when the head's lease is still `lease` (same acquisition) and unexpired. */
function isCurrent(lease: SessionLease, current: HeadLease | undefined): boolean {
  return current !== undefined && current.token === lease.token && isLive(current);
}
