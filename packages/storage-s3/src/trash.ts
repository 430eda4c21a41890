/**
 * The trash (optional capability). S3 has no multi-object transaction, so a move is several requests,
 * ordered so that a crash at any point never loses the session:
 *
 * 1. copy every object of the session (parts, transcripts) to `<p>trash/<id>/…` (server-side copies) and
 *    the head it read to `<p>trash/<id>/head.json`;
 * 2. write the entry `<p>trash-entries/<id>.json` in state `pending`, naming the ETag of that head;
 * 3. commit: replace the head, conditionally on that ETag, with a *tombstone* (a lease-only head, so
 *    load/list/exists see no session, carrying `trashedAs: <id>` and the lease if any). A save or another
 *    move that changed the head first makes this fail: the mover deletes its entry and copies and starts
 *    again from what is stored;
 * 4. mark the entry `done`, copy the transcripts again (an append that landed meanwhile), delete the
 *    session's listing entry and the live objects it copied, and replace the tombstone by a plain lease-only
 *    head (conditionally).
 *
 * Whoever meets a half-done move completes it: a head read that finds a tombstone (every load, save, lease,
 * exists-by-listing) runs step 4 first, so a tombstone is never overwritten while its entry is `pending`; a
 * `listTrash`, `restoreFromTrash` or `purgeTrash` that finds a `pending` entry commits it when the head is
 * still the one it names (step 3), finishes it when the head is its tombstone, and otherwise deletes it
 * (the move never committed: the session is still stored, as changed by whoever changed it).
 *
 * A restore copies the objects back, writes the head conditionally (`If-None-Match: *`, or `If-Match` on a
 * lease-only head: a session stored meanwhile wins and the restore is refused with name-taken), with the
 * metadata `channelcoder-restored-from: <id>`, adds the listing entry, then deletes the entry and copies. An
 * entry left in state `restoring` whose target head carries that metadata is finished by the next listing.
 */
import {
  normalizeSessionName,
  SessionConflictError,
  SessionCorruptError,
  type SessionInfo,
  type SessionLease,
  type TrashEntry,
  type TrashListOptions,
  type TrashOptions,
  type TrashPurgeOptions,
  type TrashRestoreOptions,
  UnsupportedFormatError,
} from '@channelcoder/session-core';
import {
  compareTrashEntries,
  corruptSessionInfo,
  createTrashEntry,
  fencingToken,
  isTrashExpired,
  isTrashId,
  readTrashListOptions,
  readTrashOptions,
  readTrashPurgeOptions,
  restoreNameTaken,
  sessionInfoFromHead,
  trashEntryFromJSON,
  trashEntryNotFound,
  trashEntryToJSON,
} from '@channelcoder/session-core/storage-kit';
import { mapBounded } from './bounded-parallel.js';
import { type HeadLease, isLeaseOnly, KIND_METADATA, LEASE_ONLY_KIND, leaseOf } from './head-lease.js';
import { readStoredHead, type StoredHead } from './head-record.js';
import { unverifiedIndexKey, unverifiedNamedKey } from './index-entry.js';
import type { KeyLayout } from './keys.js';
import type { ObjectStore } from './object-store.js';

const PARALLEL = 8;
const MAX_MOVE_ATTEMPTS = 5;
const LEASE_ONLY_METADATA = { [KIND_METADATA]: LEASE_ONLY_KIND };
/** Metadata key (without `x-amz-meta-`) on a head written by a restore: the entry it came from. */
export const RESTORED_FROM_METADATA = 'channelcoder-restored-from';

type EntryState = 'pending' | 'done' | 'restoring';

interface StoredEntry {
  entry: TrashEntry;
  state: EntryState;
  /** `pending`: the ETag of the head the copies were made from. */
  headEtag?: string;
  /** `restoring`: the name it is being restored under. */
  restoreTo?: string;
}

