/**
 * Seed compatibility: `load()` also takes the path of a session file, as ChannelCoder 3.x did
 * (`load('./sessions/feature-auth.json')`). Only something that is unmistakably a path qualifies: absolute
 * or starting with `./` or `../`, ending in `.json`, and an existing regular file. Everything else is a
 * session name, validated by session-core, which can never leave the storage root.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { isErrno } from './fs-errors.js';
import { HEAD_FILE } from './layout.js';

export type ExplicitSessionFile =
  /** The head.json of a session directory (what `list()` reports as `path`). */
  | { kind: 'head'; dir: string; name: string }
  /** A whole-document session file (ChannelCoder 3.x, or any file `serializeState` wrote). */
  | { kind: 'document'; path: string; name: string };

function looksLikePath(input: string): boolean {
  return input.endsWith('.json') && (isAbsolute(input) || /^\.\.?[\\/]/.test(input)) && !input.includes('\0');
}

export async function explicitSessionFile(input: string): Promise<ExplicitSessionFile | undefined> {
  if (typeof input !== 'string' || !looksLikePath(input)) return undefined;
  const path = resolve(input);
  try {
    if (!(await stat(path)).isFile()) return undefined;
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR', 'ENAMETOOLONG')) return undefined;
    throw err;
  }
  if (basename(path) === HEAD_FILE)
    return { kind: 'head', dir: dirname(path), name: basename(dirname(path)) };
  return { kind: 'document', path, name: basename(path, '.json') };
}
