/**
 * The Redis key layout, in one place (documented on `RedisSessionStorage`).
 *
 * Every key of one session shares the hash tag `{<name>}`, so on a Redis Cluster they live in one slot and
 * the save script can touch them together. Session names cannot contain `{` or `}` (core validates them),
 * so a name never breaks out of its tag.
 */

export interface SessionKeys {
  /** STRING: the session head as JSON (everything but the messages, plus messageCount and lastMessageId). */
  head: string;
  /** LIST: JSON messages, oldest first, packed several per element (see message-elements.ts). */
  messages: string;
  /** SET: the Claude session ids that have a stored transcript. */
  transcripts: string;
  /** HASH { token, holder, expiresAt }: the current lease; expires with it (PEXPIREAT), deleted on release. */
  lease: string;
  /** STRING: the last fencing token issued for the session (INCR); outlives leases and the session itself. */
  leaseToken: string;
}

export interface IndexKeys {
  /** ZSET, every score 0, members `<inverted lastActive>:<name>`: lexicographic order = listing order. */
  order: string;
  /** HASH: name → its current member in `order` (so a save or remove replaces exactly one entry). */
  members: string;
  /**
   * ZSET, every score 0, members `<name>`: the names in byte order, so `list({ prefix })` reads the names
   * under a prefix with one ZRANGEBYLEX. Kept by the same scripts as `order` (the scripts derive its name
   * from `order`'s).
   */
  names: string;
  /**
   * STRING: how far `names` has been filled from `order` for sessions saved before it existed: the last
   * `order` member copied, or `complete`. Absent: not started.
   */
  namesState: string;
  /**
   * HASH: `<name>` → the project key (`sessionProjectKey`: the Claude Code project folder of its
   * `metadata.cwd`; '' for none) its index entry was filed under, so a save that changes the cwd moves it.
   */
  projects: string;
  /**
   * STRING: how far `projects` and the project ZSETs have been filled from `order` for sessions indexed
   * before they existed: the last `order` member copied, or `complete`. Absent: not started.
   */
  projectsState: string;
}

export function sessionKeys(prefix: string, name: string): SessionKeys {
  return {
    head: `${prefix}{${name}}:head`,
    messages: `${prefix}{${name}}:messages`,
    transcripts: `${prefix}{${name}}:transcripts`,
    lease: `${prefix}{${name}}:lease`,
    leaseToken: `${prefix}{${name}}:lease-token`,
  };
}

/** LIST: the transcript lines (JSON) of one Claude session id, in order. The scripts derive the same name. */
export function transcriptKey(prefix: string, name: string, claudeSessionId: string): string {
  return `${prefix}{${name}}:transcript:${claudeSessionId}`;
}

/** What `<claudeSessionId>` becomes in the key of that transcript's uuid index. */
export function uuidIndexId(claudeSessionId: string): string {
  return `${claudeSessionId}\u0000uuids`;
}

/**
 * HASH: the uuid index of one transcript (fields `u:<uuid>`, and `#lines`: the list lines it covers), kept
 * by appends with `dedupe: 'uuid'`; listed in the `transcripts` SET beside the transcript it indexes.
 */
export function transcriptUuidIndexKey(prefix: string, name: string, claudeSessionId: string): string {
  return transcriptKey(prefix, name, uuidIndexId(claudeSessionId));
}

/** The keys of one trashed session: its head, messages and transcripts set, renamed under the entry id. */
export interface TrashedKeys {
  head: string;
  messages: string;
  transcripts: string;
}

/**
 * Where a session's keys go when it is trashed: `P{<name>}:trash:<id>:…`, the same hash tag (so a move is
 * a RENAME in one slot). Transcript lists follow as `P{<name>}:trash:<id>:transcript:<claudeSessionId>`.
 */
export function trashedKeys(prefix: string, name: string, id: string): TrashedKeys {
  const base = `${prefix}{${name}}:trash:${id}`;
  return { head: `${base}:head`, messages: `${base}:messages`, transcripts: `${base}:transcripts` };
}

export interface TrashIndexKeys {
  /** ZSET, every score 0, members `<inverted trashedAt>:<id>`: lexicographic order = newest first. */
  order: string;
  /** HASH: entry id → the entry as JSON (name, trashedAt, expiresAt, reason, listing entry). */
  entries: string;
}

/** The trash index lives beside the listing index (same hash tag), so one script updates both. */
export function trashIndexKeys(prefix: string): TrashIndexKeys {
  return { order: `${prefix}{index}:trash`, entries: `${prefix}{index}:trash-entries` };
}

