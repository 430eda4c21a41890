/**
 * The optional transcript capability (portable sessions): the Claude CLI's JSONL lines of each Claude
 * session id, stored as rows of `channelcoder_transcript_lines` (model `ChannelCoderTranscriptLine`) with
 * primary key `(session_name, claude_session_id, line)`. Appends insert only lines not stored yet.
 *
 * Appends with `dedupe: 'uuid'` also fill the `uuid` column (unique per transcript): each runs in one
 * transaction that skips entries whose uuid is stored and inserts the rest after the last line; two
 * appenders that pick the same next line (or insert the same uuid) meet the primary key or the unique
 * index, and the loser runs its transaction again. Lines written by positional appends have no `uuid`.
 */
import { InvalidArgumentError, SessionCorruptError, SessionNotFoundError } from '@channelcoder/session-core';
import {
  newTranscriptLines,
  transcriptEntryUuid,
  uniqueTranscriptEntries,
} from '@channelcoder/session-core/storage-kit';
import { TABLES } from './layout.js';
import { parseJoined } from './postgres-sql.js';
import type { ModelClient, TransactionalClient, TransactionOptions } from './prisma-models.js';
import { isUniqueViolation } from './storage-errors.js';

export interface TranscriptLineRow {
  sessionName: string;
  claudeSessionId: string;
  line: number;
  entry: string;
  uuid?: string | null;
}

/** The calls made on `prisma.channelCoderTranscriptLine`. */
export interface TranscriptDelegate {
  count(args: { where: Record<string, unknown> }): Promise<number>;
  findMany(args: {
    where: Record<string, unknown>;
    orderBy?: unknown;
    select?: Record<string, unknown>;
  }): Promise<Partial<TranscriptLineRow>[]>;
  createMany(args: { data: TranscriptLineRow[] }): Promise<{ count: number }>;
  deleteMany(args: { where: Record<string, unknown> }): Promise<{ count: number }>;
}

type WithTranscripts = ModelClient & { channelCoderTranscriptLine: TranscriptDelegate };

/** True when the client was generated with the transcript model. */
export function hasTranscriptModel(prisma: object): boolean {
  const delegate = (prisma as { channelCoderTranscriptLine?: unknown }).channelCoderTranscriptLine;
  return typeof delegate === 'object' && delegate !== null;
}

/**
 * True when the client's transcript model has the `uuid` column (a client generated from this version's
 * schema); older generated clients keep positional appends only.
 */
export function hasTranscriptUuid(prisma: object): boolean {
  const model = (
    prisma as {
      _runtimeDataModel?: { models?: Record<string, { fields?: Array<{ name?: string }> }> };
    }
  )._runtimeDataModel?.models?.ChannelCoderTranscriptLine;
  return model?.fields?.some((f) => f.name === 'uuid') === true;
}

function checkClaudeSessionId(method: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) {
    throw new InvalidArgumentError(
      `${method}: claudeSessionId must be a non-empty string of at most 200 characters.`,
    );
  }
}

/**
 * The checks every append makes before touching the database: the id, `entries` an array and (with `name`)
 * `fromLine` a whole number ≥ 0. Whether `fromLine` leaves a gap depends on what is stored and is checked
 * with it.
 */
export function checkAppendArguments(
  method: string,
  claudeSessionId: unknown,
  entries?: unknown,
  fromLine?: unknown,
  name?: string,
): asserts claudeSessionId is string {
  checkClaudeSessionId(method, claudeSessionId);
  if (name === undefined) return;
  if (!Array.isArray(entries))
    throw new InvalidArgumentError(`${method}("${name}"): entries must be an array.`);
  if (typeof fromLine !== 'number' || !Number.isInteger(fromLine) || fromLine < 0) {
    throw new InvalidArgumentError(
      `${method}("${name}"): fromLine must be a whole number of 0 or more (the line of the first entry), got ${String(fromLine)}.`,
    );
  }
}

/**
 * The lines of a transcript from the array text PostgreSQL joined (`count` rows numbered `first` to `last`);
 * undefined when a line is missing or does not parse, so the caller reads them one by one to say which.
 */
export function transcriptFromJoined(
  body: string,
  count: number,
  first: number,
  last: number,
): unknown[] | undefined {
  if (first !== 0 || last !== count - 1) return undefined;
  return parseJoined(body, count);
}

