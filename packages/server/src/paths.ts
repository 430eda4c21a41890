/** Working directories: a task may only run under the roots the server was configured to allow. */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ServiceError } from './errors.js';

/** Resolves each root to its real path (symlinks followed). @throws when a root does not exist. */
export async function resolveRoots(roots: readonly string[]): Promise<string[]> {
  return Promise.all(roots.map((root) => realpath(resolve(root))));
}

/**
 * The real path of `dir` when it lies under one of `roots` (or is one); symlinks are followed before the
 * check, so a link cannot lead outside.
 *
 * @throws ServiceError 400 `INVALID_ARGUMENT` for a relative path or one that does not exist; 403
 *   `PATH_NOT_ALLOWED` for a directory outside every root.
 */
export async function allowedDirectory(
  dir: string,
  roots: readonly string[],
  field: string,
): Promise<string> {
  if (!isAbsolute(dir))
    throw new ServiceError('INVALID_ARGUMENT', 400, `${field} must be an absolute path (got "${dir}").`, {
      field,
    });
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    throw new ServiceError('INVALID_ARGUMENT', 400, `${field} "${dir}" does not exist on the server.`, {
      field,
    });
  }
  for (const root of roots) {
    const rel = relative(root, real);
    if (rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))) return real;
  }
  throw new ServiceError(
    'PATH_NOT_ALLOWED',
    403,
    `${field} "${dir}" is outside the directories this server allows (${roots.join(', ')}). Use a ` +
      'directory under one of them, or start the server with that root allowed.',
    { field },
  );
}
