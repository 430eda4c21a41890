/** Mapping of file-system failures to the typed errors of session-core. */
import { basename } from 'node:path';
import {
  ChannelCoderError,
  SessionCorruptError,
  StorageUnavailableError,
} from '@channelcoder/session-core/model';

/** True when `err` is a Node file-system error with this `code` (ENOENT, EEXIST, …). */
export function isErrno(err: unknown, ...codes: string[]): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    codes.includes((err as { code: string }).code)
  );
}

/**
 * ChannelCoder errors pass through; a symbolic link where the storage expects its own file (ELOOP) or a
 * head recording more bytes than its file holds is a SessionCorruptError of `name`; any other file-system
 * error (EACCES, ENOSPC, EIO, EROFS, …) becomes a StorageUnavailableError that keeps the original as
 * `cause`; anything else is a bug and is rethrown as is.
 */
export function toStorageError(err: unknown, operation: string, name?: string): unknown {
  if (ChannelCoderError.is(err)) return err;
  if (name !== undefined && isErrno(err, 'ELOOP', 'ESTOREDSIZE')) {
    const { path, problem } = err as { path?: unknown; problem?: unknown };
    const text =
      typeof problem === 'string' ? problem : 'is a symbolic link; file storage never follows links';
    return new SessionCorruptError(name, typeof path === 'string' ? basename(path) : 'entry', text, {
      ...(typeof path === 'string' ? { location: path } : {}),
      cause: err,
    });
  }
  if (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string') {
    return new StorageUnavailableError('file', operation, err);
  }
  return err;
}
