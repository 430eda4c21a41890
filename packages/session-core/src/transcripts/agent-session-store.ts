/**
 * `toAgentSessionStore(storage)`: any storage with the transcript capability as the Claude Agent SDK's
 * `sessionStore` (its `SessionStore` contract: `append`, `load`, `listSessions`, `delete`, `listSubkeys`).
 *
 * Layout: one stored session per (projectKey, sessionId), named by {@link agentSessionName}:
 * `<namePrefix><projectKey>.<sessionId>` when both are short runs of `[A-Za-z0-9-]` (the SDK's own
 * projectKeys and session ids are), each other key as `<readable slug>_<sha256 32 hex>` (see
 * {@link agentKeySegment}). Sessions stored by earlier versions under
 * `<namePrefix><sha256(projectKey) 20 hex>-<sha256(sessionId) 20 hex>` are still found. Its `sessionChain` lists the transcripts it holds: the main one as `main`, each
 * subpath as `subg<generation>.<base64url of the subpath>` (`sub.<base64url>` from earlier versions; listed
 * so `session export` carries them). Deleting a subpath removes its entry in one head write. Its
 * `currentSessionId` (the SDK's sessionId) is set by the first main-transcript append, and its
 * `lastActive` (the `mtime` of `listSessions`, to the second: see `MTIME_RESOLUTION_MS`) moves on
 * main-transcript appends only, so a session that only has subagent transcripts is not listed.
 *
 * Sessions made by `channelcoder` / `session()` are seen too (unless `channelcoderSessions: false`): one
 * whose `metadata.cwd` gives the projectKey (the CLI's folder name of that directory) is listed under its
 * `currentSessionId`, and each Claude session id of its chain loads from its stored transcript, led by a
 * `custom-title` entry (the session's name) and ended by a `tag` entry (its tags and cost). Appends to such a key
 * go to that transcript. A fork written by the SDK (`forkSession`, entries carrying `forkedFrom`), or by
 * the CLI on a resume at a message (`resumeSessionAt` with `forkSession: true`: a new session whose first
 * entries are copies, same uuids, of a transcript this bridge just loaded) gets `metadata.parent` naming
 * the session and the `uuid` of the message it ends at. Deleting a subpath uses
 * the storage's `deleteTranscript` when it has one (its lines are gone), after the head write.
 *
 * Entries are appended with the storage's `dedupe: 'uuid'` mode when it has one: concurrent appenders
 * (other bridges, other processes) each get every entry stored exactly once, in their own order, and a
 * retried or re-imported batch is a no-op.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  CapabilityError,
  InvalidArgumentError,
  SessionConflictError,
  SessionNotFoundError,
} from '../errors.js';
import { SerialQueue } from '../session/serial-queue.js';
import { createSessionState, type SessionState } from '../state.js';
import {
  type SessionInfo,
  type SessionStorage,
  storageCapabilities,
  storageLabel,
  type TranscriptStorage,
} from '../storage.js';
import { projectFolderName } from './folder-name.js';
import { transcriptCapability } from './mirror.js';

/** The SDK's key: a project (derived from the cwd), a session, and optionally a sub-transcript. */
export interface AgentSessionKey {
  projectKey: string;
  sessionId: string;
  /** E.g. `subagents/agent-1`: a transcript stored beside the session's main one. */
  subpath?: string;
}

/**
 * One transcript entry (a JSONL line of the CLI's transcript, as an object): shaped like the SDK's
 * `SessionStoreEntry`, so the bridge is assignable to its `SessionStore` type without a cast.
 */
export type AgentSessionEntry = { type: string; uuid?: string; timestamp?: string; [key: string]: unknown };

/** The Claude Agent SDK's `SessionStore` contract, as this bridge implements it. */
export interface AgentSessionStore {
  /**
   * Appends entries to the key's transcript, after those already stored (order preserved). An entry whose
   * `uuid` is already stored for the key is skipped (retries and re-imports are no-ops). An empty batch
   * stores nothing.
   */
  append(key: AgentSessionKey, entries: AgentSessionEntry[]): Promise<void>;
  /** Every entry stored for the key, in append order; `null` when nothing is stored for it. */
  load(key: AgentSessionKey): Promise<AgentSessionEntry[] | null>;
  /**
   * The project's sessions that have a main transcript, with the time of its last append (`mtime`, epoch
   * milliseconds). Subagent-only sessions are not listed.
   */
  listSessions(projectKey: string): Promise<Array<{ sessionId: string; mtime: number }>>;
  /** The subpaths stored beside a session's main transcript, sorted. */
  listSubkeys(key: { projectKey: string; sessionId: string }): Promise<string[]>;
  /**
   * Without `subpath`: removes the session with all its subpaths. With one: removes only that transcript.
   * Present only when the storage can remove sessions.
   */
  delete?(key: AgentSessionKey): Promise<void>;
}

