/**
 * The listing index: one empty object per session whose KEY carries everything `list()` shows, so a page of
 * `list()` is one ListObjectsV2 call and never a GET per session.
 *
 *   <prefix>index/<inverted lastActive, 17 digits>!<name>!/<metadata, base64url JSON, in ≤200-byte segments>
 *
 * ListObjectsV2 returns keys in UTF-8 byte order, so the inverted time lists the newest session first; at
 * equal times the name decides, ascending. `!` sorts before every character a name may contain, so `a` lists
 * before `a-b` as it does in the core order. The metadata is cut into `/`-separated segments because
 * filesystem-backed servers (MinIO, s3rver) refuse path segments over 255 bytes. When the whole key would
 * pass S3's 1,024-byte limit, the metadata is replaced by `~` ("unverified"): `list()` then reads that
 * session's head instead.
 */
import { createHash } from 'node:crypto';
import type { SessionState } from '@channelcoder/session-core';

/** Every valid JavaScript Date lies within ±8.64e15 ms of the epoch. */
const MAX_TIME = 8_640_000_000_000_000;
const TIME_DIGITS = 17;
const SEGMENT = 200;
const MAX_KEY_BYTES = 1024;
const UNVERIFIED = '~';

/** What an index entry records about the head it was written for. */
export interface IndexedHead {
  revision: number;
  created: Date;
  lastActive: Date;
  messageCount: number;
  totalCostUsd: number;
  currentSessionId?: string;
  tags?: string[];
  /** The last transcript mirror failed; such an entry is written unverified, so list() reads the message. */
  transcriptError?: string;
}

export type IndexEntry =
  | { key: string; name: string; lastActive: Date; verified: true; head: IndexedHead }
  | { key: string; name: string; lastActive: Date; verified: false };

export function invertTime(ms: number): string {
  return String(MAX_TIME - ms).padStart(TIME_DIGITS, '0');
}

/** The part of an entry's key that fixes its place in the listing. */
export function indexPosition(folder: string, lastActive: number, name: string): string {
  return `${folder}${invertTime(lastActive)}!${name}!`;
}

/** A `StartAfter` value that skips every entry at or before (lastActive, name) in the listing order. */
export function startAfterPosition(folder: string, lastActive: number, name: string): string {
  // '0' sorts after the '/' that follows the position in every entry key, and before any other name.
  return `${indexPosition(folder, lastActive, name)}0`;
}

/** What the index records for a head (a validated stored head, or a state about to be stored). */
export function indexedHeadOf(head: Omit<SessionState, 'messages'>, messageCount: number): IndexedHead {
  const indexed: IndexedHead = {
    revision: head.revision,
    created: head.metadata.created,
    lastActive: head.metadata.lastActive,
    messageCount,
    totalCostUsd: head.usage.totalCostUsd,
  };
  if (head.currentSessionId !== undefined) indexed.currentSessionId = head.currentSessionId;
  if (head.metadata.tags !== undefined) indexed.tags = [...head.metadata.tags];
  if (head.metadata.transcriptError !== undefined) indexed.transcriptError = head.metadata.transcriptError;
  return indexed;
}

/** The entry key for a head (verified when it fits in S3's key length limit). */
export function indexKeyFor(folder: string, name: string, head: IndexedHead): string {
  // A mirror-failure message does not belong in a key (length, characters): the head carries it.
  if (head.transcriptError !== undefined) return unverifiedIndexKey(folder, name, head.lastActive);
  return withMeta(indexPosition(folder, head.lastActive.getTime(), name), head, () =>
    unverifiedIndexKey(folder, name, head.lastActive),
  );
}

/** `<position>/<metadata segments>`, or `unverified()` when that passes S3's key length limit. */
function withMeta(position: string, head: IndexedHead, unverified: () => string): string {
  const meta = Buffer.from(
    JSON.stringify([
      head.revision,
      head.created.getTime(),
      head.messageCount,
      head.totalCostUsd,
      head.currentSessionId ?? null,
      head.tags ?? null,
    ]),
    'utf8',
  ).toString('base64url');
  const segments: string[] = [];
  for (let i = 0; i < meta.length; i += SEGMENT) segments.push(meta.slice(i, i + SEGMENT));
  const key = `${position}/${segments.join('/')}`;
  return Buffer.byteLength(key, 'utf8') <= MAX_KEY_BYTES ? key : unverified();
}

/** An entry that only fixes the position; `list()` reads the head to describe it. */
export function unverifiedIndexKey(folder: string, name: string, lastActive: Date): string {
  return `${indexPosition(folder, lastActive.getTime(), name)}/${UNVERIFIED}`;
}

/** Decodes an entry key; undefined for a key that is not an entry at all (never written by this package). */
export function parseIndexKey(folder: string, key: string): IndexEntry | undefined {
  if (!key.startsWith(folder)) return undefined;
  const rest = key.slice(folder.length);
  const match = /^(\d{17})!([A-Za-z0-9][A-Za-z0-9._-]{0,127})!\/(.+)$/.exec(rest);
  if (match === null) return undefined;
  const [, inverted, name, meta] = match as unknown as [string, string, string, string];
  return entryOf(key, name, inverted, meta);
}

