/** The listing order and cursors shared by adapters: newest `lastActive` first, ties by name ascending. */
import { CapabilityError, InvalidArgumentError } from './errors.js';
import {
  type ListOptions,
  type SessionInfo,
  type SessionStorage,
  storageCapabilities,
  storageLabel,
} from './storage.js';
import { projectFolderName } from './transcripts/folder-name.js';

export interface ListPosition {
  /** lastActive in epoch milliseconds. */
  lastActive: number;
  name: string;
}

/** An opaque cursor for a position in the listing order. */
export function encodeListCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.lastActive, position.name]), 'utf8').toString('base64url');
}

/** @throws InvalidArgumentError for a cursor that this format did not produce. */
export function decodeListCursor(cursor: string): ListPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') {
      return { lastActive: value[0], name: value[1] };
    }
  } catch {
    // fall through to the typed error below
  }
  throw new InvalidArgumentError(
    `Invalid list cursor ${JSON.stringify(cursor)}: pass the cursor of an entry returned by list().`,
  );
}

/** Negative when `a` lists before `b`. */
export function compareListPositions(a: ListPosition, b: ListPosition): number {
  if (a.lastActive !== b.lastActive) return b.lastActive - a.lastActive;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Checks `limit` and decodes `cursor`, so adapters reject bad options the same way. */
export function readListOptions(options: ListOptions = {}): {
  limit: number | undefined;
  after: ListPosition | undefined;
  prefix: string;
  /** `ListOptions.projectKey`, checked; undefined when not given. */
  projectKey: string | undefined;
} {
  const { limit, cursor, prefix, projectKey } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new InvalidArgumentError(`list(): limit must be a non-negative integer, got ${String(limit)}`);
  }
  if (prefix !== undefined && typeof prefix !== 'string') {
    throw new InvalidArgumentError('list(): prefix must be a string');
  }
  if (projectKey !== undefined && (typeof projectKey !== 'string' || projectKey === '')) {
    throw new InvalidArgumentError(
      `list(): projectKey must be a non-empty string (a Claude Code project folder name such as ` +
        `"-home-me-repo"), got ${JSON.stringify(projectKey)}`,
    );
  }
  return {
    limit,
    after: cursor === undefined || cursor === '' ? undefined : decodeListCursor(cursor),
    prefix: prefix ?? '',
    projectKey,
  };
}

/**
 * The project a stored session belongs to for `list({ projectKey })`: the Claude Code project folder name
 * of its `metadata.cwd` (`projectFolderName`) when it has a cwd, else its `metadata.projectKey` (when a
 * non-empty string), else undefined (no project). Takes a `SessionState` or a stored head, whose metadata
 * both carry these fields; pass the whole metadata, so every adapter files a session under the same key.
 */
export function sessionProjectKey(source: {
  metadata: { cwd?: string; projectKey?: string };
}): string | undefined {
  const { cwd, projectKey } = source.metadata;
  if (typeof cwd === 'string' && cwd !== '') return projectFolderName(cwd);
  return typeof projectKey === 'string' && projectKey !== '' ? projectKey : undefined;
}

/**
 * Orders, filters and pages a complete set of entries in memory (for adapters whose backend cannot page
 * in this order itself, and for the memory storage).
 */
export function pageSessionInfos(infos: readonly SessionInfo[], options: ListOptions = {}): SessionInfo[] {
  const { limit, after, prefix } = readListOptions(options);
  const sorted = infos
    .filter((i) => i.name.startsWith(prefix))
    .sort((a, b) => compareListPositions(positionOf(a), positionOf(b)));
  const start =
    after === undefined ? sorted : sorted.filter((i) => compareListPositions(positionOf(i), after) > 0);
  return limit === undefined ? start : start.slice(0, limit);
}

export function positionOf(info: { lastActive: Date; name: string }): ListPosition {
  return { lastActive: info.lastActive.getTime(), name: info.name };
}

/**
 * `storage.list(options)` with the listing contract kept for every storage: when an entry comes back
 * without a `cursor`, the storage does not page (a storage written like the session guide returns
 * everything and ignores `options`), so its full listing is ordered, filtered and paged here, with dates
 * revived and cursors filled in. Storages that page are passed through untouched.
 */
export async function listSessionInfos(
  storage: SessionStorage,
  options: ListOptions = {},
): Promise<SessionInfo[]> {
  const { limit, cursor, prefix, projectKey } = options;
  if (projectKey !== undefined && !storageCapabilities(storage).listByProject) {
    readListOptions(options);
    throw new CapabilityError('list({ projectKey })', storageLabel(storage));
  }
  const paging =
    limit !== undefined ||
    (cursor !== undefined && cursor !== '') ||
    prefix !== undefined ||
    projectKey !== undefined;
  const listed = paging ? await storage.list(options) : await storage.list();
  if (listed.every((info) => typeof info.cursor === 'string')) return listed;
  // Checked before the second call, so bad options fail the same way as on a paging storage.
  readListOptions(options);
  const everything = paging ? await storage.list() : listed;
  const filled = everything.map((info) => {
    const created = info.created instanceof Date ? info.created : new Date(info.created);
    const lastActive = info.lastActive instanceof Date ? info.lastActive : new Date(info.lastActive);
    return {
      ...info,
      created,
      lastActive,
      cursor: encodeListCursor({ lastActive: lastActive.getTime(), name: info.name }),
    };
  });
  return pageSessionInfos(filled, options);
}
