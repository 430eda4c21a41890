/**
 * The few file operations the storage is built from, each with the fsync discipline that makes it
 * durable. With `sync: false` the same steps run without fsync: still atomic against a killed process
 * (rename replaces a file in one step), but not against a power loss.
 */
import { constants, type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { isErrno } from './fs-errors.js';
import { NOFOLLOW, realDirectory, StoredSizeError } from './no-follow.js';

/** Owner-only permissions: conversations hold secrets. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/**
 * fsync of a directory, which makes renames, creations and removals of its entries durable. Windows cannot
 * open a directory for syncing; NTFS journals those metadata changes itself.
 */
export async function syncDirectory(dir: string, sync: boolean): Promise<void> {
  if (!sync || process.platform === 'win32') return;
  const handle = await open(dir, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | NOFOLLOW);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `dir` (owner-only) if it is missing and returns whether it did. A new directory's entry is
 * made durable by syncing its parent.
 *
 * @throws RefusedLinkError when `dir` exists as a symbolic link or a file (nothing is written through it).
 */
export async function ensureDirectory(dir: string, parent: string, sync: boolean): Promise<boolean> {
  try {
    await mkdir(dir, { mode: DIR_MODE });
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
    await realDirectory(dir);
    return false;
  }
  await syncDirectory(parent, sync);
  return true;
}

/** Writes the whole buffer at `position`, looping over short writes. */
async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * An open, written, not yet synced file. Several of them can be synced in parallel before the rename
 * that publishes them (the order that matters is: data durable, then the head that references it).
 */
export interface PendingWrite {
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Writes `data` at byte `offset` of `path` (created owner-only if missing) after cutting the file to
 * `offset`: bytes beyond the last committed offset are the torn tail of a save that never committed.
 *
 * @throws StoredSizeError when the file is shorter than `offset` (a head that records more than was
 *   ever written: extending the file would invent data); ELOOP when `path` is a symbolic link.
 */
export async function writeAt(path: string, offset: number, data: Buffer): Promise<PendingWrite> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | NOFOLLOW, FILE_MODE);
  try {
    const { size } = await handle.stat();
    if (size < offset) throw new StoredSizeError(path, size, offset);
    await handle.truncate(offset);
    await writeAll(handle, data, offset);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return pending(handle);
}

/**
 * Creates `path` with `data` (owner-only); not durable until synced. The file is created exclusively
 * (O_EXCL: never through a link); a leftover of an earlier attempt (a crash, under the same lock) is
 * unlinked first: unlinking removes a link itself, never its target.
 */
export async function writeFresh(path: string, data: Buffer): Promise<PendingWrite> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;
  let handle: FileHandle;
  try {
    handle = await open(path, flags, FILE_MODE);
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
    await unlink(path);
    handle = await open(path, flags, FILE_MODE);
  }
  try {
    await writeAll(handle, data, 0);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return pending(handle);
}

function pending(handle: FileHandle): PendingWrite {
  return {
    // fdatasync: the data and the file size, which is all a reader needs.
    sync: () => handle.datasync(),
    close: () => handle.close(),
  };
}

/** Starts several writes at once; if one fails, the others are closed and the failure is thrown. */
export async function startWrites(starts: readonly (() => Promise<PendingWrite>)[]): Promise<PendingWrite[]> {
  const results = await Promise.allSettled(starts.map((start) => start()));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.allSettled(started.map((w) => w.close()));
    throw failed.reason;
  }
  return started;
}

/** Syncs (when asked) and closes every pending write; closes all of them even when one fails. */
export async function finishWrites(writes: readonly PendingWrite[], sync: boolean): Promise<void> {
  try {
    if (sync) await Promise.all(writes.map((w) => w.sync()));
  } finally {
    await Promise.all(writes.map((w) => w.close()));
  }
}

/**
 * Atomically replaces `target` with the already synced `temp`, then makes the rename durable while
 * `alongside` (work that only needs the rename done) runs.
 */
export async function publish(
  temp: string,
  target: string,
  dir: string,
  sync: boolean,
  alongside: () => Promise<unknown>,
): Promise<void> {
  await rename(temp, target);
  await Promise.all([syncDirectory(dir, sync), alongside()]);
}