export interface TrashDeps {
  objects: ObjectStore;
  keys: KeyLayout;
  pathOf(name: string): string;
  /** The listing entries a stored head may have. */
  indexKeysOf(name: string, stored: StoredHead): string[];
  /** Every listing entry stored under the name, found by listing (for a head that does not validate). */
  indexKeysByName(name: string, operation: string): Promise<string[]>;
  /** @throws LeaseLostError unless `lease` is the head's current, unexpired lease. */
  assertLease(name: string, lease: SessionLease, current: HeadLease | undefined): void;
}

interface RawHead {
  text: string;
  etag: string;
  doc: Record<string, unknown> | undefined;
}

/** The entry id a tombstone head names, or undefined for any other head. */
export function trashedAsOf(doc: Record<string, unknown> | undefined): string | undefined {
  const id = doc?.trashedAs;
  return doc !== undefined && isLeaseOnly(doc) && isTrashId(id) ? id : undefined;
}

export class S3Trash {
  constructor(private readonly d: TrashDeps) {}

  async moveToTrash(key: string, options: TrashOptions | undefined): Promise<TrashEntry | undefined> {
    fencingToken(key, options);
    const settings = readTrashOptions(options);
    const op = `moveToTrash("${key}")`;
    for (let attempt = 1; attempt <= MAX_MOVE_ATTEMPTS; attempt++) {
      let head = await this.rawHead(key, op);
      const tombstone = trashedAsOf(head?.doc);
      if (tombstone !== undefined) {
        await this.finishMove(key, tombstone, op);
        head = await this.rawHead(key, op);
      }
      if (options?.lease !== undefined)
        this.d.assertLease(key, options.lease, head?.doc === undefined ? undefined : leaseOf(head.doc));
      if (head === undefined || (head.doc !== undefined && isLeaseOnly(head.doc))) return undefined;
      const entry = createTrashEntry(key, this.infoOf(key, head), settings);
      const folder = this.d.keys.trashFolder(entry.id);
      await this.copyTree(this.d.keys.sessionFolder(key), folder, op);
      await this.d.objects.put(`${folder}head.json`, head.text, 'application/json', op);
      await this.writeEntry({ entry, state: 'pending', headEtag: head.etag }, op);
      if (await this.commit(key, entry.id, head, op)) {
        await this.finishMove(key, entry.id, op);
        return entry;
      }
      // A save, a lease or another move changed the head first: drop this attempt, start from what is stored.
      await this.discard(entry.id, op);
    }
    throw new SessionConflictError(key, 0, 0, {
      hint: `moveToTrash("${key}") found the session changed by other writers on each of ${MAX_MOVE_ATTEMPTS} attempts; try again.`,
    });
  }

  async listTrash(options?: TrashListOptions): Promise<TrashEntry[]> {
    const { name, limit } = readTrashListOptions(options);
    const now = new Date();
    const listed = (await this.settledEntries('listTrash()'))
      .filter((e) => !isTrashExpired(e, now) && (name === undefined || e.name === name))
      .sort(compareTrashEntries);
    return limit === undefined ? listed : listed.slice(0, limit);
  }

