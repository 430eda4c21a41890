/**
 * The optional transcript capability (portable sessions): the Claude CLI's JSONL lines of each Claude
 * session id, stored as rows of `channelcoder_transcript_lines` (model `ChannelCoderTranscriptLine`) with
 * primary key `(session_name, claude_session_id, line)`. Appends insert only lines not stored yet.
 */
import { InvalidArgumentError, SessionCorruptError, SessionNotFoundError } from '@channelcoder/session-core';
import { newTranscriptLines } from '@channelcoder/session-core/storage-kit';
import type { ModelClient, TransactionalClient, TransactionOptions } from './prisma-models.js';
import { isUniqueViolation } from './storage-errors.js';

export interface TranscriptLineRow {
  sessionName: string;
  claudeSessionId: string;
  line: number;
  entry: string;
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

function checkClaudeSessionId(method: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) {
    throw new InvalidArgumentError(
      `${method}: claudeSessionId must be a non-empty string of at most 200 characters.`,
    );
  }
}

/** Appends lines `fromLine…`; lines already stored are left as they are (re-appending is a no-op). */
export async function appendTranscriptLines(
  prisma: TransactionalClient,
  options: TransactionOptions,
  name: string,
  claudeSessionId: string,
  entries: readonly unknown[],
  fromLine: number,
): Promise<void> {
  checkClaudeSessionId('appendTranscript', claudeSessionId);
  if (!Array.isArray(entries)) throw new InvalidArgumentError('appendTranscript: entries must be an array.');
  // Two appenders racing on one transcript both insert the same next line; the loser retries and then
  // finds those lines stored.
  for (let attempt = 0; ; attempt++) {
    try {
      await prisma.$transaction(async (raw) => {
        const tx = raw as WithTranscripts;
        const session = await tx.channelCoderSession.findUnique({ where: { name }, select: { name: true } });
        if (session === null) throw new SessionNotFoundError(name, { where: 'table channelcoder_sessions' });
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

/** Deletes every transcript line of the session (inside the caller's transaction). */
export async function deleteTranscriptLines(tx: ModelClient, name: string): Promise<void> {
  await (tx as WithTranscripts).channelCoderTranscriptLine.deleteMany({ where: { sessionName: name } });
}
