/** Mapping of file-system failures to the typed errors of session-core. */
import { ChannelCoderError, StorageUnavailableError } from '@channelcoder/session-core';

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
 * ChannelCoder errors pass through; a file-system error (EACCES, ENOSPC, EIO, EROFS, …) becomes a
 * StorageUnavailableError that keeps the original as `cause`; anything else is a bug and is rethrown as is.
 */
export function toStorageError(err: unknown, operation: string): unknown {
  if (ChannelCoderError.is(err)) return err;
  if (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string') {
    return new StorageUnavailableError('file', operation, err);
  }
  return err;
}
