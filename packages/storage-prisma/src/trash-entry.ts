/**
 * Trash entries as this adapter stores them: the options of `moveToTrash`, fresh entry ids, and the JSON
 * form of an entry (dates as ISO strings).
 */
import {
  InvalidArgumentError,
  type SessionInfo,
  type TrashEntry,
  type TrashOptions,
  type TrashReason,
} from '@channelcoder/session-core';

/** How long a trashed session is kept when `moveToTrash` is given no `retentionMs`: 30 days. */
export const DEFAULT_TRASH_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** What an entry id looks like: `<trashedAt ms, base 36>-<12 hex>`, so it is safe in any key or path. */
const TRASH_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function newTrashId(trashedAt: Date): string {
  const random = globalThis.crypto.randomUUID().replace(/-/g, '').slice(0, 12);
  return `${trashedAt.getTime().toString(36).padStart(9, '0')}-${random}`;
}

/** True for a string that can be an entry id (others are never stored, so they name no entry). */
export function isTrashId(id: unknown): id is string {
  return typeof id === 'string' && TRASH_ID.test(id) && !id.includes('..');
}

/** The reason and retention of a move, checked. @throws InvalidArgumentError naming the bad option. */
export function readTrashOptions(options: TrashOptions | undefined): {
  reason: TrashReason;
  retentionMs: number;
} {
  const reason = options?.reason ?? 'removed';
  if (reason !== 'removed' && reason !== 'replaced') {
    throw new InvalidArgumentError(
      `moveToTrash: options.reason must be 'removed' or 'replaced', got ${JSON.stringify(reason)}`,
    );
  }
  const retentionMs = options?.retentionMs ?? DEFAULT_TRASH_RETENTION_MS;
  if (typeof retentionMs !== 'number' || !Number.isFinite(retentionMs) || retentionMs <= 0) {
    throw new InvalidArgumentError(
      `moveToTrash: options.retentionMs must be a positive number of milliseconds, got ${String(retentionMs)}`,
    );
  }
  return { reason, retentionMs };
}

/** A new entry for a session trashed now. */
export function newTrashEntry(
  name: string,
  session: SessionInfo,
  options: { reason: TrashReason; retentionMs: number },
  now: Date = new Date(),
): TrashEntry {
  return {
    id: newTrashId(now),
    name,
    trashedAt: now,
    expiresAt: new Date(now.getTime() + options.retentionMs),
    reason: options.reason,
    session,
  };
}

/** The entry as JSON (dates as ISO strings). */
export function trashEntryJson(entry: TrashEntry): string {
  return JSON.stringify(entry);
}

/** Reads an entry written by {@link trashEntryJson}; undefined for anything else. */
export function parseTrashEntry(text: string | null | undefined): TrashEntry | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    const session = doc.session as Record<string, unknown> | undefined;
    if (
      !isTrashId(doc.id) ||
      typeof doc.name !== 'string' ||
      (doc.reason !== 'removed' && doc.reason !== 'replaced') ||
      typeof session !== 'object' ||
      session === null
    ) {
      return undefined;
    }
    const trashedAt = new Date(String(doc.trashedAt));
    const expiresAt = new Date(String(doc.expiresAt));
    if (Number.isNaN(trashedAt.getTime()) || Number.isNaN(expiresAt.getTime())) return undefined;
    const info = {
      ...session,
      created: new Date(String(session.created)),
      lastActive: new Date(String(session.lastActive)),
    } as unknown as SessionInfo;
    return { id: doc.id, name: doc.name, trashedAt, expiresAt, reason: doc.reason, session: info };
  } catch {
    return undefined;
  }
}

/** Newest `trashedAt` first, ties by id. */
export function compareTrashEntries(a: TrashEntry, b: TrashEntry): number {
  const byTime = b.trashedAt.getTime() - a.trashedAt.getTime();
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The `name` and `limit` of `listTrash`, checked. */
export function readTrashListOptions(options: { name?: string; limit?: number } | undefined): {
  name: string | undefined;
  limit: number;
} {
  const limit = options?.limit ?? Number.POSITIVE_INFINITY;
  if (options?.limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new InvalidArgumentError(
      `listTrash: options.limit must be a whole number ≥ 0, got ${String(options.limit)}`,
    );
  }
  return { name: options?.name, limit };
}
