/**
 * Session leases (DESIGN 10) in files: `<root>/.locks/<name>.lease` holds `{ token, holder, expiresAt,
 * live }` next to the session's writer lock. Every read-modify-write of it (acquire, renew, release) runs
 * under that writer lock, so it is atomic across processes; fenced saves and transcript appends check it
 * under the same lock as their write, so a lease cannot change hands between the check and the write.
 *
 * The file outlives a release (`live: false`): it keeps the last token issued, so tokens grow per session
 * across all holders. It lives in the dot-folder `.locks`, so a lease on a name with no session yet never
 * makes `list()` or `exists()` see one. Expiry is judged by the clock of the process reading the file;
 * on a file system shared by several hosts their clocks must agree to well within the ttl.
 *
 * The record is rewritten in place as one write of a fixed size (JSON padded with spaces), so a killed
 * process never leaves half of one, and only under the lock, so no reader sees one half written. It is
 * not fsync'd, and not replaced by rename (which ext4 turns into a flush on a busy disk): a lease lasts
 * seconds, and a power loss ends every holder on the machine, so an older record after a reboot lets no
 * stale holder write. Should a power loss leave the record torn, the next acquire replaces it and issues
 * the current time in milliseconds as its token: greater than any counter value issued before.
 */
import { constants, open, readFile } from 'node:fs/promises';
import {
  LeaseLostError,
  type LeaseOptions,
  SessionCorruptError,
  type SessionLease,
} from '@channelcoder/session-core/model';
import {
  acquireLease,
  assertLeaseCurrent,
  createLeaseHandle,
  readLeaseOptions,
} from '@channelcoder/session-core/storage-kit';
import { FILE_MODE } from './durable-fs.js';
import { isErrno, toStorageError } from './fs-errors.js';
import type { StorageLayout } from './layout.js';
import { type LockTiming, withLock } from './session-lock.js';

/** What `<name>.lease` holds. */
export interface LeaseRecord {
  /** The last token issued for this session (kept after release). */
  token: number;
  holder: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** False once released; the token stays. */
  live: boolean;
}

export interface LeaseFiles {
  layout: StorageLayout;
  fsync: boolean;
  lockTiming(operation: string): LockTiming;
  /** Creates the root and its `.locks` folder when missing. */
  ensureRoot(): Promise<void>;
}

/** Takes the lease of session `key` (already validated), waiting per `options.waitMs`. */
export async function takeFileLease(
  files: LeaseFiles,
  key: string,
  options: LeaseOptions | undefined,
): Promise<SessionLease> {
  const { ttlMs, holder, waitMs, signal } = readLeaseOptions(options);
  await files.ensureRoot();
  return acquireLease<SessionLease>(key, { waitMs, ...(signal ? { signal } : {}) }, () =>
    underLock(files, key, `lease("${key}")`, async () => {
      const now = Date.now();
      const current = await readLeaseRecord(files.layout, key).catch((err: unknown) => {
        if (SessionCorruptError.is(err)) return 'torn' as const;
        throw err;
      });
      if (current !== 'torn' && current?.live && current.expiresAt > now)
        return { busy: { holder: current.holder, expiresAt: new Date(current.expiresAt) } };
      const token = current === 'torn' ? now : (current?.token ?? 0) + 1;
      const record: LeaseRecord = { token, holder, expiresAt: now + ttlMs, live: true };
      await writeLeaseRecord(files, key, record);
      return {
        acquired: createLeaseHandle({
          name: key,
          token,
          holder,
          expiresAt: new Date(record.expiresAt),
          ttlMs,
          renew: (ms) => renewFileLease(files, key, token, ms),
          release: () => releaseFileLease(files, key, token),
        }),
      };
    }),
  );
}

/**
 * Checks, while the caller holds the session's writer lock, that `lease` is still the session's current
 * lease. @throws LeaseLostError
 */
export async function assertFileLeaseHeld(
  layout: StorageLayout,
  key: string,
  lease: SessionLease,
): Promise<void> {
  const current = await readLeaseRecord(layout, key);
  assertLeaseCurrent(key, lease, current?.live ? current : undefined);
}

async function renewFileLease(files: LeaseFiles, key: string, token: number, ttlMs: number): Promise<Date> {
  return underLock(files, key, `renew lease("${key}")`, async () => {
    const current = await readLeaseRecord(files.layout, key);
    const now = Date.now();
    if (!current?.live || current.token !== token)
      throw new LeaseLostError(key, token, 'another holder took it or it was released');
    if (current.expiresAt <= now) throw new LeaseLostError(key, token, 'it expired');
    const renewed = { ...current, expiresAt: now + ttlMs };
    await writeLeaseRecord(files, key, renewed);
    return new Date(renewed.expiresAt);
  });
}

async function releaseFileLease(files: LeaseFiles, key: string, token: number): Promise<void> {
  await underLock(files, key, `release lease("${key}")`, async () => {
    const current = await readLeaseRecord(files.layout, key);
    if (current?.live && current.token === token)
      await writeLeaseRecord(files, key, { ...current, live: false });
  });
}

/** Runs `critical` under the session's writer lock; file-system failures become StorageUnavailableError. */
async function underLock<T>(
  files: LeaseFiles,
  key: string,
  operation: string,
  critical: () => Promise<T>,
): Promise<T> {
  try {
    return await withLock(files.layout.lockPath(key), files.lockTiming(operation), critical);
  } catch (err) {
    throw toStorageError(err, operation);
  }
}

/** The stored lease record of `key`, or undefined when no lease was ever taken. */
export async function readLeaseRecord(layout: StorageLayout, key: string): Promise<LeaseRecord | undefined> {
  const path = layout.leasePath(key);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  const record = parseRecord(text);
  if (record === undefined)
    throw new SessionCorruptError(
      key,
      'lease',
      `is not a valid lease record (${JSON.stringify(text.slice(0, 80))})`,
      {
        location: path,
      },
    );
  return record;
}

function parseRecord(text: string): LeaseRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<LeaseRecord>;
    if (
      Number.isSafeInteger(value.token) &&
      typeof value.holder === 'string' &&
      Number.isFinite(value.expiresAt) &&
      typeof value.live === 'boolean'
    )
      return value as LeaseRecord;
  } catch {
    // reported below as corrupt
  }
  return undefined;
}

/** Every record is written as exactly this many bytes (a holder is at most 200 characters). */
const RECORD_BYTES = 2048;

/** Rewrites the record in place with one fixed-size write (see the module notes). */
async function writeLeaseRecord(files: LeaseFiles, key: string, record: LeaseRecord): Promise<void> {
  const bytes = Buffer.alloc(RECORD_BYTES, ' ');
  bytes.write(JSON.stringify(record), 'utf8');
  const handle = await open(files.layout.leasePath(key), constants.O_WRONLY | constants.O_CREAT, FILE_MODE);
  try {
    await handle.write(bytes, 0, RECORD_BYTES, 0);
  } finally {
    await handle.close();
  }
}