  async restoreFromTrash(id: string, options: TrashRestoreOptions | undefined): Promise<string> {
    const target = options?.name === undefined ? undefined : normalizeSessionName(options.name);
    const op = `restoreFromTrash("${id}")`;
    const found = isTrashId(id) ? await this.settledEntry(id, op) : undefined;
    if (found === undefined || isTrashExpired(found.entry)) throw trashEntryNotFound(id, 'S3');
    const name = target ?? found.entry.name;
    const folder = this.d.keys.trashFolder(id);
    const trashedHead = await this.d.objects.getText(`${folder}head.json`, op);
    if (trashedHead === undefined) throw trashEntryNotFound(id, 'S3');

    const live = await this.settledHead(name, op);
    if (live !== undefined && (live.doc === undefined || !isLeaseOnly(live.doc)))
      throw restoreNameTaken(name, revisionOf(live));
    await this.writeEntry({ ...found, state: 'restoring', restoreTo: name }, op);
    await this.copyTree(folder, this.d.keys.sessionFolder(name), op, (k) => k !== `${folder}head.json`);
    const lease = live?.doc === undefined ? undefined : leaseOf(live.doc);
    const text =
      lease === undefined ? trashedHead.text : JSON.stringify({ ...JSON.parse(trashedHead.text), lease });
    const put = await this.d.objects.put(
      this.d.keys.headKey(name),
      text,
      'application/json',
      op,
      live === undefined ? { ifNoneMatch: '*' } : { ifMatch: live.etag },
      { [RESTORED_FROM_METADATA]: id },
    );
    if (put === 'precondition-failed') {
      const now = await this.d.objects.metadata(this.d.keys.headKey(name), op);
      await this.writeEntry(found, op);
      if (now?.[RESTORED_FROM_METADATA] === id) throw trashEntryNotFound(id, 'S3'); // another restore of it won
      throw restoreNameTaken(name);
    }
    await this.finishRestore(name, id, trashedHead, found.entry, op);
    return name;
  }

  async purgeTrash(options?: TrashPurgeOptions): Promise<number> {
    const { id, all } = readTrashPurgeOptions(options);
    const op = 'purgeTrash()';
    if (id !== undefined) {
      if (!isTrashId(id) || (await this.settledEntry(id, op)) === undefined) return 0;
      await this.discard(id, op);
      return 1;
    }
    const now = new Date();
    const doomed = (await this.settledEntries(op)).filter((e) => all || isTrashExpired(e, now));
    await mapBounded(doomed, PARALLEL, (e) => this.discard(e.id, op));
    return doomed.length;
  }

  /**
   * Step 4 of a move: idempotent, run by the mover and by anyone who meets its tombstone. Marks the entry
   * done, copies the transcripts again, deletes the listing entry and the live objects that have copies,
   * then turns the tombstone into a plain lease-only head.
   */
  async finishMove(name: string, id: string, op: string): Promise<void> {
    const current = await this.readEntry(id, op);
    if (current !== undefined && current.state === 'pending')
      await this.writeEntry({ entry: current.entry, state: 'done' }, op);
    const folder = this.d.keys.trashFolder(id);
    const live = this.d.keys.sessionFolder(name);
    await this.copyTree(`${live}transcripts/`, `${folder}transcripts/`, op);
    const trashedHead = await this.d.objects.getText(`${folder}head.json`, op);
    if (trashedHead !== undefined) {
      let entries: string[];
      try {
        const stored = readStoredHead(name, trashedHead.text, trashedHead.etag, this.d.pathOf(name));
        entries = this.d.indexKeysOf(name, stored);
      } catch (err) {
        if (!SessionCorruptError.is(err) && !UnsupportedFormatError.is(err)) throw err;
        // A damaged head does not say which listing entry it has: find them by name (as remove() does).
        entries = await this.d.indexKeysByName(name, op);
      }
      await mapBounded(entries, PARALLEL, (k) => this.d.objects.delete(k, op));
    }
    const copies = (await this.d.objects.listAllKeys(folder, op)).filter((k) => k !== `${folder}head.json`);
    await mapBounded(copies, PARALLEL, (k) => this.d.objects.delete(`${live}${k.slice(folder.length)}`, op));
    const head = await this.rawHead(name, op);
    if (head !== undefined && trashedAsOf(head.doc) === id) {
      const lease = leaseOf(head.doc!);
      await this.d.objects.put(
        this.d.keys.headKey(name),
        JSON.stringify(lease === undefined ? { leaseOnly: true } : { leaseOnly: true, lease }),
        'application/json',
        op,
        { ifMatch: head.etag },
        LEASE_ONLY_METADATA,
      );
    }
  }

