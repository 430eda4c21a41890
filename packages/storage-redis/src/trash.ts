/**
 * The trash (optional capability): a move renames the session's keys (head, messages, transcripts set and
 * every transcript list) to `P{<name>}:trash:<id>:…` in one script, which also drops the listing entry and
 * adds the trash entry, so load/list/exists/loadTranscript stop seeing the session in the same instant the
 * entry appears. Only RENAMEs: no value is copied, whatever the session's size. A restore is the reverse
 * rename. On a Cluster the two index halves live in another slot and follow in a second script (as saves do).
 */
import {
  LeaseLostError,
  normalizeSessionName,
  SessionConflictError,
  SessionCorruptError,
  type SessionInfo,
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
  fromWireHead,
  isTrashExpired,
  isTrashId,
  readTrashListOptions,
  readTrashOptions,
  readTrashPurgeOptions,
  restoreNameTaken,
  sessionInfoFromHead,
  sessionProjectKey,
  trashEntryFromJSON,
  trashEntryNotFound,
  trashEntryToJSON,
} from '@channelcoder/session-core/storage-kit';
import { indexKeys, indexMember, sessionKeys, trashedKeys, trashIndexKeys } from './keys.js';
import { sha1Hex } from './save-basis.js';
import type { RedisClient, SessionScripts } from './scripts.js';

/**
 * Trashed keys outlive their entry's `expiresAt` by this long before Redis expires them (server clock), so
 * a skew between the clocks never drops the data of an entry that is still listed; `purgeTrash()` deletes
 * them sooner.
 */
export const TRASH_EXPIRY_GRACE_MS = 24 * 60 * 60 * 1000;
const MAX_MOVE_ATTEMPTS = 5;
/** Trash index members read per round trip. */
const TRASH_BATCH = 500;

export interface TrashContext {
  client: RedisClient;
  scripts: SessionScripts;
  prefix: string;
  cluster: boolean;
  /** The session expiry (`ttlSeconds` in ms; 0 = none) a restored session gets. */
  ttlMs: number;
}

export async function moveToTrash(
  ctx: TrashContext,
  name: string,
  options: TrashOptions | undefined,
): Promise<TrashEntry | undefined> {
  const key = normalizeSessionName(name);
  const token = fencingToken(key, options);
  const settings = readTrashOptions(options);
  const keys = sessionKeys(ctx.prefix, key);
  let stored: Buffer | null = await ctx.client.getBuffer(keys.head);
  for (let attempt = 1; attempt <= MAX_MOVE_ATTEMPTS; attempt++) {
    if (stored === null) {
      if (token !== undefined && (await ctx.client.hget(keys.lease, 'token')) !== String(token))
        throw new LeaseLostError(key, token);
      return undefined;
    }
    const entry = createTrashEntry(key, infoOf(key, keys.head, stored), settings);
    const trashed = trashedKeys(ctx.prefix, key, entry.id);
    const index = indexKeys(ctx.prefix);
    const trash = trashIndexKeys(ctx.prefix);
    const member = indexMember(entry.trashedAt.getTime(), entry.id);
    const json = JSON.stringify(trashEntryToJSON(entry));
    const sessionPart = [keys.head, keys.messages, keys.transcripts, keys.lease];
    const trashPart = [trashed.head, trashed.messages, trashed.transcripts];
    const result = await ctx.scripts.moveToTrash(
      ctx.cluster
        ? [...sessionPart, ...trashPart]
        : [...sessionPart, ...trashPart, index.order, index.members, trash.order, trash.entries],
      {
        expectedSha: sha1Hex(stored),
        token,
        name: key,
        id: entry.id,
        entry: json,
        member,
        expireAt: entry.expiresAt.getTime() + TRASH_EXPIRY_GRACE_MS,
      },
    );
    if ('leaseLost' in result) throw new LeaseLostError(key, token ?? 0);
    if (result.moved) {
      if (ctx.cluster)
        await ctx.scripts.trashIndex(
          [index.order, index.members, trash.order, trash.entries],
          [key, entry.id, json, member, 'move'],
        );
      return entry;
    }
    // A save landed between the read and the move: make the entry from what is stored now.
    stored = result.storedHead;
  }
  throw new SessionConflictError(key, 0, 0, {
    hint: `moveToTrash("${key}") found the session changed by other writers on each of ${MAX_MOVE_ATTEMPTS} attempts; try again.`,
  });
}