export function indexKeys(prefix: string): IndexKeys {
  return {
    order: `${prefix}{index}:order`,
    members: `${prefix}{index}:members`,
    names: `${prefix}{index}:names`,
    namesState: `${prefix}{index}:names-state`,
    projects: `${prefix}{index}:projects`,
    projectsState: `${prefix}{index}:projects-state`,
  };
}

/**
 * ZSET, every score 0, members as in `order`: the sessions of one project (see `IndexKeys.projects`), in
 * listing order. Beside `order` (same hash tag); the scripts derive the same name.
 */
export function projectIndexKey(prefix: string, projectKey: string): string {
  return `${prefix}{index}:project:${projectKey}`;
}

/**
 * ZSET: the names of one project's sessions, each scored by the first 17 digits of its `order` member
 * (inverted lastActive), so score order then byte order of names is listing order; plus one member '' scored
 * -inf that says the set is complete. Built from the project ZSET by a listing (list-fast.ts), then kept by
 * the same scripts as the project ZSET; absent until then. Read by one SORT_RO that also reads the heads.
 */
export function projectListingKey(prefix: string, projectKey: string): string {
  return `${prefix}{index}:project-listing:${projectKey}`;
}

// Dates span ±8.64e15 ms; shifting by that range and inverting gives a non-negative number of at most
// 17 digits that sorts newest first when zero-padded. BigInt because the shifted value exceeds 2^53.
const DATE_RANGE = 8_640_000_000_000_000n;
const WIDTH = 17;

/** The `order` member for a session: sorts by lastActive descending, then by name ascending. */
export function indexMember(lastActiveMs: number, name: string): string {
  const inverted = DATE_RANGE - BigInt(Math.trunc(lastActiveMs));
  return `${inverted.toString().padStart(WIDTH, '0')}:${name}`;
}

/** Reverses {@link indexMember}; undefined for a member this layout did not write. */
export function parseIndexMember(member: string): { lastActive: number; name: string } | undefined {
  if (member.length <= WIDTH + 1 || member[WIDTH] !== ':') return undefined;
  const digits = member.slice(0, WIDTH);
  if (!/^\d+$/.test(digits)) return undefined;
  return { lastActive: Number(DATE_RANGE - BigInt(digits)), name: member.slice(WIDTH + 1) };
}

/** One kind of key the storage writes: its Redis type and how the key is built. */
export interface KeyKind {
  type: 'STRING' | 'LIST' | 'SET' | 'HASH' | 'ZSET';
  /**
   * The key for a prefix, a session name, a Claude session id and a trash entry id (those it does not use
   * are ignored).
   */
  key(prefix: string, name: string, claudeSessionId: string, trashId: string): string;
}

/**
 * Every kind of key the storage writes, in the order of the README's key-layout table (a test compares
 * the table with this list, and the keys a workload leaves on a server with it).
 */
export const KEY_LAYOUT: readonly KeyKind[] = [
  { type: 'STRING', key: (p, n) => sessionKeys(p, n).head },
  { type: 'LIST', key: (p, n) => sessionKeys(p, n).messages },
  { type: 'SET', key: (p, n) => sessionKeys(p, n).transcripts },
  { type: 'LIST', key: transcriptKey },
  { type: 'HASH', key: transcriptUuidIndexKey },
  { type: 'HASH', key: (p, n) => sessionKeys(p, n).lease },
  { type: 'STRING', key: (p, n) => sessionKeys(p, n).leaseToken },
  { type: 'ZSET', key: (p) => indexKeys(p).order },
  { type: 'HASH', key: (p) => indexKeys(p).members },
  { type: 'ZSET', key: (p) => indexKeys(p).names },
  { type: 'STRING', key: (p) => indexKeys(p).namesState },
  { type: 'HASH', key: (p) => indexKeys(p).projects },
  { type: 'ZSET', key: (p) => projectIndexKey(p, '<projectKey>') },
  { type: 'ZSET', key: (p) => projectListingKey(p, '<projectKey>') },
  { type: 'STRING', key: (p) => indexKeys(p).projectsState },
  { type: 'STRING', key: (p, n, _c, t) => trashedKeys(p, n, t).head },
  { type: 'LIST', key: (p, n, _c, t) => trashedKeys(p, n, t).messages },
  { type: 'SET', key: (p, n, _c, t) => trashedKeys(p, n, t).transcripts },
  { type: 'LIST', key: (p, n, c, t) => `${p}{${n}}:trash:${t}:transcript:${c}` },
  { type: 'HASH', key: (p, n, c, t) => `${p}{${n}}:trash:${t}:transcript:${uuidIndexId(c)}` },
  { type: 'ZSET', key: (p) => trashIndexKeys(p).order },
  { type: 'HASH', key: (p) => trashIndexKeys(p).entries },
];