  /** The listing entry of the head being trashed (with `error` when it does not validate). */
  private infoOf(name: string, head: RawHead): SessionInfo {
    const where = { name, path: this.d.pathOf(name) };
    try {
      return sessionInfoFromHead(readStoredHead(name, head.text, head.etag, where.path).info, where);
    } catch (err) {
      if (!SessionCorruptError.is(err) && !UnsupportedFormatError.is(err)) throw err;
      return corruptSessionInfo(where, err);
    }
  }

  /** Step 3: the tombstone, conditional on the head the copies were made from. True when it is in place. */
  private async commit(name: string, id: string, head: RawHead, op: string): Promise<boolean> {
    const lease = head.doc === undefined ? undefined : leaseOf(head.doc);
    const tombstone = JSON.stringify({ leaseOnly: true, trashedAs: id, ...(lease ? { lease } : {}) });
    const put = await this.d.objects.put(
      this.d.keys.headKey(name),
      tombstone,
      'application/json',
      op,
      { ifMatch: head.etag },
      LEASE_ONLY_METADATA,
    );
    if (put !== 'precondition-failed') return true;
    // Someone else committed this very move (a listing that met the pending entry), or our retried PUT landed.
    return trashedAsOf((await this.rawHead(name, op))?.doc) === id;
  }

  /** Adds the restored session's listing entry, then deletes the trash entry and its copies. */
  private async finishRestore(
    name: string,
    id: string,
    head: { text: string; etag: string },
    entry: TrashEntry,
    op: string,
  ): Promise<void> {
    let index: string[];
    try {
      const stored = readStoredHead(name, head.text, head.etag, this.d.pathOf(name));
      // The first key is the time-ordered entry; an inline head's unverified alternative is not written.
      const unverified = unverifiedIndexKey(this.d.keys.indexFolder(), name, stored.info.metadata.lastActive);
      index = this.d.indexKeysOf(name, stored).filter((k, i) => i === 0 || k !== unverified);
    } catch (err) {
      if (!SessionCorruptError.is(err) && !UnsupportedFormatError.is(err)) throw err;
      // A damaged session is listed by position only; list() reads its head and shows the damage.
      const at = entry.session.lastActive;
      index = [
        unverifiedIndexKey(this.d.keys.indexFolder(), name, at),
        unverifiedNamedKey(this.d.keys.namesFolder(), name, at),
      ];
    }
    await Promise.all(index.map((k) => this.d.objects.put(k, '', 'application/octet-stream', op)));
    await this.discard(id, op);
  }

  /** Deletes the entry, then the copies (an entry never names copies that are gone). */
  private async discard(id: string, op: string): Promise<void> {
    await this.d.objects.delete(this.d.keys.trashEntryKey(id), op);
    const copies = await this.d.objects.listAllKeys(this.d.keys.trashFolder(id), op);
    await mapBounded(copies, PARALLEL, (k) => this.d.objects.delete(k, op));
  }

  /** Every entry, each half-done move or restore settled first. */
  private async settledEntries(op: string): Promise<TrashEntry[]> {
    const folder = this.d.keys.trashEntriesFolder();
    const ids = (await this.d.objects.listAllKeys(folder, op))
      .map((k) => k.slice(folder.length, -'.json'.length))
      .filter(isTrashId);
    const entries = await mapBounded(ids, PARALLEL, (id) => this.settledEntry(id, op));
    return entries.flatMap((e) => (e === undefined ? [] : [e.entry]));
  }