/*
 * Name-ordered entries, the same metadata under a key that starts with the session name, so a listing by
 * name prefix is a ListObjectsV2 with `Prefix` that reads only the matching names:
 *
 *   <prefix>by-name/<name path>!<inverted lastActive>/<metadata>                      (every session)
 *   <prefix>by-project/<project segment>/<name path>!<inverted lastActive>/<metadata>  (sessions with a cwd)
 *
 * (`<name path>`: the name with a `/` after its separators, see {@link namePath}.)
 *
 * The project segment is the session's projectKey (the Claude Code folder name of `metadata.cwd`) when it
 * is 1–240 characters of `[A-Za-z0-9-]` (what `projectFolderName` produces), else `~` and the SHA-256 of
 * the key. A listing of such a folder sorts its entries in memory: it costs the matching sessions, never
 * the others.
 */

/** The folder segment of a projectKey (collision-free: a hashed segment starts with `~`). */
export function projectSegment(projectKey: string): string {
  if (/^[A-Za-z0-9-]{1,240}$/.test(projectKey)) return projectKey;
  return `~${createHash('sha256').update(projectKey, 'utf8').digest('hex')}`;
}

/**
 * A name (or name prefix) as a path in a name-ordered folder: a `/` after each `-` and after each `.` that
 * does not follow a `-` (`sdk--home-dev-api.3f2a` → `sdk-/-/home-/dev-/api./3f2a`). Filesystem-backed
 * servers (MinIO, s3rver) list a `Prefix` by reading the folder it ends in, so names that share a prefix up
 * to a separator (the Agent SDK bridge's `<prefix><projectKey>.<sessionId>`) share a small folder instead of
 * one folder of every session. Each output character depends only on the character and the one before it,
 * so the path of a name prefix is a prefix of the path of every name that starts with it; no segment is
 * `.` or `..` (a name has no `..`).
 */
export function namePath(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    out += c;
    if (c === '-' || (c === '.' && name[i - 1] !== '-')) out += '/';
  }
  return out;
}

/** `<folder><name path>!<inverted time>`: where a name-ordered entry sits in its folder. */
export function namedPosition(folder: string, lastActive: number, name: string): string {
  return `${folder}${namePath(name)}!${invertTime(lastActive)}`;
}

/** A name-ordered entry key for a head (the metadata left out as for {@link indexKeyFor}). */
export function namedKeyFor(folder: string, name: string, head: IndexedHead): string {
  const unverified = () => unverifiedNamedKey(folder, name, head.lastActive);
  if (head.transcriptError !== undefined) return unverified();
  return withMeta(namedPosition(folder, head.lastActive.getTime(), name), head, unverified);
}

export function unverifiedNamedKey(folder: string, name: string, lastActive: Date): string {
  return `${namedPosition(folder, lastActive.getTime(), name)}/${UNVERIFIED}`;
}

/** Decodes a name-ordered entry key (of `folder`); undefined for anything else. */
export function parseNamedKey(folder: string, key: string): IndexEntry | undefined {
  if (!key.startsWith(folder)) return undefined;
  const rest = key.slice(folder.length);
  const match = /^([A-Za-z0-9][A-Za-z0-9._/-]{0,255})!(\d{17})\/(.+)$/.exec(rest);
  if (match === null) return undefined;
  const [, path, inverted, meta] = match as unknown as [string, string, string, string];
  const name = path.replaceAll('/', '');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) || namePath(name) !== path) return undefined;
  return entryOf(key, name, inverted, meta);
}

function entryOf(key: string, name: string, inverted: string, meta: string): IndexEntry | undefined {
  const lastActive = new Date(MAX_TIME - Number(inverted));
  if (Number.isNaN(lastActive.getTime())) return undefined;
  const head = meta === UNVERIFIED ? undefined : decodeMeta(meta.replaceAll('/', ''), lastActive);
  return head === undefined
    ? { key, name, lastActive, verified: false }
    : { key, name, lastActive, verified: true, head };
}

function decodeMeta(meta: string, lastActive: Date): IndexedHead | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(meta, 'base64url').toString('utf8'));
  } catch {
    return undefined; // a damaged entry is read from the head instead
  }
  if (!Array.isArray(value) || value.length !== 6) return undefined;
  const [revision, created, messageCount, totalCostUsd, currentSessionId, tags] = value as unknown[];
  const isCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;
  if (!isCount(revision) || !isCount(messageCount)) return undefined;
  if (typeof created !== 'number' || Number.isNaN(new Date(created).getTime())) return undefined;
  if (typeof totalCostUsd !== 'number' || !Number.isFinite(totalCostUsd)) return undefined;
  if (currentSessionId !== null && typeof currentSessionId !== 'string') return undefined;
  if (tags !== null && !(Array.isArray(tags) && tags.every((t) => typeof t === 'string'))) return undefined;
  const head: IndexedHead = { revision, created: new Date(created), lastActive, messageCount, totalCostUsd };
  if (currentSessionId !== null) head.currentSessionId = currentSessionId;
  if (tags !== null) head.tags = tags as string[];
  return head;
}
