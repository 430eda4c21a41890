import {
  LeaseLostError,
  SessionCorruptError,
  SessionNotFoundError,
  UnsupportedFormatError,
} from './errors.js';
import {
  acquireLease,
  assertLeaseCurrent,
  createLeaseHandle,
  type LeaseOptions,
  readLeaseOptions,
  type SessionLease,
  type WriteOptions,
} from './lease.js';
import { pageSessionInfos, readListOptions, sessionProjectKey } from './list-order.js';
import { normalizeSessionName } from './names.js';
import { assertRevision, planMessageWrite, resolveSaveName } from './save-plan.js';
import { assembleState, fromWireHead, toWireHead, toWireMessage } from './serialize.js';
import { corruptSessionInfo, sessionInfoFromHead } from './session-info.js';
import type { SessionState } from './state.js';
import type {
  LeaseInfo,
  ListOptions,
  SessionInfo,
  SessionStorage,
  TranscriptAppendMode,
  TranscriptAppendOptions,
  TrashEntry,
  TrashListOptions,
  TrashOptions,
  TrashPurgeOptions,
  TrashRestoreOptions,
} from './storage.js';
import { newTranscriptLines, transcriptEntryUuid, uniqueTranscriptEntries } from './transcript-append.js';
import {
  createTrashEntry,
  isTrashExpired,
  isTrashId,
  pageTrashEntries,
  readTrashOptions,
  readTrashPurgeOptions,
  restoreNameTaken,
  trashEntryNotFound,
} from './trash.js';

/** What the memory storage keeps per session: JSON text, exactly as a persistent adapter would. */
export interface MemoryRecord {
  head: string;
  messages: string[];
  transcripts: Map<string, string[]>;
}

/**
 * A complete in-process storage: the reference implementation of the contract (revisions, incremental
 * appends, listing order, transcripts). It keeps serialized JSON, so what `load` returns is a fresh copy
 * that went through the same validation as any other adapter. Nothing survives the process.
 */
export class MemorySessionStorage implements SessionStorage {
  /** The stored JSON by session name; exposed for tests and debugging, not for application use. */
  readonly records = new Map<string, MemoryRecord>();
  /** The trashed sessions by trash id (entry and the record as it was stored); same caveat as `records`. */
  readonly trash = new Map<string, { entry: TrashEntry; record: MemoryRecord }>();
  /** Appends honour `dedupe: 'uuid'`. */
  readonly transcriptAppendModes: readonly TranscriptAppendMode[] = ['uuid'];
  /** The current lease per session name (kept after release only as the last token issued). */
  private readonly leases = new Map<
    string,
    { token: number; holder: string; expiresAt: number; live: boolean }
  >();

  async save(state: SessionState, name?: string, options?: WriteOptions): Promise<string> {
    const key = resolveSaveName(state, name);
    this.checkLease(key, options);
    const existing = this.records.get(key);
    const storedHead = existing === undefined ? undefined : fromWireHead(existing.head, { name: key });
    assertRevision(key, storedHead?.revision, state);

    const plan = planMessageWrite(storedHead, state);
    const appended = state.messages
      .slice(plan.mode === 'append' ? plan.from : 0)
      .map((m) => JSON.stringify(toWireMessage(m)));
    // An append adds to the stored lines in place (no copy of the whole session per save).
    let messages = appended;
    if (plan.mode === 'append' && existing !== undefined) {
      messages = existing.messages;
      for (const line of appended) messages.push(line);
    }
    const head = JSON.stringify(toWireHead({ ...state, revision: state.revision + 1 }));
    this.records.set(key, { head, messages, transcripts: existing?.transcripts ?? new Map() });
    state.revision += 1;
    return key;
  }

  async load(name: string): Promise<SessionState> {
    const key = normalizeSessionName(name);
    const record = this.records.get(key);
    if (record === undefined) throw new SessionNotFoundError(key, { where: 'memory storage' });
    return assembleState(record.head, record.messages, { name: key, location: `memory:${key}` });
  }

  /** `list({ projectKey })` filters by each record's `sessionProjectKey` (the reference for adapters' indexes). */
  readonly listFilters = ['projectKey'] as const;

  async list(options?: ListOptions): Promise<SessionInfo[]> {
    const { projectKey } = readListOptions(options);
    const infos: SessionInfo[] = [];
    for (const [name, record] of this.records) {
      if (projectKey !== undefined && recordProjectKey(name, record) !== projectKey) continue;
      infos.push(recordInfo(name, record));
    }
    return pageSessionInfos(infos, options);
  }

  async moveToTrash(name: string, options?: TrashOptions): Promise<TrashEntry | undefined> {
    const key = normalizeSessionName(name);
    const { reason, retentionMs } = readTrashOptions(options);
    this.checkLease(key, options);
    const record = this.records.get(key);
    if (record === undefined) return undefined;
    const entry = createTrashEntry(key, recordInfo(key, record), { reason, retentionMs });
    this.records.delete(key);
    this.trash.set(entry.id, { entry, record });
    return copyEntry(entry);
  }

  async listTrash(options?: TrashListOptions): Promise<TrashEntry[]> {
    return pageTrashEntries(
      [...this.trash.values()].map((t) => t.entry),
      options,
    ).map(copyEntry);
  }

  async restoreFromTrash(id: string, options: TrashRestoreOptions = {}): Promise<string> {
    const trashed = isTrashId(id) ? this.trash.get(id) : undefined;
    if (trashed === undefined || isTrashExpired(trashed.entry))
      throw trashEntryNotFound(id, 'memory storage');
    const target = normalizeSessionName(options.name ?? trashed.entry.name);
    const taken = this.records.get(target);
    if (taken !== undefined) throw restoreNameTaken(target, storedRevision(target, taken));
    this.trash.delete(id);
    this.records.set(target, trashed.record);
    return target;
  }