export interface AgentSessionStoreOptions {
  /**
   * Prefix of the stored session names (default `sdk-`); keeps SDK sessions apart from others. At most
   * {@link MAX_NAME_PREFIX} characters of `[A-Za-z0-9_-]`, starting with a letter or digit.
   */
  namePrefix?: string;
  /**
   * Also show sessions made by `channelcoder` / `session()` (default `true`): matched to a projectKey by
   * their working directory (`metadata.cwd`, as the CLI names its project folder) and to a sessionId by
   * their chain of Claude session ids. Finding them reads every session whose listing entry changed since
   * this bridge last read it; `false` keeps the bridge to the sessions stored under `namePrefix`.
   */
  channelcoderSessions?: boolean;
}

/** Longest `namePrefix`: with two segments of at most {@link MAX_SEGMENT} it keeps names within 128. */
export const MAX_NAME_PREFIX = 15;
/** Longest key segment of a stored name (verbatim key, or slug + `_` + 32 hex digits). */
const MAX_SEGMENT = 56;
const HASH_HEX = 32;
const VERBATIM = /^[A-Za-z0-9-]+$/;

/**
 * One key (a projectKey or a sessionId) as a segment of a stored name: the key itself when it is a run of
 * at most 56 characters of `[A-Za-z0-9-]`; otherwise a readable slug of it (the same characters, others
 * turned into `-`, at most 23) + `_` + the first 32 hex digits of its SHA-256. A verbatim segment has no
 * `_` and a derived one exactly one, so the two forms never meet, and neither contains `.`.
 */
export function agentKeySegment(key: string): string {
  if (key.length <= MAX_SEGMENT && VERBATIM.test(key)) return key;
  const slug = key.replace(/[^A-Za-z0-9-]+/g, '-').slice(0, MAX_SEGMENT - HASH_HEX - 1);
  return `${slug}_${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, HASH_HEX)}`;
}

/**
 * The name a session of the Agent SDK is stored under through {@link toAgentSessionStore}:
 * `<namePrefix><segment of projectKey>.<segment of sessionId>` (segments: {@link agentKeySegment}). The one
 * `.` separates the two segments, so distinct keys get distinct names (two derived segments could only meet
 * through a collision of 128-bit SHA-256 prefixes). E.g. projectKey `-home-dev-shop-api` and sessionId
 * `2b7e4f1c-8d3a-4c5e-9f60-71a2b3c4d5e6` → `sdk--home-dev-shop-api.2b7e4f1c-8d3a-4c5e-9f60-71a2b3c4d5e6`.
 */
export function agentSessionName(
  key: { projectKey: string; sessionId: string },
  namePrefix = DEFAULT_NAME_PREFIX,
): string {
  return `${namePrefix}${agentKeySegment(key.projectKey)}.${agentKeySegment(key.sessionId)}`;
}

const DEFAULT_NAME_PREFIX = 'sdk-';

