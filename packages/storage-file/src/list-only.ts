/**
 * Listing without a storage object (the package's `/list` entry, ./list.ts). {@link listFileSessions} is
 * `new FileSessionStorage(dir).list(options)` (FileSessionStorage.list runs the same {@link listLayout}),
 * for a process that only lists, such as the CLI's `session list`: this entry reaches only the listing's
 * modules, none of the writer, the lease, the transcript codec, the search index or the trash.
 */
import type { ListOptions, SessionInfo } from '@channelcoder/session-core/model';
import { toStorageError } from './fs-errors.js';
import { StorageLayout } from './layout.js';
import { listSessions } from './list-sessions.js';
import { type FileSessionStorageOptions, resolveOptions } from './options.js';

/**
 * The sessions stored under a file storage root, as `new FileSessionStorage(dirOrOptions).list(options)`
 * lists them: metadata only (heads), newest `lastActive` first, ties by name; corrupt entries carry `error`.
 *
 * @throws InvalidArgumentError for a bad `dirOrOptions` or list options; StorageUnavailableError for
 *   file-system failures.
 */
export async function listFileSessions(
  dirOrOptions?: string | FileSessionStorageOptions,
  options?: ListOptions,
): Promise<SessionInfo[]> {
  return listLayout(new StorageLayout(resolveOptions(dirOrOptions).root), options);
}

/** The body of FileSessionStorage.list: the listing, its file-system errors as storage errors. */
export async function listLayout(layout: StorageLayout, options?: ListOptions): Promise<SessionInfo[]> {
  try {
    return await listSessions(layout, options);
  } catch (err) {
    throw toStorageError(err, 'list()');
  }
}