export async function listTrash(ctx: TrashContext, options?: TrashListOptions): Promise<TrashEntry[]> {
  const { name: wanted, limit = Number.POSITIVE_INFINITY } = readTrashListOptions(options);
  const trash = trashIndexKeys(ctx.prefix);
  const now = new Date();
  const found: TrashEntry[] = [];
  for (let start = 0; found.length < limit; start += TRASH_BATCH) {
    const members = await ctx.client.zrange(trash.order, String(start), String(start + TRASH_BATCH - 1));
    if (members.length === 0) break;
    const ids = members.map((m) => m.slice(m.indexOf(':') + 1));
    const texts = await ctx.client.hmget(trash.entries, ...ids);
    for (const text of texts) {
      const entry = parseTrashEntry(text);
      if (entry === undefined || isTrashExpired(entry, now)) continue;
      if (wanted !== undefined && entry.name !== wanted) continue;
      found.push(entry);
      if (found.length >= limit) break;
    }
    if (members.length < TRASH_BATCH) break;
  }
  return found.sort(compareTrashEntries);
}

export async function restoreFromTrash(
  ctx: TrashContext,
  id: string,
  options: TrashRestoreOptions | undefined,
): Promise<string> {
  const entry = await readEntry(ctx, id);
  if (entry === undefined || isTrashExpired(entry)) throw trashEntryNotFound(id, 'Redis');
  const target = normalizeSessionName(options?.name ?? entry.name);
  if (ctx.cluster && target !== entry.name) return restoreAcrossSlots(ctx, entry, target);
  const trashed = trashedKeys(ctx.prefix, entry.name, entry.id);
  const keys = sessionKeys(ctx.prefix, target);
  const index = indexKeys(ctx.prefix);
  const trash = trashIndexKeys(ctx.prefix);
  const trashMember = indexMember(entry.trashedAt.getTime(), entry.id);
  const member = indexMember(entry.session.lastActive.getTime(), target);
  // The trashed head does not change while in the trash: its project is the restored session's.
  const project = await trashedProject(ctx, trashed.head, entry.name);
  const session = [
    trashed.head,
    trashed.messages,
    trashed.transcripts,
    keys.head,
    keys.messages,
    keys.transcripts,
  ];
  const outcome = await ctx.scripts.restoreFromTrash(
    ctx.cluster ? session : [...session, index.order, index.members, trash.order, trash.entries],
    { id: entry.id, trashMember, ttlMs: ctx.ttlMs, name: target, member, project },
  );
  if (outcome === 'name-taken') {
    throw restoreNameTaken(target, await storedRevision(ctx, keys.head));
  }
  if (outcome === 'gone') throw trashEntryNotFound(id, 'Redis');
  if (ctx.cluster)
    await ctx.scripts.trashIndex(
      [index.order, index.members, trash.order, trash.entries],
      [target, entry.id, member, trashMember, 'restore', project],
    );
  return target;
}

/**
 * On a Cluster, under another name: the target's keys are in another slot, so the trashed keys are copied
 * (DUMP, then one script in the target's slot RESTOREs them all or none), then the trash keys are deleted.
 * A crash between the two leaves the entry in the trash beside the restored session: nothing is lost.
 */
async function restoreAcrossSlots(ctx: TrashContext, entry: TrashEntry, target: string): Promise<string> {
  const trashed = trashedKeys(ctx.prefix, entry.name, entry.id);
  const keys = sessionKeys(ctx.prefix, target);
  if ((await ctx.client.exists(keys.head)) === 1)
    throw restoreNameTaken(target, await storedRevision(ctx, keys.head));
  const head = await ctx.client.dumpBuffer(trashed.head);
  if (head === null) throw trashEntryNotFound(entry.id, 'Redis');
  const project = await trashedProject(ctx, trashed.head, entry.name);
  const messages = await ctx.client.dumpBuffer(trashed.messages);
  const set = await ctx.client.dumpBuffer(trashed.transcripts);
  const pairs: (string | Buffer)[] = [];
  const base = trashed.transcripts.slice(0, -'transcripts'.length);
  for (const id of await ctx.client.smembers(trashed.transcripts)) {
    const payload = await ctx.client.dumpBuffer(`${base}transcript:${id}`);
    if (payload !== null) pairs.push(id, payload);
  }
  const restored = await ctx.scripts.restoreCopy([keys.head, keys.messages, keys.transcripts], ctx.ttlMs, [
    head,
    messages ?? '',
    set ?? '',
    ...pairs,
  ]);
  if (!restored) throw restoreNameTaken(target, await storedRevision(ctx, keys.head));
  const index = indexKeys(ctx.prefix);
  const trash = trashIndexKeys(ctx.prefix);
  const trashMember = indexMember(entry.trashedAt.getTime(), entry.id);
  await ctx.scripts.purgeTrashed(
    [trashed.head, trashed.messages, trashed.transcripts],
    entry.id,
    trashMember,
  );
  await ctx.scripts.trashIndex(
    [index.order, index.members, trash.order, trash.entries],
    [
      target,
      entry.id,
      indexMember(entry.session.lastActive.getTime(), target),
      trashMember,
      'restore',
      project,
    ],
  );
  return target;
}

