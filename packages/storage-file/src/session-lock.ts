/**
 * The per-session writer lock that makes "check the revision, then write" atomic across processes.
 *
 * A lock is a file `<root>/.locks/<name>.lock` holding its owner `{ pid, host, nonce }`. It is taken by
 * `link()`ing a fully written temp file to that path, which fails if it exists: taking it is atomic and the
 * file is never seen half-written. It is released by unlinking it (only by its owner).
 *
 * A lock whose owner died (a killed process) is stale and is broken: the owner is on this host and its pid
 * is gone, or it carries this process's pid but not a nonce this process holds (a restarted container that
 * got the same pid), or it is older than `staleMs` and was taken on another host (a shared file system,
 * where pids mean nothing). Breaking is serialized by a second lock file (`<name>.lock.breaker`), and a
 * breaker deletes the stale lock only if it still holds the same nonce it judged: two processes can never
 * both break a lock and then both own it.
 */
import { randomUUID } from 'node:crypto';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageUnavailableError } from '@channelcoder/session-core';
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

/** Nonces of the locks this process holds (to tell its own locks from a previous process with its pid). */
const heldHere = new Set<string>();
/** A breaker lock is held for a few file operations; one older than this belongs to a dead breaker. */
const BREAKER_STALE_MS = 5_000;

/** Runs `critical` while holding the lock at `lockPath`. */
export async function withLock<T>(
  lockPath: string,
  timing: LockTiming,
  critical: () => Promise<T>,
): Promise<T> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), nonce: randomUUID() };
  await acquire(lockPath, owner, timing);
  try {
    return await critical();
  } finally {
    await release(lockPath, owner);
  }
}

async function acquire(lockPath: string, owner: LockOwner, timing: LockTiming): Promise<void> {
  const deadline = Date.now() + timing.timeoutMs;
  let delay = 1;
  for (;;) {
    if (await tryCreate(lockPath, owner)) return;
    if (await breakIfStale(lockPath, owner, timing)) continue;
    if (Date.now() >= deadline) {
      const holder = await readOwner(lockPath);
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

/** Creates `path` holding `owner`, atomically and only if it does not exist. */
async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  const temp = `${path}.${owner.nonce}.tmp`;
  await writeFile(temp, JSON.stringify(owner), { mode: FILE_MODE });
  heldHere.add(owner.nonce);
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    heldHere.delete(owner.nonce);
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  } finally {
    await unlink(temp);
  }
}

async function release(path: string, owner: LockOwner): Promise<void> {
  heldHere.delete(owner.nonce);
  // Only the owner's own lock is removed; one that was (wrongly) broken and re-taken stays with its taker.
  if ((await readOwner(path))?.nonce === owner.nonce) await unlinkIfPresent(path);
}

async function readOwner(path: string): Promise<(LockOwner & { ageMs: number }) | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string' || typeof value.nonce !== 'string')
      return undefined;
    return { pid: value.pid, host: value.host, nonce: value.nonce, ageMs: Date.now() - info.mtimeMs };
  } catch (err) {
    if (isErrno(err, 'ENOENT') || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

function isStale(holder: LockOwner & { ageMs: number }, staleMs: number): boolean {
  if (holder.host !== hostname()) return holder.ageMs > staleMs;
  if (holder.pid === process.pid) return !heldHere.has(holder.nonce);
  return !isProcessAlive(holder.pid);
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
async function breakIfStale(lockPath: string, me: LockOwner, timing: LockTiming): Promise<boolean> {
  const holder = await readOwner(lockPath);
  if (holder === undefined) return false;
  if (!isStale(holder, timing.staleMs)) return false;
  const breakerPath = `${lockPath}.breaker`;
  const breaker: LockOwner = { ...me, nonce: randomUUID() };
  if (!(await tryCreate(breakerPath, breaker))) {
    const other = await readOwner(breakerPath);
    if (other !== undefined && (isStale(other, BREAKER_STALE_MS) || other.ageMs > BREAKER_STALE_MS)) {
      await unlinkIfPresent(breakerPath);
    }
    return false;
  }
  try {
    // Still the same abandoned lock? Nobody but a breaker removes another owner's lock, and breakers
    // take turns, so it cannot have changed hands between this check and the unlink.
    if ((await readOwner(lockPath))?.nonce === holder.nonce) await unlinkIfPresent(lockPath);
    return true;
  } finally {
    await release(breakerPath, breaker);
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}