  async purgeTrash(options?: TrashPurgeOptions): Promise<number> {
    const { id, all } = readTrashPurgeOptions(options);
    if (id !== undefined) return this.trash.delete(id) ? 1 : 0;
    let purged = 0;
    const now = new Date();
    for (const [key, { entry }] of this.trash) {
      if (!all && !isTrashExpired(entry, now)) continue;
      this.trash.delete(key);
      purged += 1;
    }
    return purged;
  }

  async remove(name: string): Promise<boolean> {
    return this.records.delete(normalizeSessionName(name));
  }

  async exists(name: string): Promise<boolean> {
    return this.records.has(normalizeSessionName(name));
  }

  async close(): Promise<void> {}

  async appendTranscript(
    name: string,
    claudeSessionId: string,
    entries: readonly unknown[],
    fromLine: number,
    options?: TranscriptAppendOptions,
  ): Promise<void> {
    const key = normalizeSessionName(name);
    this.checkLease(key, options);
    const record = this.records.get(key);
    if (record === undefined) throw new SessionNotFoundError(key, { where: 'memory storage' });
    const lines = record.transcripts.get(claudeSessionId) ?? [];
    const fresh =
      options?.dedupe === 'uuid'
        ? uniqueTranscriptEntries(key, entries, fromLine, storedUuids(lines))
        : newTranscriptLines(key, lines.length, entries, fromLine);
    for (const entry of fresh) lines.push(JSON.stringify(entry));
    record.transcripts.set(claudeSessionId, lines);
  }

  async loadTranscript(name: string, claudeSessionId: string): Promise<unknown[] | null> {
    const key = normalizeSessionName(name);
    const lines = this.records.get(key)?.transcripts.get(claudeSessionId);
    return lines === undefined ? null : lines.map((l) => JSON.parse(l) as unknown);
  }

  async deleteTranscript(name: string, claudeSessionId: string, options?: WriteOptions): Promise<boolean> {
    const key = normalizeSessionName(name);
    this.checkLease(key, options);
    return this.records.get(key)?.transcripts.delete(claudeSessionId) ?? false;
  }

  async readRevision(name: string): Promise<number | null> {
    const key = normalizeSessionName(name);
    const record = this.records.get(key);
    return record === undefined ? null : fromWireHead(record.head, { name: key }).revision;
  }

  async peekLease(name: string): Promise<LeaseInfo | null> {
    const current = this.leases.get(normalizeSessionName(name));
    if (!current?.live || current.expiresAt <= Date.now()) return null;
    return { holder: current.holder, token: current.token, expiresAt: new Date(current.expiresAt) };
  }

  async lease(name: string, options?: LeaseOptions): Promise<SessionLease> {
    const key = normalizeSessionName(name);
    const { ttlMs, holder, waitMs, signal } = readLeaseOptions(options);
    return acquireLease<SessionLease>(key, { waitMs, ...(signal ? { signal } : {}) }, async () => {
      const now = Date.now();
      const current = this.leases.get(key);
      if (current?.live && current.expiresAt > now)
        return { busy: { holder: current.holder, expiresAt: new Date(current.expiresAt) } };
      const token = (current?.token ?? 0) + 1;
      const record = { token, holder, expiresAt: now + ttlMs, live: true };
      this.leases.set(key, record);
      return {
        acquired: createLeaseHandle({
          name: key,
          token,
          holder,
          expiresAt: new Date(record.expiresAt),
          ttlMs,
          renew: async (ms) => {
            const held = this.leases.get(key);
            const at = Date.now();
            if (!held?.live || held.token !== token || held.expiresAt <= at)
              throw new LeaseLostError(key, token);
            held.expiresAt = at + ms;
            return new Date(held.expiresAt);
          },
          release: async () => {
            const held = this.leases.get(key);
            if (held?.live && held.token === token) held.live = false;
          },
        }),
      };
    });
  }

  private checkLease(key: string, options: WriteOptions | undefined): void {
    if (options?.lease === undefined) return;
    const current = this.leases.get(key);
    assertLeaseCurrent(key, options.lease, current?.live ? current : undefined);
  }
}

/** The listing entry of a stored record (corrupt records list with `error`). */
function recordInfo(name: string, record: MemoryRecord): SessionInfo {
  const where = { name, path: `memory:${name}` };
  try {
    return sessionInfoFromHead(fromWireHead(record.head, { name }), where);
  } catch (err) {
    if (!SessionCorruptError.is(err) && !UnsupportedFormatError.is(err)) throw err;
    return corruptSessionInfo(where, err);
  }
}

/** The project of a stored record; a corrupt head belongs to none. */
function recordProjectKey(name: string, record: MemoryRecord): string | undefined {
  try {
    return sessionProjectKey(fromWireHead(record.head, { name }));
  } catch {
    return undefined;
  }
}

function storedRevision(name: string, record: MemoryRecord): number {
  try {
    return fromWireHead(record.head, { name }).revision;
  } catch {
    return 0;
  }
}

function copyEntry(entry: TrashEntry): TrashEntry {
  return structuredClone(entry);
}

/** The uuids of stored lines (the reference implementation reads them; adapters keep an index). */
function storedUuids(lines: readonly string[]): Set<string> {
  const uuids = new Set<string>();
  for (const line of lines) {
    const uuid = transcriptEntryUuid(JSON.parse(line));
    if (uuid !== undefined) uuids.add(uuid);
  }
  return uuids;
}