/** Appends lines `fromLine…`; lines already stored are left as they are (re-appending is a no-op). */
export async function appendTranscriptLines(
  prisma: TransactionalClient,
  options: TransactionOptions,
  name: string,
  claudeSessionId: string,
  entries: readonly unknown[],
  fromLine: number,
  /** Runs first in the transaction (the lease check of a fenced append). */
  fence: (tx: ModelClient) => Promise<void> = async () => {},
): Promise<void> {
  checkClaudeSessionId('appendTranscript', claudeSessionId);
  if (!Array.isArray(entries)) throw new InvalidArgumentError('appendTranscript: entries must be an array.');
  // Two appenders racing on one transcript both insert the same next line; the loser retries and then
  // finds those lines stored.
  for (let attempt = 0; ; attempt++) {
    try {
      await prisma.$transaction(async (raw) => {
        const tx = raw as WithTranscripts;
        await fence(tx);
        const session = await tx.channelCoderSession.findUnique({ where: { name }, select: { name: true } });
        if (session === null) throw new SessionNotFoundError(name, { where: `table ${TABLES.sessions}` });
        const stored = await tx.channelCoderTranscriptLine.count({
          where: { sessionName: name, claudeSessionId },
        });
        const fresh = newTranscriptLines(name, stored, entries, fromLine);
        if (fresh.length === 0) return;
        await tx.channelCoderTranscriptLine.createMany({
          data: fresh.map((entry, i) => ({
            sessionName: name,
            claudeSessionId,
            line: stored + i,
            entry: JSON.stringify(entry ?? null),
          })),
        });
      }, options);
      return;
    } catch (err) {
      if (attempt < 3 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}

/** Transactions of racing `dedupe` appenders that lost a key to another one are run again this often. */
const UNIQUE_APPEND_ATTEMPTS = 50;
/** Uuids looked up per query (bind parameters stay far below every database's limit). */
const UUID_LOOKUP_BATCH = 500;

/** Appends with `dedupe: 'uuid'`: entries whose uuid is stored are skipped, the rest go after the last line. */
export async function appendUniqueTranscriptLines(
  prisma: TransactionalClient,
  options: TransactionOptions,
  name: string,
  claudeSessionId: string,
  entries: readonly unknown[],
  fromLine: number,
  /** Runs first in the transaction (the lease check of a fenced append). */
  fence: (tx: ModelClient) => Promise<void> = async () => {},
): Promise<void> {
  checkClaudeSessionId('appendTranscript', claudeSessionId);
  if (!Array.isArray(entries)) throw new InvalidArgumentError('appendTranscript: entries must be an array.');
  const uuids = [...new Set(entries.flatMap((e) => transcriptEntryUuid(e) ?? []))];
  for (let attempt = 1; ; attempt++) {
    try {
      await prisma.$transaction(async (raw) => {
        const tx = raw as WithTranscripts;
        await fence(raw as ModelClient);
        const session = await tx.channelCoderSession.findUnique({ where: { name }, select: { name: true } });
        if (session === null) throw new SessionNotFoundError(name, { where: `table ${TABLES.sessions}` });
        const stored = new Set<string>();
        for (let i = 0; i < uuids.length; i += UUID_LOOKUP_BATCH) {
          const rows = await tx.channelCoderTranscriptLine.findMany({
            where: {
              sessionName: name,
              claudeSessionId,
              uuid: { in: uuids.slice(i, i + UUID_LOOKUP_BATCH) },
            },
            select: { uuid: true },
          });
          for (const row of rows) if (typeof row.uuid === 'string') stored.add(row.uuid);
        }
        const fresh = uniqueTranscriptEntries(name, entries, fromLine, stored);
        if (fresh.length === 0) return;
        const next = await tx.channelCoderTranscriptLine.count({
          where: { sessionName: name, claudeSessionId },
        });
        await tx.channelCoderTranscriptLine.createMany({
          data: fresh.map((entry, i) => ({
            sessionName: name,
            claudeSessionId,
            line: next + i,
            entry: JSON.stringify(entry ?? null),
            uuid: transcriptEntryUuid(entry) ?? null,
          })),
        });
      }, options);
      return;
    } catch (err) {
      if (attempt >= UNIQUE_APPEND_ATTEMPTS || !isUniqueViolation(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(40, 2 * attempt)));
    }
  }
}

/** Every stored line in order, or `null` when none are stored for that id. */
export async function loadTranscriptLines(
  prisma: ModelClient,
  name: string,
  claudeSessionId: string,
): Promise<unknown[] | null> {
  checkClaudeSessionId('loadTranscript', claudeSessionId);
  const rows = await (prisma as WithTranscripts).channelCoderTranscriptLine.findMany({
    where: { sessionName: name, claudeSessionId },
    orderBy: { line: 'asc' },
    select: { line: true, entry: true },
  });
  if (rows.length === 0) return null;
  return rows.map((row, i) => {
    const where = `transcript ${claudeSessionId} line ${i}`;
    if (row.line !== i)
      throw new SessionCorruptError(name, where, 'is missing (the stored lines have a gap)');
    try {
      return JSON.parse(row.entry ?? '') as unknown;
    } catch (err) {
      throw new SessionCorruptError(name, where, 'is not valid JSON', { cause: err });
    }
  });
}

/** Deletes every line of one transcript; resolves how many. */
export async function deleteTranscriptOf(
  tx: ModelClient,
  name: string,
  claudeSessionId: string,
): Promise<number> {
  const { count } = await (tx as WithTranscripts).channelCoderTranscriptLine.deleteMany({
    where: { sessionName: name, claudeSessionId },
  });
  return count;
}

/** Deletes every transcript line of the session (inside the caller's transaction). */
export async function deleteTranscriptLines(tx: ModelClient, name: string): Promise<void> {
  await (tx as WithTranscripts).channelCoderTranscriptLine.deleteMany({ where: { sessionName: name } });
}
