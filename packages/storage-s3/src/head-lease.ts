/**
 * Leases in the head object (DESIGN 10): the head carries
 *
 *   "lease": { "token": 7, "holder": "host:pid:…", "expiresAt": 1767225600000, "id": "<uuid>" }
 *
 * and every change to it (acquire, renew, release) is a conditional PUT of the whole head (`IfMatch` its
 * ETag, `IfNoneMatch: '*'` when there is none), so a lease write and a save can never both apply to the same
 * version of the head. A name with a lease but no session has a *lease-only* head, `{ "leaseOnly": true,
 * "lease": … }`, written with the metadata `x-amz-meta-channelcoder-kind: lease` so `exists()` (one HEAD
 * request) tells it apart; `load`, `list` and `exists` treat it as no session. Release sets `expiresAt` to 0
 * and keeps the token, and `remove()` leaves a lease-only head behind, so tokens keep growing.
 *
 * S3 has no clock of its own in a conditional write: expiry is judged by the clocks of the processes
 * that use the bucket (keep them in sync; skew eats into the ttl).
 */
import { SessionCorruptError } from '@channelcoder/session-core';

export interface HeadLease {
  token: number;
  holder: string;
  /** Milliseconds since the epoch; 0 once released. */
  expiresAt: number;
  /** Unique per acquisition: tells a retried PUT that did land apart from another holder's. */
  id: string;
}

/** Metadata key (without `x-amz-meta-`) and value marking a lease-only head. */
export const KIND_METADATA = 'channelcoder-kind';
export const LEASE_ONLY_KIND = 'lease';

/** The parsed head JSON (an object) of any head, or a SessionCorruptError. */
export function parseHeadJson(name: string, text: string, location: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SessionCorruptError(name, 'head', 'is not valid JSON', { location, cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new SessionCorruptError(name, 'head', 'is not a JSON object', { location });
  return doc as Record<string, unknown>;
}

export function isLeaseOnly(doc: Record<string, unknown>): boolean {
  return doc.leaseOnly === true;
}

/** The lease a head carries, or undefined (never leased, or a field that is not a lease). */
export function leaseOf(doc: Record<string, unknown>): HeadLease | undefined {
  const lease = doc.lease as Partial<HeadLease> | undefined;
  if (typeof lease !== 'object' || lease === null) return undefined;
  if (!Number.isInteger(lease.token) || typeof lease.holder !== 'string') return undefined;
  if (typeof lease.expiresAt !== 'number' || typeof lease.id !== 'string') return undefined;
  return lease as HeadLease;
}

/** The text of `doc` with its lease replaced (a lease-only head when `doc` is undefined). */
export function withLease(doc: Record<string, unknown> | undefined, lease: HeadLease): string {
  return JSON.stringify(doc === undefined ? { leaseOnly: true, lease } : { ...doc, lease });
}

/** True when `lease` is held at `now`. */
export function isLive(lease: HeadLease | undefined, now: number = Date.now()): boolean {
  return lease !== undefined && lease.expiresAt > now;
}
