/**
 * What a save is planned against: the stored head (its revision, message count and last message id) and
 * the sha1 of its exact bytes. The save script writes only if the stored head still has that sha1, so the
 * plan (append from N, or rewrite) and the revision check are atomic with the write.
 *
 * The storage remembers the basis of the heads it last wrote or loaded, so a session that a worker loads
 * and saves turn after turn costs one round trip per save (the script alone); otherwise one GET first.
 */
import { createHash } from 'node:crypto';
import { type DecodeContext, fromWireHead } from '@channelcoder/session-core/storage-kit';

export interface StoredHead {
  revision: number;
  messageCount: number;
  lastMessageId?: string | undefined;
}

export interface SaveBasis {
  /** sha1 (hex) of the stored head's bytes; '' when nothing is stored. */
  sha: string;
  head: StoredHead | undefined;
}

export const NOTHING_STORED: SaveBasis = { sha: '', head: undefined };

export function sha1Hex(data: string | Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

/** The basis for stored head bytes; @throws SessionCorruptError / UnsupportedFormatError. */
export function basisOf(stored: Buffer | string | null, ctx: DecodeContext): SaveBasis {
  if (stored === null) return NOTHING_STORED;
  const head = fromWireHead(typeof stored === 'string' ? stored : new Uint8Array(stored), ctx);
  return {
    sha: sha1Hex(stored),
    head: { revision: head.revision, messageCount: head.messageCount, lastMessageId: head.lastMessageId },
  };
}

/** A bounded most-recently-used map from session name to the basis this storage last saw. */
export class BasisCache {
  private readonly entries = new Map<string, SaveBasis>();

  constructor(private readonly capacity = 1000) {}

  /** The remembered basis, only if it is for the revision the caller's state has. */
  get(name: string, revision: number): SaveBasis | undefined {
    const basis = this.entries.get(name);
    if (basis?.head === undefined || basis.head.revision !== revision) return undefined;
    this.entries.delete(name);
    this.entries.set(name, basis);
    return basis;
  }

  set(name: string, basis: SaveBasis): void {
    this.entries.delete(name);
    this.entries.set(name, basis);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  delete(name: string): void {
    this.entries.delete(name);
  }
}
