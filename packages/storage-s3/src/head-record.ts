/**
 * The head object of a session: the core wire head (everything but the messages) plus the list of part
 * objects that hold the messages, in order, and the id of the write that stored it.
 *
 *   { ...WireHead, "parts": [{ "id": "0000000007-3f9a2c1e", "count": 2 }, …], "writeId": "…" }
 *
 * A head may instead carry a whole wire document with its `messages` inline and no `parts` (a session
 * imported in the whole-document format, e.g. a seed-era format 0 file): it loads as is, and the next save
 * moves its messages into a part.
 */
import { SessionCorruptError, type SessionState } from '@channelcoder/session-core';
import { fromWireHead, toWireHead, type WireHeadInfo } from '@channelcoder/session-core/storage-kit';
import type { HeadLease } from './head-lease.js';
import { isPartId, type PartRef } from './keys.js';

export type HeadLayout = { kind: 'parts'; parts: PartRef[] } | { kind: 'inline' };

export interface StoredHead {
  etag: string;
  /** The validated head; for an inline document, `messageCount` is the number of inline messages. */
  info: WireHeadInfo;
  /** The parsed JSON, for `assembleState` / `deserializeState`. */
  doc: Record<string, unknown>;
  layout: HeadLayout;
  writeId: string | undefined;
}

/**
 * Validates a stored head.
 *
 * @throws SessionCorruptError (not JSON, a bad field, a bad part list); UnsupportedFormatError.
 */
export function readStoredHead(name: string, text: string, etag: string, location: string): StoredHead {
  const info = fromWireHead(text, { name, location }); // throws the typed error for anything malformed
  const doc = JSON.parse(text) as Record<string, unknown>;
  const writeId = typeof doc.writeId === 'string' ? doc.writeId : undefined;
  if (doc.parts === undefined && Array.isArray(doc.messages)) {
    return {
      etag,
      info: { ...info, messageCount: doc.messages.length },
      doc,
      layout: { kind: 'inline' },
      writeId,
    };
  }
  const parts = readParts(doc.parts, name, location);
  const total = parts.reduce((sum, p) => sum + p.count, 0);
  if (total !== info.messageCount) {
    throw new SessionCorruptError(
      name,
      'parts',
      `hold ${total} messages but the head records ${info.messageCount}`,
      { location },
    );
  }
  return { etag, info, doc, layout: { kind: 'parts', parts }, writeId };
}

function readParts(value: unknown, name: string, location: string): PartRef[] {
  const fail = (problem: string): never => {
    throw new SessionCorruptError(name, 'parts', problem, { location });
  };
  if (!Array.isArray(value)) return fail('is not an array');
  return value.map((raw, i) => {
    const part = raw as { id?: unknown; count?: unknown } | null;
    if (typeof part !== 'object' || part === null) return fail(`[${i}] is not an object`);
    if (typeof part.id !== 'string' || !isPartId(part.id)) return fail(`[${i}].id is not a part id`);
    if (!Number.isInteger(part.count) || (part.count as number) < 1) {
      return fail(`[${i}].count is not a positive integer`);
    }
    return { id: part.id, count: part.count as number };
  });
}

/** The head text a save stores for `state` at `revision`. */
export function headText(
  state: SessionState,
  revision: number,
  parts: PartRef[],
  writeId: string,
  lease?: HeadLease,
): string {
  return JSON.stringify({
    ...toWireHead({ ...state, revision }),
    parts,
    writeId,
    ...(lease === undefined ? {} : { lease }),
  });
}