/** The project key of a trashed session ('' for none, or when its head does not validate). */
async function trashedProject(ctx: TrashContext, headKey: string, name: string): Promise<string> {
  const text = await ctx.client.get(headKey);
  if (text === null) return '';
  try {
    return sessionProjectKey(fromWireHead(text, { name, location: headKey })) ?? '';
  } catch {
    return '';
  }
}

export async function purgeTrash(ctx: TrashContext, options?: TrashPurgeOptions): Promise<number> {
  const { id, all } = readTrashPurgeOptions(options);
  if (id !== undefined) {
    const entry = await readEntry(ctx, id);
    if (entry === undefined) return 0;
    await purgeOne(ctx, entry);
    return 1;
  }
  const trash = trashIndexKeys(ctx.prefix);
  const now = new Date();
  let purged = 0;
  let start = 0;
  for (;;) {
    const members = await ctx.client.zrange(trash.order, String(start), String(start + TRASH_BATCH - 1));
    if (members.length === 0) break;
    const ids = members.map((m) => m.slice(m.indexOf(':') + 1));
    const texts = await ctx.client.hmget(trash.entries, ...ids);
    let kept = 0;
    for (const [i, text] of texts.entries()) {
      const entry = parseTrashEntry(text);
      if (entry === undefined) {
        // An index member without a readable entry: nothing can restore it; drop the member.
        await ctx.client.zrem(trash.order, members[i]!);
        continue;
      }
      if (!all && !isTrashExpired(entry, now)) {
        kept += 1;
        continue;
      }
      await purgeOne(ctx, entry);
      purged += 1;
    }
    if (members.length < TRASH_BATCH) break;
    start += kept;
  }
  return purged;
}

async function purgeOne(ctx: TrashContext, entry: TrashEntry): Promise<void> {
  const trashed = trashedKeys(ctx.prefix, entry.name, entry.id);
  const trash = trashIndexKeys(ctx.prefix);
  const member = indexMember(entry.trashedAt.getTime(), entry.id);
  const data = [trashed.head, trashed.messages, trashed.transcripts];
  if (!ctx.cluster) {
    await ctx.scripts.purgeTrashed([...data, trash.order, trash.entries], entry.id, member);
    return;
  }
  await ctx.scripts.purgeTrashed(data, entry.id, member);
  await ctx.client.zrem(trash.order, member);
  await ctx.client.hdel(trash.entries, entry.id);
}

async function readEntry(ctx: TrashContext, id: string): Promise<TrashEntry | undefined> {
  if (!isTrashId(id)) return undefined;
  return parseTrashEntry(await ctx.client.hget(trashIndexKeys(ctx.prefix).entries, id));
}

function parseTrashEntry(text: string | null | undefined): TrashEntry | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return trashEntryFromJSON(JSON.parse(text));
  } catch {
    return undefined;
  }
}

async function storedRevision(ctx: TrashContext, head: string): Promise<number> {
  const text = await ctx.client.get(head).catch(() => null);
  try {
    return text === null ? 0 : fromWireHead(text, { name: '', location: head }).revision;
  } catch {
    return 0;
  }
}

/** The listing entry of the head being trashed (with `error` when it does not validate). */
function infoOf(name: string, path: string, head: Buffer): SessionInfo {
  try {
    return sessionInfoFromHead(fromWireHead(new Uint8Array(head), { name, location: path }), { name, path });
  } catch (err) {
    if (!SessionCorruptError.is(err) && !UnsupportedFormatError.is(err)) throw err;
    return corruptSessionInfo({ name, path }, err);
  }
}
