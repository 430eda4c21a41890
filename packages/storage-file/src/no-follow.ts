/**
 * The storage never follows a symbolic link: every path it writes, reads or removes is opened with
 * O_NOFOLLOW (the last component) after an lstat of the folders on the way (the session folder and its
 * `transcripts/`), and temp files are created exclusively. A link inside the root, whoever planted it,
 * is reported as a corrupt entry; nothing outside the root is written, truncated, read or removed.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { isErrno } from './fs-errors.js';

/** O_NOFOLLOW where the platform has it (everywhere but Windows, which has no such links for users). */
export const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** A link (or a non-folder) where the storage expects its own file or folder. Code ELOOP, like open(2). */
export class RefusedLinkError extends Error {
  readonly code = 'ELOOP';
  constructor(
    readonly path: string,
    readonly problem = 'is a symbolic link; file storage never follows links',
  ) {
    super(`${path} ${problem}`);
    this.name = 'RefusedLinkError';
  }
}

/** A file shorter than a head records (or a size no buffer can hold): the head is corrupt. */
export class StoredSizeError extends Error {
  readonly code = 'ESTOREDSIZE';
  readonly problem: string;
  constructor(
    readonly path: string,
    readonly actual: number,
    readonly recorded: number,
  ) {
    super(`${path} has ${actual} bytes but its head records ${recorded}`);
    this.name = 'StoredSizeError';
    this.problem = `has ${actual} bytes but its head records ${recorded}`;
  }
}

/**
 * Whether `path` is a real folder: 'missing' when there is nothing, else it is a folder.
 *
 * @throws RefusedLinkError for a symbolic link or anything that is not a folder.
 */
export async function realDirectory(path: string): Promise<'missing' | 'directory'> {
  let stats: Stats;
  try {
    stats = await lstat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 'missing';
    throw err;
  }
  if (stats.isSymbolicLink()) throw new RefusedLinkError(path);
  if (!stats.isDirectory()) throw new RefusedLinkError(path, 'is not a folder');
  return 'directory';
}

/** The whole file, opened without following a link; undefined when it (or its folder) does not exist. */
export async function readFileNoFollow(path: string): Promise<Buffer | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | NOFOLLOW);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  }
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
