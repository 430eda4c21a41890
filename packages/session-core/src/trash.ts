/** What every adapter's trash capability shares: entry ids, expiry, option checks and listing order. */
import { InvalidArgumentError, SessionConflictError, SessionNotFoundError } from './errors.js';
import { normalizeSessionName } from './names.js';
import type {
  SessionInfo,
  TrashEntry,
  TrashListOptions,
  TrashOptions,
  TrashPurgeOptions,
  TrashReason,
} from './storage.js';

/** How long a trashed session is kept by default: 30 days. */
export const DEFAULT_TRASH_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** What a trash id looks like: letters, digits, `.`, `_`, `-` (so it is safe as a file name or key). */
export const TRASH_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * A fresh trash id: the trashing time (sortable, readable) and random hex, e.g.
 * `20261202T160500123Z-1f0c5d1e9a2b`.
 */
export function newTrashId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const random = globalThis.crypto.randomUUID().replace(/-/g, '').slice(0, 12);
  return `${stamp}-${random}`;
}

/** True when `id` could be a trash id; anything else names no entry (and must never reach a path or key). */
export function isTrashId(id: unknown): id is string {
  return typeof id === 'string' && TRASH_ID_PATTERN.test(id) && !id.includes('..');
}

/** The not-found error of `restoreFromTrash` for an id that names no (unexpired) entry. */
export function trashEntryNotFound(id: unknown, where?: string): SessionNotFoundError {
  const shown = typeof id === 'string' ? id : String(id);
  return new SessionNotFoundError(shown, {
    where: where === undefined ? 'the trash' : `the trash of ${where}`,
    hint:
      'List the trash with session.list({ trash: true }); an entry ' +
      'is kept until it expires (30 days by default) or is purged.',
  });
}

/** The conflict of `restoreFromTrash` when a session is stored under the target name. */
export function restoreNameTaken(name: string, actualRevision = 0): SessionConflictError {
  return new SessionConflictError(name, 0, actualRevision, {
    reason: 'name-taken',
    hint:
      'The trashed session was not restored and nothing changed: restore it under another name ' +
      '(restoreFromTrash(id, { name })), or move the stored session to the trash first.',
  });
}

/** The checked options of `moveToTrash`. */
export function readTrashOptions(options: TrashOptions = {}): { reason: TrashReason; retentionMs: number } {
  const { reason = 'removed', retentionMs = DEFAULT_TRASH_RETENTION_MS } = options;
  if (reason !== 'removed' && reason !== 'replaced') {
    throw new InvalidArgumentError(
      `moveToTrash(): reason must be 'removed' or 'replaced', got ${JSON.stringify(reason)}`,
    );
  }
  if (typeof retentionMs !== 'number' || !Number.isFinite(retentionMs) || retentionMs < 0) {
    throw new InvalidArgumentError(
      `moveToTrash(): retentionMs must be a non-negative number of milliseconds, got ${String(retentionMs)}`,
    );
  }
  return { reason, retentionMs };
}

/** The checked options of `listTrash`. */
export function readTrashListOptions(options: TrashListOptions = {}): {
  name: string | undefined;
  limit: number | undefined;
} {
  const { name, limit } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new InvalidArgumentError(`listTrash(): limit must be a non-negative integer, got ${String(limit)}`);
  }
  return { name: name === undefined ? undefined : normalizeSessionName(name), limit };
}

/** The checked options of `purgeTrash`. */
export function readTrashPurgeOptions(options: TrashPurgeOptions = {}): { id?: string; all: boolean } {
  const { id, all = false } = options;
  if (id !== undefined && typeof id !== 'string') {
    throw new InvalidArgumentError('purgeTrash(): id must be a string (the id of a trash entry)');
  }
  return id === undefined ? { all: all === true } : { id, all: all === true };
}

/** The entry for a session trashed now. */
export function createTrashEntry(
  name: string,
  session: SessionInfo,
  options: { reason: TrashReason; retentionMs: number; now?: Date; id?: string },
): TrashEntry {
  const trashedAt = options.now ?? new Date();
  return {
    id: options.id ?? newTrashId(trashedAt),
    name,
    trashedAt,
    expiresAt: new Date(trashedAt.getTime() + options.retentionMs),
    reason: options.reason,
    session,
  };
}

/** True once `purgeTrash` may delete the entry (it is no longer listed or restorable). */
export function isTrashExpired(entry: Pick<TrashEntry, 'expiresAt'>, now: Date = new Date()): boolean {
  return entry.expiresAt.getTime() <= now.getTime();
}

/** The listing order of trash entries: newest `trashedAt` first, ties by id. */
export function compareTrashEntries(a: TrashEntry, b: TrashEntry): number {
  const byTime = b.trashedAt.getTime() - a.trashedAt.getTime();
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** `listTrash` over a complete set of entries: drops expired ones, filters by name, orders and limits. */
export function pageTrashEntries(
  entries: readonly TrashEntry[],
  options?: TrashListOptions,
  now: Date = new Date(),
): TrashEntry[] {
  const { name, limit } = readTrashListOptions(options);
  const listed = entries
    .filter((e) => !isTrashExpired(e, now) && (name === undefined || e.name === name))
    .sort(compareTrashEntries);
  return limit === undefined ? listed : listed.slice(0, limit);
}

/** A trash entry as JSON (dates as ISO text), for adapters that store the entry beside the session. */
export function trashEntryToJSON(entry: TrashEntry): Record<string, unknown> {
  return {
    id: entry.id,
    name: entry.name,
    trashedAt: entry.trashedAt.toISOString(),
    expiresAt: entry.expiresAt.toISOString(),
    reason: entry.reason,
    session: {
      ...entry.session,
      created: entry.session.created.toISOString(),
      lastActive: entry.session.lastActive.toISOString(),
    },
  };
}

/** Reads what {@link trashEntryToJSON} wrote; undefined when it is not a trash entry. */
export function trashEntryFromJSON(value: unknown): TrashEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const session = v.session as Record<string, unknown> | undefined;
  const date = (x: unknown) => {
    const d = typeof x === 'string' ? new Date(x) : undefined;
    return d === undefined || Number.isNaN(d.getTime()) ? undefined : d;
  };
  const trashedAt = date(v.trashedAt);
  const expiresAt = date(v.expiresAt);
  if (
    !isTrashId(v.id) ||
    typeof v.name !== 'string' ||
    trashedAt === undefined ||
    expiresAt === undefined ||
    (v.reason !== 'removed' && v.reason !== 'replaced') ||
    typeof session !== 'object' ||
    session === null
  )
    return undefined;
  const created = date(session.created);
  const lastActive = date(session.lastActive);
  if (created === undefined || lastActive === undefined) return undefined;
  return {
    id: v.id,
    name: v.name,
    trashedAt,
    expiresAt,
    reason: v.reason,
    session: { ...(session as unknown as SessionInfo), created, lastActive },
  };
}
