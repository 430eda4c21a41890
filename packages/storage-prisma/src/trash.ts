/**
 * The optional trash capability, present when the client has the `ChannelCoderTrash` model (migration
 * `20261203000000_channelcoder_trash`). A move is one transaction: the session's row is renamed to
 * `~trash~<id>` (a name no session can have: listing, loading, `exists` and search never see it), its
 * message and transcript rows follow it (the foreign keys cascade on update; the adapter renames them too,
 * for SQLite connections without foreign-key enforcement), and the entry row is inserted. No row is read
 * back or copied, whatever the session's size. A restore renames them back in one transaction.
 */
import {
  normalizeSessionName,
  SessionConflictError,
  type SessionNotFoundError,
  type TrashEntry,
  type TrashListOptions,
  type TrashOptions,
  type TrashPurgeOptions,
  type TrashRestoreOptions,
} from '@channelcoder/session-core';
import {
  createTrashEntry,
  isTrashId,
  readTrashListOptions,
  readTrashOptions,
  readTrashPurgeOptions,
  restoreNameTaken,
  trashEntryFromJSON,
  trashEntryNotFound,
  trashEntryToJSON,
} from '@channelcoder/session-core/storage-kit';
import type { ModelClient, TransactionalClient, TransactionOptions } from './prisma-models.js';
import { listEntry } from './session-rows.js';
import { isUniqueViolation } from './storage-errors.js';

/** What trashed rows are renamed to: `~` never starts a session name. */
export const TRASHED_NAME_PREFIX = '~trash~';

export function trashedRowName(id: string): string {
  return `${TRASHED_NAME_PREFIX}${id}`;
}

export interface TrashRow {
  id: string;
  name: string;
  trashedAt: Date;
  expiresAt: Date;
  reason: string;
  entry: string;
}

type Where = Record<string, unknown>;

interface TrashDelegate {
  findUnique(args: { where: { id: string } }): Promise<TrashRow | null>;
  findMany(args: { where?: Where; orderBy?: unknown; take?: number; select?: Where }): Promise<TrashRow[]>;
  create(args: { data: TrashRow; select?: Where }): Promise<unknown>;
  deleteMany(args: { where: Where }): Promise<{ count: number }>;
}

interface RenamableDelegate {
  updateMany(args: { where: Where; data: Where }): Promise<{ count: number }>;
  deleteMany(args: { where: Where }): Promise<{ count: number }>;
}

type TrashClient = ModelClient & {
  channelCoderTrash: TrashDelegate;
  channelCoderTranscriptLine?: RenamableDelegate;
};

/** True when the client was generated with the trash model. */
export function hasTrashModel(prisma: object): boolean {
  const delegate = (prisma as { channelCoderTrash?: unknown }).channelCoderTrash;
  return typeof delegate === 'object' && delegate !== null;
}

export interface TrashPlace {
  prisma: TransactionalClient;
  txOptions: TransactionOptions;
  /** The client has the transcript model (its rows move with the session). */
  transcripts: boolean;
  /** Checks `options.lease` inside the move's transaction (as save does). */
  checkLease(tx: ModelClient, name: string, options: TrashOptions | undefined): Promise<void>;
}

const MAX_MOVE_ATTEMPTS = 5;

export async function moveToTrash(
  place: TrashPlace,
  key: string,
  options: TrashOptions | undefined,
): Promise<TrashEntry | undefined> {
  const settings = readTrashOptions(options);
  for (let attempt = 1; ; attempt++) {
    const outcome = await place.prisma.$transaction(async (raw) => {
      const tx = raw as TrashClient;
      await place.checkLease(tx, key, options);
      const row = await tx.channelCoderSession.findUnique({
        where: { name: key },
        select: { name: true, head: true, lastActive: true, revision: true },
      });
      if (row === null) return { moved: undefined };
      const entry = createTrashEntry(
        key,
        listEntry({ name: key, head: row.head ?? '', lastActive: row.lastActive ?? new Date(0) }),
        settings,
      );
      const trashed = trashedRowName(entry.id);
      // Renamed only if still the revision the entry describes; a concurrent mover or saver makes it 0.
      const { count } = await tx.channelCoderSession.updateMany({
        where: { name: key, revision: row.revision },
        data: { name: trashed },
      });
      if (count !== 1) return 'retry' as const;
      await renameRows(tx, place.transcripts, key, trashed);
      await tx.channelCoderTrash.create({ data: trashRow(entry), select: { id: true } });
      return { moved: entry };
    }, place.txOptions);
    if (outcome !== 'retry') return outcome.moved;
    if (attempt === MAX_MOVE_ATTEMPTS) {
      throw new SessionConflictError(key, 0, 0, {
        hint: `moveToTrash("${key}") found the session changed by other writers on each of ${MAX_MOVE_ATTEMPTS} attempts; try again.`,
      });
    }
  }
}