  /** The entry with its move or restore completed (or undone); undefined when there is none (any more). */
  private async settledEntry(id: string, op: string): Promise<StoredEntry | undefined> {
    for (let attempt = 1; attempt <= MAX_MOVE_ATTEMPTS; attempt++) {
      const found = await this.readEntry(id, op);
      if (found === undefined || found.state === 'done') return found;
      const name = found.entry.name;
      if (found.state === 'restoring') {
        const target = found.restoreTo ?? name;
        const meta = await this.d.objects.metadata(this.d.keys.headKey(target), op);
        if (meta?.[RESTORED_FROM_METADATA] !== id) return found; // not restored (yet): still in the trash
        const head = await this.d.objects.getText(this.d.keys.headKey(target), op);
        if (head !== undefined) await this.finishRestore(target, id, head, found.entry, op);
        return undefined;
      }
      const head = await this.rawHead(name, op);
      if (head !== undefined && head.etag === found.headEtag) {
        if (await this.commit(name, id, head, op)) await this.finishMove(name, id, op);
        continue;
      }
      if (trashedAsOf(head?.doc) === id) {
        await this.finishMove(name, id, op);
        continue;
      }
      // The head moved on without this move's tombstone. Whoever replaces a tombstone marks its entry done
      // first, so an entry still pending now belongs to a move that never committed (and never will).
      const again = await this.readEntry(id, op);
      if (again?.state !== 'pending') continue;
      await this.discard(id, op);
      return undefined;
    }
    return this.readEntry(id, op);
  }

  /** A session's head with any tombstone on it settled first (save, lease and load read heads this way). */
  async settledHead(name: string, op: string): Promise<RawHead | undefined> {
    let head = await this.rawHead(name, op);
    const id = trashedAsOf(head?.doc);
    if (id !== undefined) {
      await this.finishMove(name, id, op);
      head = await this.rawHead(name, op);
    }
    return head;
  }

  private async rawHead(name: string, op: string): Promise<RawHead | undefined> {
    const found = await this.d.objects.getText(this.d.keys.headKey(name), op);
    if (found === undefined) return undefined;
    let doc: Record<string, unknown> | undefined;
    try {
      const parsed = JSON.parse(found.text) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        doc = parsed as Record<string, unknown>;
    } catch {
      doc = undefined;
    }
    return { text: found.text, etag: found.etag, doc };
  }

  private async readEntry(id: string, op: string): Promise<StoredEntry | undefined> {
    const found = await this.d.objects.getText(this.d.keys.trashEntryKey(id), op);
    if (found === undefined) return undefined;
    try {
      const doc = JSON.parse(found.text) as Record<string, unknown>;
      const entry = trashEntryFromJSON(doc);
      const state = doc.state;
      if (entry === undefined || (state !== 'pending' && state !== 'done' && state !== 'restoring'))
        return undefined;
      return {
        entry,
        state,
        ...(typeof doc.headEtag === 'string' ? { headEtag: doc.headEtag } : {}),
        ...(typeof doc.restoreTo === 'string' ? { restoreTo: doc.restoreTo } : {}),
      };
    } catch {
      return undefined;
    }
  }

  private async writeEntry(stored: StoredEntry, op: string): Promise<void> {
    const doc = {
      ...trashEntryToJSON(stored.entry),
      state: stored.state,
      ...(stored.headEtag === undefined ? {} : { headEtag: stored.headEtag }),
      ...(stored.restoreTo === undefined ? {} : { restoreTo: stored.restoreTo }),
    };
    await this.d.objects.put(
      this.d.keys.trashEntryKey(stored.entry.id),
      JSON.stringify(doc),
      'application/json',
      op,
    );
  }

  /** Server-side copies of every object under `from` (but the head) to the same path under `to`. */
  private async copyTree(
    from: string,
    to: string,
    op: string,
    include: (key: string) => boolean = (k) => k.slice(from.length) !== 'head.json',
  ): Promise<void> {
    const keys = (await this.d.objects.listAllKeys(from, op)).filter(include);
    await mapBounded(keys, PARALLEL, (k) => this.d.objects.copy(k, `${to}${k.slice(from.length)}`, op));
  }
}

function revisionOf(head: RawHead): number {
  const revision = head.doc?.revision;
  return typeof revision === 'number' ? revision : 0;
}
