/**
 * The optional transcript capability: the Claude CLI's JSONL lines of each Claude session id, stored with
 * the session (`P{<name>}:transcript:<claudeSessionId>`, a LIST of JSON lines, and `P{<name>}:transcripts`,
 * the SET of ids), expiring and removed together with it.
 */
import {
  InvalidArgumentError,
  LeaseLostError,
  SessionCorruptError,
  SessionNotFoundError,
} from '@channelcoder/session-core';
import { sessionKeys, transcriptKey } from './keys.js';
import type { SessionScripts } from './scripts.js';

export function checkTranscriptArgs(name: string, claudeSessionId: unknown, fromLine?: unknown): string {
  if (typeof claudeSessionId !== 'string' || claudeSessionId.length === 0 || claudeSessionId.length > 256) {
    throw new InvalidArgumentError(
      `transcript of "${name}": claudeSessionId must be a non-empty string of at most 256 characters`,
    );
  }
  if (fromLine !== undefined && !(Number.isInteger(fromLine) && (fromLine as number) >= 0)) {
    throw new InvalidArgumentError(
      `appendTranscript("${name}"): fromLine must be a non-negative integer, got ${String(fromLine)}`,
    );
  }
  return claudeSessionId;
}

export async function appendTranscriptLines(
  scripts: SessionScripts,
  prefix: string,
  name: string,
  claudeSessionId: string,
  entries: readonly unknown[],
  fromLine: number,
  token: number | undefined,
): Promise<void> {
  const lines = entries.map((entry, i) => {
    const line = JSON.stringify(entry);
    if (typeof line !== 'string') {
      throw new InvalidArgumentError(`appendTranscript("${name}"): entry ${i} cannot be stored as JSON`);
    }
    return line;
  });
  const keys = sessionKeys(prefix, name);
  const result = await scripts.appendTranscript(
    [keys.head, keys.transcripts, transcriptKey(prefix, name, claudeSessionId), keys.lease],
    claudeSessionId,
    fromLine,
    token,
    lines,
  );
  if (result.status === 'leaseLost') throw new LeaseLostError(name, token ?? 0);
  if (result.status === 'missing')
    throw new SessionNotFoundError(name, { where: `Redis (key ${keys.head})` });
  if (result.status === 'gap') {
    throw new InvalidArgumentError(
      `appendTranscript("${name}"): fromLine ${fromLine} leaves a gap: ${result.stored} lines are stored, ` +
        'so appends must start at a line from 0 to that count.',
    );
  }
}

export async function loadTranscriptLines(
  scripts: SessionScripts,
  prefix: string,
  name: string,
  claudeSessionId: string,
): Promise<unknown[] | null> {
  const key = transcriptKey(prefix, name, claudeSessionId);
  const lines = await scripts.loadTranscript([sessionKeys(prefix, name).transcripts, key], claudeSessionId);
  if (lines === undefined) return null;
  return lines.map((line, i) => {
    try {
      return JSON.parse(line) as unknown;
    } catch (err) {
      throw new SessionCorruptError(name, `transcript ${claudeSessionId} line ${i}`, 'is not valid JSON', {
        location: key,
        cause: err,
      });
    }
  });
}
