/**
 * The per-session writer lock that makes "check the revision, then write" atomic across processes.
 *
 * A lock is a file `<root>/.locks/<name>.lock`, created with O_EXCL (so exactly one creator wins) and
 * holding its owner `{ pid, host, nonce }`. It is released by unlinking it, only by its owner, and only if
 * the file there is still the one it created (same inode).
 *
 * A lock whose owner died (a killed process) is stale and is broken: the owner is on this host and its pid
 * is gone, or it carries this process's pid but not a nonce this process holds (a restarted container that
 * got the same pid), or it was taken on another host and is older than `staleMs` (a shared file system,
 * where pids mean nothing), or it is still empty after a few seconds (its creator died before writing the
 * owner). Breaking is serialized by a second lock file (`<name>.lock.breaker`), and a breaker deletes the
 * lock only if it is still the very file it judged: two processes can never both break a lock and then
 * both own it.
 */
import { randomUUID } from 'node:crypto';
import { type FileHandle, open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageUnavailableError } from '@channelcoder/session-core/model';
import { FILE_MODE } from './durable-fs.js';
import { isErrno } from './fs-errors.js';

export interface LockTiming {
  /** The storage operation waiting for the lock, for the error message. */
  operation: string;
  /** Give up waiting for the lock after this many milliseconds. */
  timeoutMs: number;
  /** A lock from another host older than this is considered abandoned. */
  staleMs: number;
}

interface LockOwner {
  pid: number;
  host: string;
  nonce: string;
}

interface HeldLock {
  path: string;
  handle: FileHandle;
  ino: number;
  nonce: string;
}

interface SeenLock {
  owner: LockOwner | undefined;
  ino: number;
  mtimeMs: number;
  ageMs: number;
}

/**
 * Nonces of the locks this process holds (to tell its own locks from a previous process with its pid).
 * Shared through the global symbol registry, so copies of this package loaded side by side (ESM and CJS,
 * two versions) know each other's locks.
 */
const HELD_KEY = Symbol.for('channelcoder.storage-file.heldLocks');
const registry = globalThis as typeof globalThis & { [HELD_KEY]?: Set<string> };
registry[HELD_KEY] ??= new Set<string>();
const heldHere: Set<string> = registry[HELD_KEY];
/** A breaker lock is held for a few file operations; one older than this belongs to a dead breaker. */
const BREAKER_STALE_MS = 5_000;
/** The owner is written right after the file is created; still empty after this long, its creator died. */
const EMPTY_LOCK_STALE_MS = 5_000;

/** Runs `critical` while holding the lock at `lockPath`. */
export async function withLock<T>(
  lockPath: string,
  timing: LockTiming,
  critical: () => Promise<T>,
): Promise<T> {
  const held = await acquire(lockPath, timing);
  try {
    return await critical();
  } finally {
    await release(held);
  }
}

async function acquire(lockPath: string, timing: LockTiming): Promise<HeldLock> {
  const deadline = Date.now() + timing.timeoutMs;
  let delay = 1;
  for (;;) {
    const held = await tryCreate(lockPath);
    if (held !== undefined) return held;
    if (await breakIfStale(lockPath, timing)) continue;
    if (Date.now() >= deadline) {
      const holder = (await inspect(lockPath))?.owner;
      throw new StorageUnavailableError(
        'file',
        timing.operation,
        new Error(
          `the lock ${lockPath} is held by ${holder ? `pid ${holder.pid} on ${holder.host}` : 'another writer'} ` +
            `and was not released within ${timing.timeoutMs} ms; if no process is writing this session, delete the lock file`,
        ),
      );
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 25);
  }
}

/** Creates the lock file if it does not exist; undefined when another owner has it. */
async function tryCreate(path: string): Promise<HeldLock | undefined> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), nonce: randomUUID() };
  heldHere.add(owner.nonce);
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', FILE_MODE);
  } catch (err) {
    heldHere.delete(owner.nonce);
    if (isErrno(err, 'EEXIST')) return undefined;
    throw err;
  }
  try {
    const [, info] = await Promise.all([handle.write(JSON.stringify(owner), 0), handle.stat()]);
    return { path, handle, ino: info.ino, nonce: owner.nonce };
  } catch (err) {
    heldHere.delete(owner.nonce);
    await Promise.allSettled([handle.close(), unlink(path)]);
    throw err;
  }
}

async function release(held: HeldLock): Promise<void> {
  try {
    // Only the owner's own file is removed; one that was (wrongly) broken and re-taken stays with its taker.
    const now = await stat(held.path).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    });
    if (now?.ino === held.ino) await unlinkIfPresent(held.path);
  } finally {
    heldHere.delete(held.nonce);
    await held.handle.close();
  }
}

async function inspect(path: string): Promise<SeenLock | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return {
      owner: parseOwner(text),
      ino: info.ino,
      mtimeMs: info.mtimeMs,
      ageMs: Date.now() - info.mtimeMs,
    };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    return typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.nonce === 'string'
      ? { pid: value.pid, host: value.host, nonce: value.nonce }
      : undefined;
  } catch {
    return undefined; // not written yet (or not ours): judged by age
  }
}

function isStale(seen: SeenLock, staleMs: number): boolean {
  const { owner } = seen;
  if (owner === undefined) return seen.ageMs > EMPTY_LOCK_STALE_MS;
  if (owner.host !== hostname()) return seen.ageMs > staleMs;
  if (owner.pid === process.pid) return !heldHere.has(owner.nonce);
  return !isProcessAlive(owner.pid);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

/** Removes the lock if its owner is gone; true when the caller should retry at once. */
async function breakIfStale(lockPath: string, timing: LockTiming): Promise<boolean> {
  const seen = await inspect(lockPath);
  if (seen === undefined) return true; // released meanwhile
  if (!isStale(seen, timing.staleMs)) return false;
  const breakerPath = `${lockPath}.breaker`;
  const breaker = await tryCreate(breakerPath);
  if (breaker === undefined) {
    const other = await inspect(breakerPath);
    if (other !== undefined && (isStale(other, BREAKER_STALE_MS) || other.ageMs > BREAKER_STALE_MS)) {
      await unlinkIfPresent(breakerPath);
    }
    return false;
  }
  try {
    // Still the very file judged stale? Nobody but a breaker removes another owner's lock, and breakers
    // take turns, so it cannot change hands between this check and the unlink.
    const now = await stat(lockPath).catch(() => undefined);
    if (now?.ino === seen.ino && now.mtimeMs === seen.mtimeMs) await unlinkIfPresent(lockPath);
    return true;
  } finally {
    await release(breaker);
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}