export async function listTrash(place: TrashPlace, options?: TrashListOptions): Promise<TrashEntry[]> {
  const { name, limit } = readTrashListOptions(options);
  if (limit === 0) return [];
  const where: Where = { expiresAt: { gt: new Date() } };
  if (name !== undefined) where.name = name;
  const rows = await (place.prisma as unknown as TrashClient).channelCoderTrash.findMany({
    where,
    orderBy: [{ trashedAt: 'desc' }, { id: 'asc' }],
    ...(limit === undefined ? {} : { take: limit }),
  });
  return rows.flatMap((row) => parseTrashEntry(row.entry) ?? []);
}

function parseTrashEntry(text: string): TrashEntry | undefined {
  try {
    return trashEntryFromJSON(JSON.parse(text));
  } catch {
    return undefined;
  }
}

export async function restoreFromTrash(
  place: TrashPlace,
  id: string,
  options: TrashRestoreOptions | undefined,
): Promise<string> {
  if (!isTrashId(id)) throw notInTrash(id);
  const target = options?.name === undefined ? undefined : normalizeSessionName(options.name);
  try {
    return await place.prisma.$transaction(async (raw) => {
      const tx = raw as TrashClient;
      const row = await tx.channelCoderTrash.findUnique({ where: { id } });
      if (row === null || row.expiresAt.getTime() <= Date.now()) throw notInTrash(id);
      const name = target ?? row.name;
      const taken = await tx.channelCoderSession.findUnique({
        where: { name },
        select: { revision: true },
      });
      if (taken !== null) throw restoreNameTaken(name, taken.revision ?? 0);
      const trashed = trashedRowName(id);
      const { count } = await tx.channelCoderSession.updateMany({
        where: { name: trashed },
        data: { name },
      });
      if (count !== 1) throw notInTrash(id);
      await renameRows(tx, place.transcripts, trashed, name);
      const deleted = await tx.channelCoderTrash.deleteMany({ where: { id } });
      if (deleted.count !== 1) throw notInTrash(id);
      return name;
    }, place.txOptions);
  } catch (err) {
    // A session created under the name between the check and the rename: the primary key refuses it.
    if (isUniqueViolation(err) && target !== undefined) throw restoreNameTaken(target);
    throw err;
  }
}

export async function purgeTrash(place: TrashPlace, options?: TrashPurgeOptions): Promise<number> {
  const client = place.prisma as unknown as TrashClient;
  let ids: string[];
  const { id, all } = readTrashPurgeOptions(options);
  if (id !== undefined) {
    if (!isTrashId(id)) return 0;
    ids = [id];
  } else {
    const where: Where = all ? {} : { expiresAt: { lte: new Date() } };
    ids = (await client.channelCoderTrash.findMany({ where, select: { id: true } })).map((r) => r.id);
  }
  let purged = 0;
  for (const one of ids) {
    purged += await place.prisma.$transaction(async (raw) => {
      const tx = raw as TrashClient;
      const trashed = trashedRowName(one);
      if (place.transcripts)
        await tx.channelCoderTranscriptLine?.deleteMany({ where: { sessionName: trashed } });
      await tx.channelCoderMessage.deleteMany({ where: { sessionName: trashed } });
      await tx.channelCoderSession.deleteMany({ where: { name: trashed } });
      return (await tx.channelCoderTrash.deleteMany({ where: { id: one } })).count;
    }, place.txOptions);
  }
  return purged;
}

/** The message and transcript rows of `from` now belong to `to` (no-ops when the foreign keys cascaded). */
async function renameRows(tx: TrashClient, transcripts: boolean, from: string, to: string): Promise<void> {
  await (tx.channelCoderMessage as unknown as RenamableDelegate).updateMany({
    where: { sessionName: from },
    data: { sessionName: to },
  });
  if (transcripts)
    await tx.channelCoderTranscriptLine?.updateMany({
      where: { sessionName: from },
      data: { sessionName: to },
    });
}

function trashRow(entry: TrashEntry): TrashRow {
  return {
    id: entry.id,
    name: entry.name,
    trashedAt: entry.trashedAt,
    expiresAt: entry.expiresAt,
    reason: entry.reason,
    entry: JSON.stringify(trashEntryToJSON(entry)),
  };
}

function notInTrash(id: string): SessionNotFoundError {
  return trashEntryNotFound(id, 'the database');
}