function checkNamePrefix(prefix: string): string {
  if (prefix.length > MAX_NAME_PREFIX || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(prefix)) {
    throw new InvalidArgumentError(
      `toAgentSessionStore: namePrefix must be 1 to ${MAX_NAME_PREFIX} characters of [A-Za-z0-9_-] ` +
        `starting with a letter or digit, got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/**
 * Wraps a storage as the Agent SDK's `sessionStore`. Appends to one session are serialized within this
 * bridge; writers elsewhere (other bridges, other processes) are safe when the storage honours
 * `dedupe: 'uuid'` appends (every `@channelcoder/storage-*` adapter does). With a storage that only has
 * positional appends, one process should append to a given session at a time.
 *
 * @throws CapabilityError when the storage has no transcript capability; InvalidArgumentError for a
 *   `namePrefix` that does not fit {@link AgentSessionStoreOptions.namePrefix}.
 */
export function toAgentSessionStore(
  storage: SessionStorage,
  options: AgentSessionStoreOptions = {},
): AgentSessionStore {
  const transcripts = transcriptCapability(storage);
  if (transcripts === undefined) throw new CapabilityError('appendTranscript', storageLabel(storage));
  const prefix = checkNamePrefix(options.namePrefix ?? DEFAULT_NAME_PREFIX);
  if (options.channelcoderSessions !== undefined && typeof options.channelcoderSessions !== 'boolean') {
    throw new InvalidArgumentError(
      `toAgentSessionStore: channelcoderSessions must be true or false, got ${JSON.stringify(options.channelcoderSessions)}`,
    );
  }
  return new AgentSessionStoreBridge(storage, transcripts, prefix, options.channelcoderSessions !== false);
}

function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 20);
}

/** Transcript id of the main transcript: a stored session holds one SDK session, so it needs no id. */
const MAIN_TRANSCRIPT = 'main';
const SUBPATH_PREFIX = 'sub.';
const SUBPATH_GENERATION_PREFIX = 'subg';
/** Longest chain entry used directly as a transcript id; longer subpaths are stored under a digest id. */
const MAX_DIRECT_ID = 96;
/**
 * `mtime` is kept to this resolution: a main-transcript append saves the head only when the stored
 * `lastActive` is at least this old, so a burst of appends costs one head write per second, not one each.
 */
export const MTIME_RESOLUTION_MS = 1000;
/** Projects whose name prefixes the bridge keeps (then forgets them all at once). */
const KNOWN_PROJECTS = 256;
/** How many loaded main transcripts the bridge remembers the uuids of, to recognize a fork on resume. */
const RECENT_LOADS = 4;
/** Head saves that lost to another writer are retried this many times (with a short random pause). */
const SAVE_ATTEMPTS = 40;

/**
 * The chain entry of a new subpath transcript: `subg<generation>.` + the subpath in base64url (any
 * length). The generation (random) makes a subpath appended again after its deletion a new transcript;
 * sessions stored by earlier versions have `sub.<base64url>` entries, which are still read.
 */
function newSubpathEntry(subpath: string): string {
  const generation = randomBytes(6).toString('hex');
  return `${SUBPATH_GENERATION_PREFIX}${generation}.${Buffer.from(subpath, 'utf8').toString('base64url')}`;
}

/**
 * The transcript id of a chain entry, in the characters every adapter accepts (`[A-Za-z0-9._-]`) and
 * short enough for each: the entry itself, or `subh.<sha256 hex>` for a long subpath.
 */
function transcriptIdOf(entry: string): string {
  if (entry.length <= MAX_DIRECT_ID) return entry;
  return `subh.${createHash('sha256').update(entry, 'utf8').digest('hex')}`;
}

/** The subpath a chain entry stores, or undefined for the main transcript (and anything else). */
function subpathOf(entry: string): string | undefined {
  let encoded: string;
  if (entry.startsWith(SUBPATH_PREFIX)) encoded = entry.slice(SUBPATH_PREFIX.length);
  else if (entry.startsWith(SUBPATH_GENERATION_PREFIX)) {
    const dot = entry.indexOf('.', SUBPATH_GENERATION_PREFIX.length);
    if (dot < 0) return undefined;
    encoded = entry.slice(dot + 1);
  } else return undefined;
  return Buffer.from(encoded, 'base64url').toString('utf8');
}

/** What the bridge keeps of a session made by channelcoder (refreshed when its listing entry changes). */
interface ChannelcoderSession {
  name: string;
  /** `lastActive` + message count of the listing entry it was read from. */
  stamp: string;
  projectKey: string | undefined;
  sessionChain: string[];
  currentSessionId: string | undefined;
  lastActive: number;
  title: string;
  tag: string;
}

function stampOf(info: SessionInfo): string {
  return `${info.lastActive.getTime()}/${info.messageCount}/${info.currentSessionId ?? ''}`;
}

/** The `tag` shown for a channelcoder session: its tags and its cost, e.g. `review, urgent · $0.0421`. */
function channelcoderTag(tags: readonly string[] | undefined, cost: number): string {
  const price = `$${cost.toFixed(4)}`;
  return tags !== undefined && tags.length > 0 ? `${tags.join(', ')} · ${price}` : price;
}

/** Where a key's data lives: a session stored by the bridge, or one made by channelcoder. */
type Resolved = { kind: 'bridge'; name: string } | { kind: 'channelcoder'; session: ChannelcoderSession };

/** A fork written by the SDK: the source session and the last source message the batch copies. */
interface ForkInfo {
  sessionId: string;
  messageUuid: string;
  messageCount: number;
}

function forkInfoOf(entries: readonly AgentSessionEntry[]): ForkInfo | undefined {
  let info: ForkInfo | undefined;
  for (const entry of entries) {
    const from = entry.forkedFrom as { sessionId?: unknown; messageUuid?: unknown } | undefined;
    if (from === null || typeof from !== 'object') continue;
    if (typeof from.sessionId !== 'string' || typeof from.messageUuid !== 'string') continue;
    if (info !== undefined && info.sessionId !== from.sessionId) continue;
    const counts = entry.type === 'user' || entry.type === 'assistant' ? 1 : 0;
    info = {
      sessionId: from.sessionId,
      messageUuid: from.messageUuid,
      messageCount: (info?.messageCount ?? 0) + counts,
    };
  }
  return info;
}

/** The chain entry that holds a key's transcript in a stored chain, if any. */
function entryIn(chain: readonly string[], subpath: string | undefined): string | undefined {
  if (subpath === undefined || subpath === '')
    return chain.includes(MAIN_TRANSCRIPT) ? MAIN_TRANSCRIPT : undefined;
  return chain.find((entry) => subpathOf(entry) === subpath);
}

class AgentSessionStoreBridge implements AgentSessionStore {
  /** The last state this bridge saved or loaded per name (saves start from it; a conflict reloads). */
  private readonly cache = new Map<string, SessionState>();
  /** Line counts for positional appends (storages without `dedupe: 'uuid'`). */
  private readonly counts = new Map<string, number>();
  private readonly queues = new Map<string, SerialQueue>();
  /** Readable name → the name the session is stored under (itself, or an earlier version's opaque name). */
  private readonly names = new Map<string, string>();
  /**
   * The entry uuids of the last main transcripts this bridge loaded (newest last): a resume that forks
   * (`resumeSessionAt`, `forkSession: true`) loads its source here, then appends copies keeping their uuids.
   */
  private readonly recentLoads: Array<{ projectKey: string; sessionId: string; uuids: Set<string> }> = [];
  /**
   * Sessions this bridge created whose main transcript has no entry with a `uuid` yet (the CLI writes its
   * settings lines first): a fork's copied messages can still make them a fork.
   */
  private readonly noMessagesYet = new Set<string>();
  /** Sessions made by channelcoder, by stored name (see `channelcoderSessions`). */
  private readonly ccSessions = new Map<string, ChannelcoderSession>();
  private readonly prefixes = new Map<string, { own: string; legacy: string }>();
  /**
   * Projects whose bridge sessions were all found in their `list({ projectKey })` (each has
   * `metadata.projectKey`): `listSessions` no longer runs their name-prefix listings.
   */
  private readonly indexedProjects = new Set<string>();
  private readonly byUuid: boolean;
  private readonly listByProject: boolean;
  readonly delete?: (key: AgentSessionKey) => Promise<void>;

  constructor(
    private readonly storage: SessionStorage,
    private readonly transcripts: TranscriptStorage,
    private readonly prefix: string,
    private readonly withChannelcoder: boolean,
  ) {
    this.byUuid = storage.transcriptAppendModes?.includes('uuid') === true;
    this.listByProject = storageCapabilities(storage).listByProject;
    if (typeof storage.remove === 'function') this.delete = (key) => this.remove(key);
  }

  /** The stored names of one project start with this (its segment never contains `.`). */
  private projectPrefix(projectKey: string): string {
    return this.prefixesOf(projectKey).own;
  }

  /** The project's name prefixes, readable and earlier versions' (hashed), computed once per project. */
  private prefixesOf(projectKey: string): { own: string; legacy: string } {
    let known = this.prefixes.get(projectKey);
    if (known === undefined) {
      if (this.prefixes.size >= KNOWN_PROJECTS) this.prefixes.clear();
      known = {
        own: `${this.prefix}${agentKeySegment(projectKey)}.`,
        legacy: `${this.prefix}${digest(projectKey)}-`,
      };
      this.prefixes.set(projectKey, known);
    }
    return known;
  }

  /** The opaque name earlier versions stored the session under. */
  private legacyName(key: { projectKey: string; sessionId: string }): string {
    return `${this.legacyProjectPrefix(key.projectKey)}${digest(key.sessionId)}`;
  }

  private legacyProjectPrefix(projectKey: string): string {
    return this.prefixesOf(projectKey).legacy;
  }

  /**
   * The name a key's session is stored under: the readable one, unless only a session stored by an
   * earlier version under the opaque name exists (it keeps its name). Remembered once either is found.
   */
  private async nameOf(key: { projectKey: string; sessionId: string }): Promise<string> {
    const name = agentSessionName(key, this.prefix);
    const known = this.names.get(name);
    if (known !== undefined) return known;
    const legacy = this.legacyName(key);
    let resolved: string | undefined;
    if (this.cache.has(name) || (await this.exists(name))) resolved = name;
    else if (await this.exists(legacy)) resolved = legacy;
    if (resolved !== undefined) this.names.set(name, resolved);
    return resolved ?? name;
  }

  /**
   * Where a key lives: the bridge's own session when one is stored (or remembered); else, with
   * `channelcoderSessions`, the channelcoder session of the project whose chain holds the sessionId; else
   * the bridge's name, where a first append creates it.
   */
  private async resolve(key: { projectKey: string; sessionId: string }, scan = true): Promise<Resolved> {
    const readable = agentSessionName(key, this.prefix);
    const name = await this.nameOf(key);
    if (!this.withChannelcoder || this.names.has(readable) || this.cache.has(name))
      return { kind: 'bridge', name };
    const known = scan ? await this.channelcoderSessions(key.projectKey) : [...this.ccSessions.values()];
    const session = known.find(
      (s) => s.projectKey === key.projectKey && s.sessionChain.includes(key.sessionId),
    );
    return session === undefined ? { kind: 'bridge', name } : { kind: 'channelcoder', session };
  }

  /**
   * The channelcoder sessions of a project: every listed session outside `namePrefix` is read once, and
   * again only when its listing entry changes; those whose `metadata.cwd` maps to the projectKey match.
   * A storage with a per-project index (`listFilters` has `'projectKey'`) lists only that project's
   * sessions; any other lists every session.
   */
  private async channelcoderSessions(projectKey: string): Promise<ChannelcoderSession[]> {
    const byProject = this.listByProject && projectKey !== '';
    const infos = byProject ? await this.storage.list({ projectKey }) : await this.storage.list();
    return this.channelcoderOf(projectKey, infos, byProject);
  }

  /**
   * {@link channelcoderSessions} from a listing already made: `infos` is the project's listing
   * (`byProject`) or every session's.
   */
  private async channelcoderOf(
    projectKey: string,
    infos: readonly SessionInfo[],
    byProject: boolean,
  ): Promise<ChannelcoderSession[]> {
    const out: ChannelcoderSession[] = [];
    const listed = new Set<string>();
    for (const info of infos) {
      if (
        info.error !== undefined ||
        info.name.startsWith(this.prefix) ||
        info.currentSessionId === undefined
      )
        continue;
      listed.add(info.name);
      const stamp = stampOf(info);
      let session = this.ccSessions.get(info.name);
      if (session === undefined || session.stamp !== stamp) {
        let state: SessionState | undefined;
        try {
          state = await this.loadState(info.name);
        } catch {
          continue; // A session that does not load is not shown (`channelcoder session list` reports it).
        }
        if (state === undefined) continue;
        const cwd = state.metadata.cwd;
        session = {
          name: info.name,
          stamp,
          projectKey: cwd === undefined ? undefined : projectFolderName(cwd),
          sessionChain: [...state.sessionChain],
          currentSessionId: state.currentSessionId,
          lastActive: state.metadata.lastActive.getTime(),
          title: state.metadata.name ?? info.name,
          tag: channelcoderTag(state.metadata.tags, state.usage.totalCostUsd),
        };
        this.ccSessions.set(info.name, session);
      }
      if (session.projectKey === projectKey) out.push(session);
    }
    for (const [name, session] of this.ccSessions)
      if (!listed.has(name) && (!byProject || session.projectKey === projectKey))
        this.ccSessions.delete(name);
    return out;
  }

  private async exists(name: string): Promise<boolean> {
    if (typeof this.storage.exists === 'function') return this.storage.exists(name);
    return (await this.loadState(name)) !== undefined;
  }

  private serial<T>(name: string, task: () => Promise<T>): Promise<T> {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new SerialQueue();
      this.queues.set(name, queue);
    }
    return queue.run(task);
  }

  append(key: AgentSessionKey, entries: AgentSessionEntry[]): Promise<void> {
    return this.serial(agentSessionName(key, this.prefix), async () => {
      if (entries.length === 0) return;
      const main = key.subpath === undefined || key.subpath === '';
      // Only a rename or tag (what the SDK's renameSession / tagSession append, with no load before) looks
      // for channelcoder sessions afresh; other appends follow a load or listing that found them, so a new
      // SDK session's first append does not read every session.
      const where = await this.resolve(
        key,
        entries.every((e) => e.type === 'custom-title' || e.type === 'tag'),
      );
      if (where.kind === 'channelcoder') {
        // Into the channelcoder session's transcript of that Claude session id (its head is unchanged).
        if (!main) return; // Its subagent transcripts are the CLI's own; the SDK's copies are not kept.
        await this.appendLines(where.session.name, key.sessionId, entries);
        return;
      }
      const name = where.name;
      const fork = main ? (forkInfoOf(entries) ?? this.copiedFrom(key, entries)) : undefined;
      const parentName =
        fork === undefined
          ? undefined
          : await this.parentName({ projectKey: key.projectKey, sessionId: fork.sessionId });
      // The head first: the session must exist before its transcript, and it records the transcript.
      const created = !this.cache.has(name) && !(await this.exists(name));
      const entry = await this.updateHead(
        name,
        key,
        fork === undefined || parentName === undefined ? undefined : { ...fork, name: parentName },
      );
      await this.appendLines(name, transcriptIdOf(entry), entries);
      if (main) {
        if (entries.some((e) => typeof e.uuid === 'string')) this.noMessagesYet.delete(name);
        else if (created) this.noMessagesYet.add(name);
      }
    });
  }

  /**
   * A batch that copies entries of a main transcript this bridge loaded (same uuids, another sessionId):
   * the CLI's fork on resume. The fork point is the last copied entry of the batch.
   */
  private copiedFrom(key: AgentSessionKey, entries: readonly AgentSessionEntry[]): ForkInfo | undefined {
    for (let i = this.recentLoads.length - 1; i >= 0; i--) {
      const source = this.recentLoads[i]!;
      if (source.projectKey !== key.projectKey || source.sessionId === key.sessionId) continue;
      let info: ForkInfo | undefined;
      for (const entry of entries) {
        if (typeof entry.uuid !== 'string' || !source.uuids.has(entry.uuid)) continue;
        const counts = entry.type === 'user' || entry.type === 'assistant' ? 1 : 0;
        info = {
          sessionId: source.sessionId,
          messageUuid: entry.uuid,
          messageCount: (info?.messageCount ?? 0) + counts,
        };
      }
      if (info !== undefined) return info;
    }
    return undefined;
  }

  private rememberLoad(key: AgentSessionKey, lines: readonly AgentSessionEntry[]): void {
    const uuids = new Set<string>();
    for (const line of lines) if (typeof line.uuid === 'string') uuids.add(line.uuid);
    const at = this.recentLoads.findIndex(
      (l) => l.projectKey === key.projectKey && l.sessionId === key.sessionId,
    );
    if (at >= 0) this.recentLoads.splice(at, 1);
    this.recentLoads.push({ projectKey: key.projectKey, sessionId: key.sessionId, uuids });
    if (this.recentLoads.length > RECENT_LOADS) this.recentLoads.shift();
  }

  /** The stored name of a fork's source session (bridge or channelcoder), if it is stored. */
  private async parentName(key: { projectKey: string; sessionId: string }): Promise<string | undefined> {
    const where = await this.resolve(key);
    if (where.kind === 'channelcoder') return where.session.name;
    return this.cache.has(where.name) || (await this.exists(where.name)) ? where.name : undefined;
  }

  private async appendLines(name: string, id: string, entries: AgentSessionEntry[]): Promise<void> {
    if (this.byUuid) {
      await this.transcripts.appendTranscript(name, id, entries, 0, { dedupe: 'uuid' });
      return;
    }
    const countKey = `${name}\u0000${id}`;
    const count = this.counts.get(countKey) ?? (await this.transcripts.loadTranscript(name, id))?.length ?? 0;
    this.counts.delete(countKey);
    await this.transcripts.appendTranscript(name, id, entries, count);
    this.counts.set(countKey, count + entries.length);
  }

  /**
   * Records the key's transcript in the session's chain (a new subpath gets a new generation) and, for
   * the main transcript, sets `currentSessionId` and moves `lastActive` (never backwards). Saves only when
   * something changes; a save that loses to another writer reloads and tries again (and then finds the
   * entry that writer recorded). Resolves the chain entry of the key's transcript.
   */
  private async updateHead(
    name: string,
    key: AgentSessionKey,
    fork?: ForkInfo & { name: string },
  ): Promise<string> {
    const main = key.subpath === undefined || key.subpath === '';
    for (let attempt = 1; ; attempt++) {
      const state = this.cache.get(name) ?? (await this.loadState(name)) ?? newState(name, key.projectKey);
      let changed = state.revision === 0;
      if (state.metadata.projectKey !== key.projectKey) {
        // Sessions stored by earlier versions get it on their next save (then the project index has them).
        state.metadata.projectKey = key.projectKey;
        changed = true;
      }
      if (fork !== undefined) {
        const parent = state.metadata.parent;
        if (parent === undefined && (state.revision === 0 || this.noMessagesYet.has(name))) {
          state.metadata.parent = {
            name: fork.name,
            sessionId: fork.sessionId,
            messageCount: fork.messageCount,
            messageUuid: fork.messageUuid,
          };
          changed = true;
        } else if (
          parent !== undefined &&
          parent.sessionId === fork.sessionId &&
          parent.messageUuid !== undefined
        ) {
          // A fork copied in more than one batch: the parent message is the last one copied.
          parent.messageCount += fork.messageCount;
          parent.messageUuid = fork.messageUuid;
          changed = true;
        }
      }
      let entry = entryIn(state.sessionChain, key.subpath);
      if (entry === undefined) {
        entry = main ? MAIN_TRANSCRIPT : newSubpathEntry(key.subpath!);
        state.sessionChain.push(entry);
        changed = true;
      }
      const now = Date.now();
      if (
        main &&
        (state.currentSessionId !== key.sessionId ||
          now - state.metadata.lastActive.getTime() >= MTIME_RESOLUTION_MS)
      ) {
        state.currentSessionId = key.sessionId;
        state.metadata.lastActive = new Date(Math.max(now, state.metadata.lastActive.getTime()));
        changed = true;
      }
      if (!changed) {
        this.cache.set(name, state);
        return entry;
      }
      try {
        await this.storage.save(state, name);
        this.cache.set(name, state);
        return entry;
      } catch (err) {
        this.cache.delete(name);
        if (!SessionConflictError.is(err) || attempt >= SAVE_ATTEMPTS) throw err;
        await pause(attempt);
      }
    }
  }

  async load(key: AgentSessionKey): Promise<AgentSessionEntry[] | null> {
    return this.serial(agentSessionName(key, this.prefix), async () => {
      const where = await this.resolve(key);
      if (where.kind === 'channelcoder') return this.loadChannelcoder(where.session, key);
      const name = where.name;
      let id = MAIN_TRANSCRIPT;
      if (key.subpath !== undefined && key.subpath !== '') {
        // A subpath's transcript id is in the head (read fresh: another process may have made or deleted it).
        const state = await this.loadState(name);
        const entry = state === undefined ? undefined : entryIn(state.sessionChain, key.subpath);
        if (entry === undefined) return null;
        id = transcriptIdOf(entry);
      }
      const lines = await this.transcripts.loadTranscript(name, id);
      if (lines === null) return null;
      if (id === MAIN_TRANSCRIPT) this.rememberLoad(key, lines as AgentSessionEntry[]);
      return lines as AgentSessionEntry[];
    });
  }

  /**
   * A channelcoder session's transcript of the key's Claude session id, led by a `custom-title` entry (the
   * session's name) and ended by a `tag` entry (tags and cost), so the SDK's listings show them. A rename
   * the SDK appended later comes after our title and wins; once the SDK tagged it, ours is left out. Its
   * subpaths are not stored (null).
   */
  private async loadChannelcoder(
    session: ChannelcoderSession,
    key: AgentSessionKey,
  ): Promise<AgentSessionEntry[] | null> {
    if (key.subpath !== undefined && key.subpath !== '') return null;
    const lines = await this.transcripts.loadTranscript(session.name, key.sessionId);
    if (lines === null) return null;
    const entries = lines as AgentSessionEntry[];
    this.rememberLoad(key, entries);
    const out: AgentSessionEntry[] = [
      { type: 'custom-title', customTitle: session.title, sessionId: key.sessionId },
      ...entries,
    ];
    // The SDK reads a session's tag from the end of its transcript: ours goes there unless one was set.
    if (!entries.some((entry) => entry.type === 'tag'))
      out.push({ type: 'tag', tag: session.tag, sessionId: key.sessionId });
    return out;
  }

  async listSessions(projectKey: string): Promise<Array<{ sessionId: string; mtime: number }>> {
    if (!this.listByProject || projectKey === '') {
      // The bridge's sessions, those of earlier versions' names and channelcoder's, read side by side.
      const [infos, legacy, made] = await Promise.all([
        this.storage.list({ prefix: this.projectPrefix(projectKey) }),
        this.storage.list({ prefix: this.legacyProjectPrefix(projectKey) }),
        this.withChannelcoder ? this.channelcoderSessions(projectKey) : [],
      ]);
      return listedSessions([...infos, ...legacy], made);
    }
    // One listing of the project gives the bridge's sessions (filed by their `metadata.projectKey`) and
    // channelcoder's (by their cwd). Until the project's sessions stored by earlier versions (which lack
    // the field) are known to be in it, its two name-prefix listings run beside it.
    const { own, legacy } = this.prefixesOf(projectKey);
    const checked = this.indexedProjects.has(projectKey);
    const [infos, byOwn, byLegacy] = checked
      ? [await this.storage.list({ projectKey }), undefined, undefined]
      : await Promise.all([
          this.storage.list({ projectKey }),
          this.storage.list({ prefix: own }),
          this.storage.list({ prefix: legacy }),
        ]);
    const bridge = infos.filter((i) => i.name.startsWith(own) || i.name.startsWith(legacy));
    let fromPrefixes: SessionInfo[] = [];
    if (byOwn !== undefined && byLegacy !== undefined) {
      const indexed = new Set(bridge.map((i) => i.name));
      fromPrefixes = [...byOwn, ...byLegacy].filter((i) => !indexed.has(i.name));
      if (fromPrefixes.length === 0) {
        if (this.indexedProjects.size >= KNOWN_PROJECTS) this.indexedProjects.clear();
        this.indexedProjects.add(projectKey);
      }
    }
    // Nothing to read or forget when the listing holds only the bridge's sessions and none is remembered.
    const made =
      this.withChannelcoder &&
      (this.ccSessions.size > 0 || infos.some((i) => !i.name.startsWith(this.prefix)))
        ? await this.channelcoderOf(projectKey, infos, true)
        : [];
    return listedSessions([...bridge, ...fromPrefixes], made);
  }

  async listSubkeys(key: { projectKey: string; sessionId: string }): Promise<string[]> {
    return this.serial(agentSessionName(key, this.prefix), async () => {
      const where = await this.resolve(key);
      if (where.kind === 'channelcoder') return [];
      const name = where.name;
      // Read from the storage, not the cache: another process may have added a subpath.
      const state = await this.loadState(name);
      if (state === undefined) return [];
      return state.sessionChain
        .map(subpathOf)
        .filter((subpath): subpath is string => subpath !== undefined)
        .sort();
    });
  }

  private async loadState(name: string): Promise<SessionState | undefined> {
    try {
      return await this.storage.load(name);
    } catch (err) {
      if (SessionNotFoundError.is(err)) return undefined;
      throw err;
    }
  }

  private remove(key: AgentSessionKey): Promise<void> {
    const readable = agentSessionName(key, this.prefix);
    return this.serial(readable, async () => {
      const where = await this.resolve(key);
      if (where.kind === 'channelcoder') {
        // The SDK's deleteSession on a channelcoder session removes that session (as `session remove`).
        if (key.subpath === undefined || key.subpath === '') {
          await this.storage.remove?.(where.session.name);
          this.ccSessions.delete(where.session.name);
        }
        return;
      }
      const name = where.name;
      this.names.delete(readable);
      this.cache.delete(name);
      for (const k of this.counts.keys()) if (k.startsWith(`${name}\u0000`)) this.counts.delete(k);
      const remove = this.storage.remove?.bind(this.storage);
      if (remove === undefined) return;
      if (key.subpath === undefined || key.subpath === '') {
        await remove(name);
        return;
      }
      await this.dropSubpath(name, key.projectKey, key.subpath);
    });
  }

  /**
   * Deletes one subpath with a single head write: its entry leaves the chain, so it is no longer listed
   * or loaded, and an append to it later starts a new transcript. Nothing else is rewritten, so a crash
   * at any point leaves either the old or the new head, the main transcript intact either way. Then, on a
   * storage with `deleteTranscript`, the dropped transcript's lines are deleted (one atomic call per
   * transcript; a crash before it leaves them unreachable, as on a storage without it, where they stay
   * stored until the session is removed).
   */
  private async dropSubpath(name: string, projectKey: string, subpath: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const state = await this.loadState(name);
      if (state === undefined) return;
      const dropped = state.sessionChain.filter((entry) => subpathOf(entry) === subpath);
      if (dropped.length === 0) return;
      state.sessionChain = state.sessionChain.filter((entry) => !dropped.includes(entry));
      state.metadata.projectKey = projectKey;
      try {
        await this.storage.save(state, name);
        this.cache.set(name, state);
        if (typeof this.storage.deleteTranscript === 'function') {
          for (const entry of dropped) await this.storage.deleteTranscript(name, transcriptIdOf(entry));
        }
        return;
      } catch (err) {
        if (!SessionConflictError.is(err) || attempt >= SAVE_ATTEMPTS) throw err;
        await pause(attempt);
      }
    }
  }
}

/**
 * `listSessions`' answer: the bridge's sessions with a main transcript (a currentSessionId; one without is
 * subagent-only), then channelcoder's, each sessionId once.
 */
function listedSessions(
  infos: readonly SessionInfo[],
  made: readonly ChannelcoderSession[],
): Array<{ sessionId: string; mtime: number }> {
  const out: Array<{ sessionId: string; mtime: number }> = [];
  const seen = new Set<string>();
  for (const info of infos) {
    if (info.error !== undefined || info.currentSessionId === undefined) continue;
    if (seen.has(info.currentSessionId)) continue;
    seen.add(info.currentSessionId);
    out.push({ sessionId: info.currentSessionId, mtime: info.lastActive.getTime() });
  }
  for (const session of made) {
    if (session.currentSessionId === undefined || seen.has(session.currentSessionId)) continue;
    seen.add(session.currentSessionId);
    out.push({ sessionId: session.currentSessionId, mtime: session.lastActive });
  }
  return out;
}

/** A new bridge session: tagged, and filed under its projectKey (`metadata.projectKey`) in project indexes. */
function newState(name: string, projectKey: string): SessionState {
  const state = createSessionState({ name, tags: ['agent-sdk'] });
  state.metadata.projectKey = projectKey;
  return state;
}

function pause(attempt: number): Promise<void> {
  const ms = Math.min(50, 2 * attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}
